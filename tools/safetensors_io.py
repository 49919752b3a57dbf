"""Writes a PyTorch state_dict as safetensors, the format fluxcore's loader reads.

Complex tensors are stored as float32 with a trailing dimension of 2 (torch.view_as_real),
every value as little-endian F32, and the header padded to a multiple of 8 bytes. Shared by the
golden-data generators under tools/ and the comparison scripts under bench/.
"""
import json
import struct

import torch


def write_safetensors(path, state, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in sorted(state.items()):
        if t.is_complex():
            t = torch.view_as_real(t)
        data = t.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def read_safetensors(path):
    """The tensors (float32 data as torch tensors) and the metadata of a safetensors file."""
    import numpy as np
    with open(path, "rb") as f:
        raw = f.read()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    meta = header.pop("__metadata__", {})
    base, state = 8 + length, {}
    for name, h in header.items():
        assert h["dtype"] == "F32", (name, h["dtype"])
        lo, hi = h["data_offsets"]
        state[name] = torch.from_numpy(np.frombuffer(raw[base + lo:base + hi], dtype="<f4").reshape(h["shape"]).copy())
    return state, meta
