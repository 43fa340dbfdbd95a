//===- Executor.cpp - Generation over a compiled program ------------------===//

#include "runtime/Executor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace photon::rt {

namespace {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

Expected<DeviceBuffer> allocate(Backend &be, size_t bytes, const char *what) {
  Expected<DeviceBuffer> b = DeviceBuffer::create(be, bytes);
  if (!b)
    return b.status().withContext(std::string("allocating the ") + what);
  return b;
}

/// Rejects what no program could run: empty prompts, ids outside the
/// vocabulary, lengths past 2^30, bad sampling parameters.
Status checkInputs(const std::vector<std::vector<int32_t>> &prompts,
                   const GenerationOptions &opt, int64_t V) {
  if (prompts.empty())
    return Status::error("no prompt given");
  for (size_t i = 0; i < prompts.size(); ++i) {
    std::string which = prompts.size() > 1 ? "prompt " + std::to_string(i) : "the prompt";
    if (prompts[i].empty())
      return Status::error(which + " is empty (need at least one token)");
    for (size_t j = 0; j < prompts[i].size(); ++j) {
      int32_t t = prompts[i][j];
      if (t < 0 || t >= V)
        return Status::error(which + ": token " + std::to_string(j) + " = " +
                             std::to_string(t) + " is outside the vocabulary [0, " +
                             std::to_string(V) + ")");
    }
  }
  if (opt.stopToken && (*opt.stopToken < 0 || *opt.stopToken >= V))
    return Status::error("the stop token " + std::to_string(*opt.stopToken) +
                         " is outside the vocabulary [0, " + std::to_string(V) + ")");
  if (opt.maxNewTokens < 0)
    return Status::error("max new tokens must be >= 0, got " + std::to_string(opt.maxNewTokens));
  for (const auto &p : prompts)
    if (int64_t(p.size()) + opt.maxNewTokens > (int64_t(1) << 30))
      return Status::error("prompt length + max new tokens is too large (limit 2^30)");
  return opt.sampling.validate();
}

} // namespace

Expected<std::unique_ptr<Generator>>
Generator::create(const Artifact &artifact, Backend &backend, const WeightArena &weights) {
  const Manifest &m = artifact.manifest();
  if (weights.dtype() != m.dtype || weights.elements() != m.elements)
    return Status::error("internal error: the weight arena does not match the manifest");
  Expected<DeviceBuffer> w = allocate(backend, weights.bytes(), "weight arena");
  if (!w)
    return w.takeStatus();
  PHOTON_RETURN_IF_ERROR(backend.copyToDevice(w->get(), weights.data(), weights.bytes()));
  return std::unique_ptr<Generator>(new Generator(artifact, backend, std::move(*w)));
}

Expected<GenerationResult>
Generator::generate(const std::vector<std::vector<int32_t>> &prompts,
                    const GenerationOptions &opt, const TokenCallback &onToken) {
  PHOTON_RETURN_IF_ERROR(checkInputs(prompts, opt, artifact_.manifest().vocabSize));
  std::vector<int64_t> encodeLengths;
  for (const auto &p : prompts)
    encodeLengths.push_back(int64_t(p.size()));
  const size_t V = size_t(artifact_.manifest().vocabSize);
  std::vector<std::vector<float>> logits(opt.collectLogits ? prompts.size() : 0);
  Expected<GenerationResult> result =
      decode(prompts, encodeLengths, opt,
             [&](size_t seq, int64_t index, int32_t token, const float *row) {
               if (row)
                 logits[seq].insert(logits[seq].end(), row, row + V);
               if (onToken)
                 onToken(seq, index, token);
             });
  if (result)
    result->logits = std::move(logits);
  return result;
}

