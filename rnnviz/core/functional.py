"""Numerically stable activations used by every cell.

All functions work on float32 and float64 and never overflow: inputs of magnitude 1e4 give
0/1 saturation, no warning and no NaN. (The cells' fused loops compute the same functions
through one exp per step; see rnnviz.core.recurrent.base.)
"""

import numpy as np


def sigmoid(z):
    """σ(z) = 1 / (1 + e^-z) for z >= 0 and e^z / (1 + e^z) for z < 0: e^-|z| never overflows,
    and both halves keep full relative precision in the tails."""
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def scaled_norm(v, axis=None):
    """sqrt(Σ v²) without overflow for finite values up to the dtype's max (LAPACK nrm2 idea):
    scale by max |v| first. inf anywhere gives inf; NaN gives NaN."""
    v = np.asarray(v, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        top = np.max(np.abs(v), axis=axis, keepdims=True) if v.size else np.zeros(())
        safe = np.where((top > 0) & np.isfinite(top), top, 1.0)
        out = safe * np.sqrt(np.sum((v / safe) ** 2, axis=axis, keepdims=True))
        out = np.where(np.isinf(top), np.inf, out)
    return out.squeeze(axis=axis) if axis is not None else float(out.reshape(()))


def relu(z):
    return np.maximum(z, 0)


def softmax(z, axis=0):
    """Softmax over `axis` (axis 0 = the n_y classes of a column vector, as in the seed)."""
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=0):
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
