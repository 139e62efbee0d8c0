"""The Backward page's gradient check: BPTT against centred finite differences over the first
steps of a model in use's loss, and a key of everything the check reads (so a cache can
reuse a check for a sentence that differs only after those steps)."""

from __future__ import annotations

import hashlib

import numpy as np

from rnnviz.core.analysis import gradient_check


def check_inputs(result, n_steps: int):
    """(x, y, at): all that `check_gradients` reads of a `Backward` result: the input's
    first `n_steps` steps in float64, their targets, the loss's `at`."""
    T = min(result.steps.T_x, n_steps)
    x = np.asarray(result.steps.x[:, :, :T], dtype=np.float64)
    y = np.array(result.y)
    if y.ndim == 2:                      # many-to-many targets (m, T_x): the same prefix
        y = y[:, :T]
    return x, y, result.at


def check_key(result, n_steps: int = 20) -> str:
    """A digest of all that `check_gradients(net, result, n_steps)` reads of `result`
    (`check_inputs`): readings with the same key get the same check from the same network,
    e.g. two sentences that differ only after their first `n_steps` steps and targets."""
    h = hashlib.sha256()
    x, y, at = check_inputs(result, n_steps)
    for a in (x, y):
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr(at).encode())
    return h.hexdigest()


def check_gradients(net, result, n_steps: int = 20, n_entries: int = 3, keep: int = 2,
                    eps: float = 1e-5) -> tuple[list[dict], float]:
    """BPTT against centred finite differences, on `net` (a float64 Model), over the first
    `n_steps` steps of `result`'s loss (each checked entry costs two forward passes).

    Checks `n_entries` random entries (Generator seed 0) of every weight matrix and b_y, and
    keeps the `keep` with the largest gradient per parameter: x<t> is one-hot, so many input
    columns have an exactly zero gradient, which checks little. Returns (rows of
    `rnnviz.core.analysis.gradient_check`, the loss L of those steps)."""
    x, y, at = check_inputs(result, n_steps)
    keys = [k for k in net.params if k.split(".")[-1].startswith("W")] + ["by"]
    rows = gradient_check(net, x, y, keys=keys, n_entries=n_entries, eps=eps,
                          rng=np.random.default_rng(0), at=at, keep=keep)
    return rows, float(net.loss(net.forward(x), y, at=at))