Expected<ScoreResult> Generator::score(const std::vector<std::vector<int32_t>> &windows,
                                       int64_t context, const GenerationOptions &options,
                                       const ScoreProgress &progress) {
  GenerationOptions opt;
  opt.mode = options.mode;
  opt.useGraphs = options.useGraphs;
  opt.overlapSteps = options.overlapSteps;
  opt.maxNewTokens = 0; // every scored token is known: forced, never chosen
  opt.collectLogits = true;
  PHOTON_RETURN_IF_ERROR(checkInputs(windows, opt, artifact_.manifest().vocabSize));
  ScoreResult result;
  for (size_t i = 0; i < windows.size(); ++i) {
    int64_t n = int64_t(windows[i].size());
    if (context < 1 || context >= n)
      return Status::error("window " + std::to_string(i) + " has " + std::to_string(n) +
                           " tokens: need a context of 1 to " + std::to_string(n - 1) +
                           " tokens, got " + std::to_string(context));
    result.contextTokens += context;
    result.scoredTokens += n - context;
  }
  const int64_t V = artifact_.manifest().vocabSize;
  result.logProbs.resize(windows.size());
  int64_t done = 0;
  Expected<GenerationResult> r = decode(
      windows, std::vector<int64_t>(windows.size(), context), opt,
      [&](size_t seq, int64_t, int32_t token, const float *row) {
        // log softmax(row)[token], in double.
        double top = row[0];
        for (int64_t v = 1; v < V; ++v)
          top = std::max(top, double(row[v]));
        double sum = 0;
        for (int64_t v = 0; v < V; ++v)
          sum += std::exp(double(row[v]) - top);
        result.logProbs[seq].push_back(double(row[token]) - top - std::log(sum));
        if (progress)
          progress(++done, result.scoredTokens);
      });
  if (!r)
    return r.takeStatus();
  result.prefillSeconds = r->prefillSeconds;
  result.decodeSeconds = r->decodeSeconds;
  result.steps = r->steps;
  return result;
}

