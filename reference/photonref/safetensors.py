"""Hand-written safetensors reader/writer (F32, BF16, F16), with bf16 via integer bit ops."""
import json
import struct

import numpy as np

from .config import PhotonError

ITEMSIZE = {"F32": 4, "BF16": 2, "F16": 2}
DTYPE_NAMES = {"f32": "F32", "bf16": "BF16", "f16": "F16"}


def f32_to_bf16_bits(x):
    """float32 array -> uint16 bf16 bit patterns, round to nearest even (NaN stays a quiet NaN)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    nan = np.isnan(x)
    safe = np.where(nan, np.uint32(0), u)
    rounded = (safe + np.uint32(0x7FFF) + ((safe >> np.uint32(16)) & np.uint32(1))) >> np.uint32(16)
    quiet = (u >> np.uint32(16)) | np.uint32(0x0040)
    return np.where(nan, quiet, rounded).astype(np.uint16)


def bf16_bits_to_f32(b):
    return (np.asarray(b, dtype=np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)


def round_to_dtype(x, dtype):
    """Round an array to the values representable in dtype ('f32', 'bf16', 'f16'); returns float32."""
    x = np.asarray(x, dtype=np.float32)
    if dtype == "bf16":
        return bf16_bits_to_f32(f32_to_bf16_bits(x))
    if dtype == "f16":
        return x.astype(np.float16).astype(np.float32)
    if dtype == "f32":
        return x
    raise PhotonError(f"dtype: must be f32, bf16 or f16, got {dtype!r}")


def _encode(x, st_dtype):
    x = np.ascontiguousarray(x, dtype=np.float32)
    if st_dtype == "F32":
        return x.astype("<f4").tobytes()
    if st_dtype == "F16":
        return x.astype("<f2").tobytes()
    return f32_to_bf16_bits(x).astype("<u2").tobytes()


def save_safetensors(path, tensors, dtype="f32", metadata=None):
    """Write {name: array} with every tensor stored as dtype ('f32', 'bf16', 'f16')."""
    if dtype not in DTYPE_NAMES:
        raise PhotonError(f"dtype: must be f32, bf16 or f16, got {dtype!r}")
    st = DTYPE_NAMES[dtype]
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, arr in tensors.items():
        b = _encode(arr, st)
        header[name] = {"dtype": st, "shape": list(np.shape(arr)), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)                     # pad to 8-byte alignment, as the reference writer does
    try:
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(h)))
            f.write(h)
            for b in blobs:
                f.write(b)
    except OSError as e:
        raise PhotonError(f"{path}: cannot write: {e.strerror or e}") from None


def _no_dupes(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise PhotonError(f"header: duplicate entry {k!r}")
        d[k] = v
    return d


def parse_safetensors(buf, where="safetensors"):
    """Parse bytes -> (tensors {name: float32 array}, dtypes {name: 'F32'|...}, metadata)."""
    if len(buf) < 8:
        raise PhotonError(f"{where}: truncated file ({len(buf)} bytes, the 8-byte header length is missing)")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > len(buf) - 8:
        raise PhotonError(f"{where}: header length {n} at byte offset 0 runs past the end of the file "
                          f"({len(buf)} bytes)")
    try:
        header = json.loads(buf[8:8 + n].decode("utf-8"), object_pairs_hook=_no_dupes)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PhotonError(f"{where}: bad JSON header at byte offset 8: {e}") from None
    if not isinstance(header, dict):
        raise PhotonError(f"{where}: header at byte offset 8 is not a JSON object")
    meta = header.pop("__metadata__", None)
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        raise PhotonError(f"{where}: __metadata__ must map strings to strings")
    data = memoryview(buf)[8 + n:]
    spans, tensors, dtypes = [], {}, {}
    for name, e in header.items():
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            raise PhotonError(f"{where}: tensor {name!r}: header entry needs exactly dtype, shape, data_offsets")
        dt, shape, offs = e["dtype"], e["shape"], e["data_offsets"]
        if dt not in ITEMSIZE:
            raise PhotonError(f"{where}: tensor {name!r}: unsupported dtype {dt!r} (F32, BF16, F16 only)")
        if not (isinstance(shape, list) and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                for s in shape)):
            raise PhotonError(f"{where}: tensor {name!r}: bad shape {shape!r}")
        if not (isinstance(offs, list) and len(offs) == 2 and all(isinstance(o, int) and not isinstance(o, bool)
                                                                 for o in offs) and 0 <= offs[0] <= offs[1]):
            raise PhotonError(f"{where}: tensor {name!r}: bad data_offsets {offs!r}")
        size = ITEMSIZE[dt]
        for s in shape:
            size *= s
        if offs[1] - offs[0] != size:
            raise PhotonError(f"{where}: tensor {name!r}: data_offsets {offs} hold {offs[1] - offs[0]} bytes, "
                              f"dtype {dt} shape {shape} needs {size}")
        if offs[1] > len(data):
            raise PhotonError(f"{where}: tensor {name!r}: data ends at byte offset {8 + n + offs[1]}, past the "
                              f"end of the file ({len(buf)} bytes): truncated file")
        spans.append((offs[0], offs[1], name))
    pos = 0
    for b, e, name in sorted(spans):
        if b != pos:
            kind = "hole before" if b > pos else "overlap at"
            raise PhotonError(f"{where}: {kind} tensor {name!r} at byte offset {8 + n + min(b, pos)} "
                              f"(data_offsets start {b}, previous tensor ends at {pos})")
        pos = e
    if pos != len(data):
        raise PhotonError(f"{where}: {len(data) - pos} trailing bytes after the last tensor, at byte offset "
                          f"{8 + n + pos}")
    for b, e, name in spans:
        raw = data[b:e]
        dt = header[name]["dtype"]
        if dt == "F32":
            a = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif dt == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        else:
            a = bf16_bits_to_f32(np.frombuffer(raw, dtype="<u2"))
        tensors[name] = a.reshape(header[name]["shape"])
        dtypes[name] = dt
    return tensors, dtypes, meta or {}


def load_safetensors(path):
    try:
        with open(path, "rb") as f:
            buf = f.read()
    except OSError as e:
        raise PhotonError(f"{path}: cannot read weights: {e.strerror or e}") from None
    return parse_safetensors(buf, where=str(path))
