"""safetensors read/write (8-byte little-endian header length, JSON header, raw little-endian data),
written here because Debian packages PyTorch but not the safetensors library."""

import json
import struct

import torch

DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I8": torch.int8,
    "U8": torch.uint8,
}
NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    """→ (tensors by name, metadata dict). Errors name the file and tensor."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: {len(raw)} bytes is not a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: the header claims {n} bytes but the file has {len(raw) - 8} after the length")
    try:
        header = json.loads(raw[8 : 8 + n])
    except ValueError as e:
        raise ValueError(f"{path}: the header is not JSON ({e})") from None
    meta = header.pop("__metadata__", {}) or {}
    data = memoryview(raw)[8 + n :]
    out = {}
    for name, h in header.items():
        dtype = DTYPES.get(h.get("dtype"))
        if dtype is None:
            raise ValueError(f"{path}: tensor {name!r} has dtype {h.get('dtype')!r} (known: {', '.join(DTYPES)})")
        start, end = h["data_offsets"]
        count = 1
        for s in h["shape"]:
            count *= s
        if end > len(data) or end - start != count * torch.tensor([], dtype=dtype).element_size():
            raise ValueError(
                f"{path}: tensor {name!r} has offsets {start}..{end} that do not fit its shape or the file"
            )
        t = torch.frombuffer(bytearray(data[start:end]), dtype=dtype) if count else torch.zeros(0, dtype=dtype)
        out[name] = t.reshape(h["shape"])
    return out, meta


def safetensors_bytes(tensors, metadata=None):
    """tensors: list of (name, tensor) in the order to write; → bytes."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, t in tensors:
        t = t.detach().contiguous().cpu()
        raw = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {
            "dtype": NAMES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 8)
    return struct.pack("<Q", len(js)) + js + b"".join(blobs)