Expected<GenerationResult>
Generator::decode(const std::vector<std::vector<int32_t>> &prompts,
                  const std::vector<int64_t> &encodeLengths, const GenerationOptions &opt,
                  const RowCallback &onRow) {
  const Manifest &m = artifact_.manifest();
  const int64_t V = m.vocabSize;
  Expected<Program> program = artifact_.program(opt.mode);
  if (!program)
    return program.takeStatus();
  const ProgramInfo &info = *program->info;
  const int64_t N = int64_t(prompts.size()), tps = info.tokensPerStep;
  int64_t maxTokens = 0;
  for (const auto &p : prompts)
    maxTokens = std::max(maxTokens, int64_t(p.size()) + opt.maxNewTokens);

  // The state arena, exactly as the plan says, and the step's inputs/outputs.
  const int64_t steps = planSteps(maxTokens, tps);
  std::optional<StateLayout> layout = layoutState(info.regions, N, steps);
  if (!layout)
    return Status::error("the state of " + std::to_string(N) + " sequences of " +
                         std::to_string(maxTokens) + " tokens overflows 64-bit sizes");
  GenerationResult result;
  result.memory.weightBytes = weights_.bytes();
  result.memory.stateBytes = size_t(layout->totalBytes);
  for (const StateRegion &r : info.regions)
    if (r.tile == 0)
      result.memory.bytesPerSequence += size_t(r.perSeq + steps * r.perStep);
  result.memory.analyticBytesPerSequence =
      size_t(info.analyticPerSeq + (maxTokens + tps - 1) / tps * info.analyticPerStep);
  Expected<DeviceBuffer> state = allocate(backend_, size_t(layout->totalBytes), "state arena");
  if (!state)
    return state.takeStatus();
  const size_t outRow = size_t(1 + tps);
  Expected<DeviceBuffer> out = allocate(backend_, size_t(N) * outRow * 4, "step outputs");
  Expected<DeviceBuffer> uniforms = allocate(backend_, size_t(N * tps) * 4, "sampling draws");
  size_t logitsBytes = opt.collectLogits ? size_t(N * tps) * size_t(V) * 4 : 0;
  Expected<DeviceBuffer> logits = allocate(backend_, logitsBytes, "logits");
  if (!out || !uniforms || !logits)
    return !out ? out.takeStatus() : !uniforms ? uniforms.takeStatus() : logits.takeStatus();
  MemRef1D W = memref(weights_.get(), m.elements);
  MemRef1D S = memref(state->get(), layout->totalBytes);
  MemRef1D outM = memref(out->get(), N * int64_t(outRow));
  MemRef1D uniM = memref(uniforms->get(), N * tps);
  MemRef1D logM = memref(logits->get(), int64_t(logitsBytes / 4));

  // Prefill: runs of consecutive prompts of one length (and encoded
  // length), prefill_tile at most. Its grids fill the card: in plain stream
  // order (programmatic launch is for the small decode steps, below).
  backend_.setProgrammaticLaunch(false);
  auto t0 = Clock::now();
  auto lengthOf = [&](int64_t s) { return int64_t(prompts[size_t(s)].size()); };
  for (int64_t first = 0; first < N;) {
    const int64_t P = lengthOf(first), E = encodeLengths[size_t(first)];
    int64_t count = 1;
    while (first + count < N && count < info.prefillTile && lengthOf(first + count) == P &&
           encodeLengths[size_t(first + count)] == E)
      ++count;
    std::vector<int32_t> ids;
    for (int64_t s = first; s < first + count; ++s)
      ids.insert(ids.end(), prompts[size_t(s)].begin(), prompts[size_t(s)].end());
    Expected<DeviceBuffer> prompt = allocate(backend_, ids.size() * 4, "prompt");
    if (!prompt)
      return prompt.takeStatus();
    PHOTON_RETURN_IF_ERROR(backend_.copyToDevice(prompt->get(), ids.data(), ids.size() * 4));
    MemRef1D pm = memref(prompt->get(), int64_t(ids.size()));
    const bool profiled = opt.profilePrefill && first == 0;
    if (profiled)
      PHOTON_RETURN_IF_ERROR(backend_.setProfiling(true));
    program->prefill(&W, &S, N, maxTokens, first, count, P, E, &pm);
    PHOTON_RETURN_IF_ERROR(backend_.synchronize()); // before the prompt is freed
    if (profiled)
      PHOTON_RETURN_IF_ERROR(backend_.setProfiling(false));
    result.promptTokens += count * E;
    first += count;
  }
  result.prefillSeconds = secondsSince(t0);

  // Decode: one window of tokens_per_step positions per sequence and step;
  // each sequence's positions past its encoded tokens stream out in order:
  // its other known tokens (forced), then up to maxNewTokens chosen ones.
  result.tokens.resize(size_t(N));
  result.stopped.assign(size_t(N), false);
  std::vector<int64_t> limit(static_cast<size_t>(N));
  int64_t remaining = 0;
  for (int64_t s = 0; s < N; ++s)
    remaining += limit[size_t(s)] =
        lengthOf(s) - encodeLengths[size_t(s)] + opt.maxNewTokens;
  std::vector<Sampler> samplers;
  for (int64_t s = 0; s < N; ++s) {
    SamplingParams sp = opt.sampling;
    sp.seed = opt.sampling.seed + uint64_t(s);
    Expected<Sampler> smp = Sampler::create(sp);
    if (!smp)
      return smp.takeStatus();
    samplers.push_back(std::move(*smp));
  }
  const bool greedy = opt.sampling.greedy();
  const bool graphs = opt.useGraphs && backend_.supportsGraphs();
  backend_.setProgrammaticLaunch(artifact_.programmaticLaunch() &&
                                 N <= kProgrammaticLaunchMaxBatch);
  auto step = [&] {
    program->step(&W, &S, N, maxTokens, &uniM, &outM, &logM,
                  greedy ? 0.f : float(opt.sampling.temperature), int64_t(opt.sampling.top_k),
                  float(opt.sampling.top_p));
  };
  // Step k's window (and logits) come back through read-back slot k % 2:
  // copied into host memory behind the step, with a mark after the copies.
  // So step k + 1 can be queued before step k's tokens are read, and the
  // device does not idle while the host reads them and launches again.
  struct Readback {
    HostBuffer window, logits;
  } slots[Backend::kMarks];
  for (Readback &slot : slots) {
    Expected<HostBuffer> w = HostBuffer::create(backend_, size_t(N) * outRow * 4);
    Expected<HostBuffer> l = HostBuffer::create(backend_, logitsBytes);
    if (!w || !l)
      return (!w ? w.takeStatus() : l.takeStatus()).withContext("allocating the step read-back");
    slot.window = std::move(*w);
    slot.logits = std::move(*l);
  }
  void *graph = nullptr;
  std::vector<float> draws(size_t(N * tps));
  double hostSeconds = 0;
  int64_t launched = 0; // steps queued; result.steps of them read
  auto launch = [&]() -> Status {
    // The plan holds steps(T) windows; a sequence never needs more than
    // steps(T) - 1 of them, so running out is an internal error.
    if (launched + 1 >= steps)
      return Status::error("internal error: generation did not finish within the planned " +
                           std::to_string(steps - 1) + " steps");
    if (!greedy) {
      for (int64_t s = 0; s < N; ++s)
        for (int64_t i = 0; i < tps; ++i)
          draws[size_t(s * tps + i)] = samplers[size_t(s)].nextUniform();
      PHOTON_RETURN_IF_ERROR(backend_.copyToDevice(uniforms->get(), draws.data(), draws.size() * 4));
    }
    // The profiled step runs alone: nothing else is queued (see below), and
    // the range closes once its kernels have finished.
    const bool profiled = launched == opt.profileStep;
    if (profiled)
      PHOTON_RETURN_IF_ERROR(backend_.setProfiling(true));
    auto h0 = Clock::now();
    uint64_t launches0 = backend_.launchCount();
    if (graphs && !graph) {
      Expected<void *> g = backend_.captureGraph(step);
      if (!g)
        return g.takeStatus();
      graph = *g;
      result.launchesPerStep = int64_t(backend_.launchCount() - launches0);
    }
    if (graphs) {
      PHOTON_RETURN_IF_ERROR(backend_.launchGraph(graph));
    } else {
      step();
      result.launchesPerStep = int64_t(backend_.launchCount() - launches0);
    }
    hostSeconds += secondsSince(h0);
    if (profiled) {
      PHOTON_RETURN_IF_ERROR(backend_.synchronize());
      PHOTON_RETURN_IF_ERROR(backend_.setProfiling(false));
    }
    const Readback &slot = slots[launched % Backend::kMarks];
    PHOTON_RETURN_IF_ERROR(
        backend_.copyToHostQueued(slot.window.get(), out->get(), size_t(N) * outRow * 4));
    if (opt.collectLogits)
      PHOTON_RETURN_IF_ERROR(
          backend_.copyToHostQueued(slot.logits.get(), logits->get(), logitsBytes));
    PHOTON_RETURN_IF_ERROR(backend_.setMark(int(launched % Backend::kMarks)));
    ++launched;
    return Status();
  };
  // Reads the oldest queued step's tokens.
  auto read = [&]() -> Status {
    const Readback &slot = slots[result.steps % Backend::kMarks];
    PHOTON_RETURN_IF_ERROR(backend_.waitForMark(int(result.steps % Backend::kMarks)));
    ++result.steps;
    const int32_t *window = static_cast<const int32_t *>(slot.window.get());
    const float *hostLogits = static_cast<const float *>(slot.logits.get());
    for (int64_t s = 0; s < N; ++s) {
      const int64_t P = lengthOf(s), E = encodeLengths[size_t(s)];
      const int32_t *row = window + size_t(s) * outRow;
      std::vector<int32_t> &toks = result.tokens[size_t(s)];
      for (int64_t i = 0; i < tps && !result.stopped[size_t(s)]; ++i) {
        int64_t pos = int64_t(row[0]) + i, index = pos - E;
        if (index != int64_t(toks.size()) || index >= limit[size_t(s)])
          continue; // encoded, already streamed, or past the end
        int32_t tok = row[1 + i];
        if (tok < 0 || tok >= V)
          return Status::error("the model chose token " + std::to_string(tok) +
                               ", outside the vocabulary [0, " + std::to_string(V) +
                               ") (non-finite logits?)");
        toks.push_back(tok);
        --remaining;
        const float *lg =
            opt.collectLogits ? hostLogits + size_t(s * tps + i) * size_t(V) : nullptr;
        if (onRow)
          onRow(size_t(s), index, tok, lg);
        // A stopped sequence still runs in the (captured) step with the
        // others; its later positions are just never read.
        if (opt.stopToken && pos >= P && tok == *opt.stopToken) {
          result.stopped[size_t(s)] = true;
          remaining -= limit[size_t(s)] - int64_t(toks.size());
        }
      }
    }
    return Status();
  };
  auto t1 = Clock::now();
  Status status;
  while (status.ok()) {
    const int64_t queued = launched - result.steps;
    // The next step is certainly needed where tokens remain even if every
    // queued step yields a token at each of its positions (a stop token can
    // still end the batch first: that step's tokens are then all past the
    // stops). It is queued ahead of the unread one (at most one, within the
    // plan's steps) unless either is the profiled step.
    const bool needed = remaining - queued * N * tps > 0;
    const bool ahead = opt.overlapSteps && queued == 1 && launched + 1 < steps &&
                       opt.profileStep != launched && opt.profileStep != result.steps;
    if (needed && (queued == 0 || ahead)) {
      result.stepsQueuedAhead += queued;
      status = launch();
    } else if (queued > 0) {
      status = read();
    } else {
      break;
    }
  }
  if (!status.ok()) {
    (void)backend_.synchronize(); // the queued steps, before their buffers go
    backend_.destroyGraph(graph);
    return status;
  }
  PHOTON_RETURN_IF_ERROR(backend_.synchronize());
  backend_.destroyGraph(graph);
  result.decodeSeconds = secondsSince(t1);
  for (int64_t s = 0; s < N; ++s) // the chosen tokens, not the forced ones
    result.generatedTokens +=
        int64_t(result.tokens[size_t(s)].size()) - (lengthOf(s) - encodeLengths[size_t(s)]);
  result.graphs = graphs && result.steps > 0;
  result.hostSecondsPerStep = result.steps ? hostSeconds / double(result.steps) : 0;
  result.memory.peakBytes = backend_.peakBytes();
  return result;
}

} // namespace photon::rt
