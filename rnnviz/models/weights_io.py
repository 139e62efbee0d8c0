"""Reading a weights file safely: .safetensors (header checked first), .npz without pickles,
.pt/.pth only through `torch.load(weights_only=True)`; checkpoint wrappers unwrapped."""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

FORMATS = (".safetensors", ".npz", ".pt", ".pth")
# Uploads above this are refused before reading (the app's .streamlit/config.toml allows 50 MB).
MAX_BYTES = 50 * 2**20
# Keras files: not read, but answered with how to move the weights to torch.
KERAS = (".h5", ".hdf5", ".keras")
KERAS_HELP = (
    "{name} is a Keras file; rnnviz reads PyTorch weights (.safetensors, .npz, .pt, .pth). "
    "Rebuild the network as nn.LSTM / nn.GRU / nn.RNN and copy the weights over: Keras's "
    "LSTM kernel (n_x, 4 n_a) is torch's weight_ih_l0 transposed, recurrent_kernel is "
    "weight_hh_l0 transposed, bias is bias_ih_l0 (bias_hh_l0 = 0), with the gate blocks in "
    "the same order (i, f, c, o); a Keras GRU orders them (z, r, h) where torch has "
    "(r, z, n). Then save model.state_dict() with safetensors.")
CHECKPOINT_KEYS = ("model_state_dict", "state_dict", "model")


def _check_safetensors(data: bytes, name: str) -> dict:
    """The header of a safetensors file, after checking that it can be what it claims:
    8 bytes of header length N (little-endian), N bytes of JSON, then the tensors' bytes."""
    if len(data) < 8:
        raise ValueError(f"{name} is not a safetensors file: it has {len(data)} bytes, fewer "
                         "than the 8 that give its header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{name} is not a valid safetensors file: its header claims {n:,} "
                         f"bytes but the file has only {len(data) - 8:,} after the length "
                         "(a truncated file, or not safetensors at all)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{name} is not a safetensors file: its header is not JSON") from None
    if not isinstance(header, dict):
        raise ValueError(f"{name} is not a safetensors file: its header is not a JSON object")
    body = len(data) - 8 - n
    for key, info in header.items():
        if key == "__metadata__":
            continue
        end = (info.get("data_offsets") or [0, 0])[1] if isinstance(info, dict) else None
        if not isinstance(end, int):
            raise ValueError(f"{name}: the header entry {key!r} has no data_offsets")
        if end > body:
            raise ValueError(f"{name} is truncated: tensor {key!r} ends at byte {end:,} of the "
                             f"data but the file holds only {body:,} (upload it again)")
    return header


def _read_bytes(data: bytes, name: str) -> tuple[dict, dict]:
    """(name -> array, metadata) of the bytes of a weights file named `name`."""
    if not data:
        raise ValueError(f"{name} is empty (0 bytes)")
    suffix = Path(name).suffix.lower()
    if suffix == ".safetensors":
        header = _check_safetensors(data, name)
        from safetensors.numpy import load

        try:
            arrays = load(data)
        except Exception as exc:  # the package's own error: dtype it cannot map, overlap, ...
            raise ValueError(f"{name} could not be read as safetensors: {exc}") from None
        meta = header.get("__metadata__") or {}
        return arrays, {str(k): str(v) for k, v in meta.items()}
    if suffix == ".npz":
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                return {k: z[k] for k in z.files}, {}
        except ValueError as exc:
            if "allow_pickle" in str(exc):
                raise ValueError(f"{name} holds Python objects, not plain arrays; rnnviz reads "
                                 ".npz with allow_pickle=False") from None
            raise ValueError(f"{name} is not a readable .npz file: {exc}") from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ValueError(f"{name} is not a readable .npz file ({exc}); it may be "
                             "truncated") from None
    if suffix in (".pt", ".pth"):
        return _read_pt(data, name), {}
    if suffix in KERAS:
        raise ValueError(KERAS_HELP.format(name=name))
    raise ValueError(f"{name}: unknown weights format {suffix or '(no extension)'!r}; use "
                     f"one of {', '.join(FORMATS)}")


def _read_pt(data: bytes, name: str) -> dict:
    try:
        import torch
    except ImportError:
        raise ValueError(f"{name}: reading .pt/.pth files needs torch, which is not installed; "
                         "save the weights with safetensors instead") from None
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"{name} could not be loaded with torch.load(weights_only=True), "
                         "which never runs the Python code a pickle may hold: it is not a "
                         "plain state_dict of tensors (it holds other Python objects, or is "
                         f"not a torch file; {type(exc).__name__}). Save model.state_dict() "
                         "with safetensors instead.") from None
    obj = unwrap(obj) if isinstance(obj, Mapping) else obj
    if not isinstance(obj, Mapping):
        raise ValueError(f"{name} holds a {type(obj).__name__}, not a state_dict (a mapping "
                         "of names to tensors)")
    return dict(obj)


def read_weights(source) -> tuple[dict[str, np.ndarray], dict[str, str], str]:
    """(name -> array, metadata, a short name) from any source `import_torch` accepts."""
    if hasattr(source, "state_dict") and callable(source.state_dict):      # an nn.Module
        return dict(source.state_dict()), {}, type(source).__name__
    if isinstance(source, Mapping):
        return dict(source), {}, "state_dict"
    if hasattr(source, "getvalue"):                                         # an uploaded file
        name = str(getattr(source, "name", "upload.safetensors"))
        size = int(getattr(source, "size", 0) or 0)
        if size > MAX_BYTES:
            raise ValueError(f"{name} has {size / 2**20:.0f} MB; rnnviz reads weights files of "
                             f"at most {MAX_BYTES // 2**20} MB")
        return (*_read_bytes(source.getvalue(), name), Path(name).stem)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"weights file not found: {str(path)!r}")
        if path.suffix.lower() in KERAS:
            raise ValueError(KERAS_HELP.format(name=path.name))
        if path.suffix.lower() not in FORMATS:
            raise ValueError(f"{path.name}: unknown weights format {path.suffix!r}; use one "
                             f"of {', '.join(FORMATS)}")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValueError(f"{path.name} has {size / 2**20:.0f} MB; rnnviz reads weights "
                             f"files of at most {MAX_BYTES // 2**20} MB")
        return (*_read_bytes(path.read_bytes(), path.name), path.stem)
    raise ValueError("source must be a path (.safetensors, .npz, .pt), a state_dict mapping "
                     f"or an nn.Module, got {type(source).__name__}")


def _as_arrays(sd: dict) -> dict[str, np.ndarray]:
    out = {}
    for k, v in sd.items():
        if hasattr(v, "detach"):
            v = v.detach().cpu()
            if str(v.dtype) == "torch.bfloat16":
                v = v.float()
            v = v.numpy()
        a = np.asarray(v)
        if a.dtype.kind not in "fiub":
            raise ValueError(f"{k}: expected an array of numbers, got dtype {a.dtype}")
        out[str(k)] = a
    return out


def unwrap(obj: Mapping) -> dict:
    """The state_dict inside a training checkpoint ({"model_state_dict": ...},
    {"state_dict": ...}, {"model": ...}, beside optimizer state, epoch, ...), without
    DataParallel's `module.` prefix on every key."""
    for key in CHECKPOINT_KEYS:
        inner = obj.get(key)
        if isinstance(inner, Mapping) and inner and all(isinstance(k, str) for k in inner):
            obj = inner
            break
    sd = dict(obj)
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module."):]: v for k, v in sd.items()}
    return sd
