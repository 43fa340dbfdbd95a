//===- BackendTest.cpp - Tests of the CPU backend's read-back -------------===//

#include "runtime/Backend.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <vector>

using namespace photon::rt;

namespace {

// The executor's step read-back: device bytes copied into host memory from
// allocateHost, then a mark waited for. On the CPU the copy is done when
// copyToHostQueued returns, so a later write to the device buffer (the next
// step) does not reach the copy.
TEST(Backend, QueuedReadBackKeepsTheBytesOfItsStep) {
  std::unique_ptr<Backend> be = createCpuBackend();
  std::vector<int32_t> step(64);
  std::iota(step.begin(), step.end(), 7);
  Expected<DeviceBuffer> dev = DeviceBuffer::create(*be, step.size() * 4);
  ASSERT_TRUE(dev) << dev.status().message();
  Expected<HostBuffer> host = HostBuffer::create(*be, step.size() * 4);
  ASSERT_TRUE(host) << host.status().message();
  ASSERT_TRUE(be->copyToDevice(dev->get(), step.data(), step.size() * 4).ok());
  ASSERT_TRUE(be->copyToHostQueued(host->get(), dev->get(), step.size() * 4).ok());
  ASSERT_TRUE(be->setMark(0).ok());
  std::vector<int32_t> next(step.size(), -1);
  ASSERT_TRUE(be->copyToDevice(dev->get(), next.data(), next.size() * 4).ok());
  ASSERT_TRUE(be->waitForMark(0).ok());
  EXPECT_EQ(std::memcmp(host->get(), step.data(), step.size() * 4), 0);
}

TEST(Backend, HostBufferMovesOwnership) {
  std::unique_ptr<Backend> be = createCpuBackend();
  Expected<HostBuffer> a = HostBuffer::create(*be, 0); // still a valid pointer
  ASSERT_TRUE(a);
  void *p = a->get();
  EXPECT_NE(p, nullptr);
  HostBuffer b = std::move(*a);
  EXPECT_EQ(b.get(), p);
  EXPECT_EQ(a->get(), nullptr);
}

} // namespace
