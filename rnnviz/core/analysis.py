"""Gradient analysis for the app: Jacobian products, input sensitivity, clipping, checks."""

import numpy as np

from rnnviz.core.functional import scaled_norm


def state_jacobian_norms(model, trace, example=0, dtype=None):
    """||∂a<T_x>/∂a<t>||_F for t = 1..T_x (sqrt(n_a) at T_x, the identity), exact.

    ∂s<T_x>/∂s<t> = J<T_x> ... J<t+1> with J<t> = ∂s<t>/∂s<t-1>, s = a (RNN, GRU) or [a; c]
    (LSTM). Only the n_a rows of a<T_x> are needed, so they are carried right to left,
    R <- R J<t> (`Cell.jacobian_pullback`: one or two GEMMs per step, no loop over units),
    and every step's a-block is read off on the way: O(T_x n_a² n_s) for all t at once. For
    the LSTM the reported block is ∂a<T_x>/∂a<t> (c<t> held fixed). Unidirectional models,
    or the forward direction of the top layer.

    R is rescaled to unit norm after every step and the scale kept as a float64 logarithm,
    so the products neither underflow nor overflow, in float64 or float32. dtype: of R and
    the weights in the GEMMs; None = the trace's (the gate values stay in the trace's
    precision). float32 is 2-2.5× faster; on the shipped char LMs its relative error against
    float64 is below 1e-5 at T_x = 500 (benchmarks/jacobian.py prints it).
    """
    d = model.config.directions[0]
    tape = trace.tapes[d]
    dtype = np.dtype(dtype or tape.A.dtype)
    pull = model.cell.jacobian_pullback(model.cell_params(d, model.config.layers), tape,
                                        example, dtype)
    T, n = tape.A.shape[0], model.config.n_a
    R = np.eye(n, n * len(model.cell.state), dtype=dtype)      # ∂a<T_x>/∂s<T_x>
    log_scale = 0.0                                            # ∂a<T_x>/∂s<t> = e^log_scale R
    out = np.zeros(T)
    with np.errstate(over="ignore"):
        for i in range(T - 1, -1, -1):
            block = float(np.linalg.norm(R[:, :n]))
            out[i] = block * np.exp(log_scale) if block > 0 else 0.0    # t = i + 1
            if i == 0:
                break
            R = pull(R, i)                                     # ∂a<T_x>/∂s<i> (1-based)
            scale = float(np.linalg.norm(R))
            if not np.isfinite(scale):                         # a NaN or inf in the tape
                out[:i] = np.nan
                break
            if scale == 0:                                     # every path is cut (ReLU)
                break
            R /= scale
            log_scale += np.log(scale)
    return out


def sensitivity_matrix(model, x, example=0):
    """S[t, t'] = ||∂ŷ<t>/∂x<t'>||_F (1-based t as rows/cols 0..T_x-1) for one example.

    Exact: every output component of every step is back-propagated at once, as a batch of
    T_x * n_y "virtual examples" that share the forward pass. Works for bidirectional models.
    """
    xe = np.asarray(x)[:, example:example + 1, :]
    T = xe.shape[2]
    n_y = model.config.n_y
    k = T * n_y
    trace = model.forward(np.repeat(xe, k, axis=1))
    Y = trace.rows["y_hat"]                                    # (T, k, n_y)
    # seed: virtual example (t, i) carries ∂ŷ_i<t>/∂z_y<t> at step t, zero elsewhere
    dZy = np.zeros_like(Y)
    cols = np.arange(k)
    t_of, i_of = cols // n_y, cols % n_y
    y_t = Y[t_of, cols]                                        # (k, n_y) ŷ<t> of each column
    if model.config.head == "many_to_one_sigmoid":
        jac = (y_t * (1 - y_t))                                # dσ/dz
    else:
        jac = -y_t * y_t[np.arange(k), i_of][:, None]          # softmax Jacobian row i
        jac[np.arange(k), i_of] += y_t[np.arange(k), i_of]
    dZy[t_of, cols] = jac
    _, _, bt = model.backward(trace, dZy=dZy)
    dX = bt.rows["dx"]                                         # (T', k, n_x)
    per = (dX ** 2).sum(axis=2).reshape(T, T, n_y).sum(axis=2)  # [t', t]
    return np.sqrt(per).T


def clip_by_value(grads, max_value):
    """The course's clip: every gradient entry into [-max_value, max_value] (new dict)."""
    return {k: np.clip(v, -max_value, max_value) for k, v in grads.items()}


def global_norm(grads):
    """sqrt(Σ over all gradients of Σ g²), without overflow for large finite gradients."""
    return scaled_norm(np.array([scaled_norm(v) for v in grads.values()]))


def clip_by_global_norm(grads, max_norm):
    """Scale all gradients by min(1, max_norm / ||g||). Returns (new dict, norm before)."""
    norm = global_norm(grads)
    scale = min(1.0, max_norm / norm) if norm > 0 and np.isfinite(norm) else 1.0
    return {k: v * scale for k, v in grads.items()}, norm


def gradient_check(model, x, y, keys=None, n_entries=3, eps=1e-5, rng=None, at="all",
                   keep=None):
    """Analytic vs centred finite differences for a few entries of some parameters.

    Draws `n_entries` random entries of each parameter; with `keep`, only the `keep` of them
    with the largest analytic gradient (in that order) are checked, so the two forward passes
    an entry costs are spent where the gradient is not (near) zero. Returns a list of dicts
    (param, index, analytic, numeric, rel_error). The model's parameters are restored
    afterwards. Use a float64 model.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    _, grads, _ = model.backward(model.forward(x), y, at=at)
    rows = []
    for key in keys or list(model.params):
        W = model.params[key]
        drawn = [np.unravel_index(int(flat), W.shape)
                 for flat in rng.choice(W.size, size=min(n_entries, W.size), replace=False)]
        if keep is not None:
            drawn = sorted(drawn, key=lambda idx: -abs(float(grads[key][idx])))[:keep]
        for idx in drawn:
            old = W[idx]
            W[idx] = old + eps
            lp = model.loss(model.forward(x), y, at=at)
            W[idx] = old - eps
            lm = model.loss(model.forward(x), y, at=at)
            W[idx] = old
            num = (lp - lm) / (2 * eps)
            ana = float(grads[key][idx])
            rel = abs(ana - num) / max(abs(ana) + abs(num), 1e-12)
            rows.append({"param": key, "index": tuple(int(i) for i in idx), "analytic": ana,
                         "numeric": num, "rel_error": rel})
    return rows


# -- curves and summaries behind the figures (moved out of rnnviz.figures) ---------------------

VANISH_RATIO = 1e-3
GRADIENT_MEASURES = ("loss", "jacobian")


def repeat_ids(ids, T: int) -> tuple[np.ndarray, int]:
    """(T input ids, the target of step T): `ids` repeated as often as needed."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.size == 0:
        raise ValueError("no tokens to repeat")
    reps = -(-(T + 1) // ids.size)
    stream = np.tile(ids, reps)[: T + 1]
    return stream[:T], int(stream[T])


def gradient_curves(models: dict, x, target: int, measure: str = "loss") -> dict:
    """Per model name: {"norms": (T,) float64, "grads": {param: array}, "loss": float,
    "nonfinite": bool}. The loss is the cross-entropy at T_x only, so every step's gradient
    arrives through the recurrence alone. measure "loss": ||∂L/∂a<t>||; "jacobian":
    ||∂a<T_x>/∂a<t>||_F (`state_jacobian_norms`, its GEMMs in float32: a chart's precision at
    2-2.5× the speed of float64)."""
    if measure not in GRADIENT_MEASURES:
        raise ValueError(f"measure must be one of {list(GRADIENT_MEASURES)}")
    out = {}
    for name, model in models.items():
        with np.errstate(all="ignore"):
            tr = model.forward(x)
            loss, grads, bt = model.backward(tr, np.array([target]), at="last")
            norms = (np.asarray(bt.grad_norm, dtype=np.float64) if measure == "loss"
                     else state_jacobian_norms(model, tr, dtype=np.float32))
        bad = bool(tr.nonfinite.any() or not np.all(np.isfinite(norms))
                   or not np.isfinite(loss))
        out[name] = {"norms": norms, "grads": grads, "loss": float(loss), "nonfinite": bad}
    return out


def vanishing_reach(norms, ratio: float = VANISH_RATIO) -> int | None:
    """Steps back from T_x after which the norm stays below ratio × its value at T_x: the
    smallest k such that every step k, k+1, ... back (t = T_x - k down to 1) is below. None
    if the earliest step is still above (the gradient never vanishes within the sequence) or
    the curve is not finite and positive at T_x. A one-off dip that recovers does not count;
    a NaN counts as below (the gradient is gone)."""
    norms = np.asarray(norms, dtype=np.float64)
    ref = norms[-1] if norms.size else np.nan
    if not np.isfinite(ref) or ref <= 0:
        return None
    above = np.flatnonzero(norms[::-1] >= ratio * ref)        # steps back that still reach
    k = int(above[-1]) + 1
    return None if k >= norms.size else k


def decay_per_step(norms) -> float | None:
    """The factor the norm is multiplied by per step back, fitted to log10 of the finite,
    positive points (least squares): 0.5 halves the gradient every step, 1 keeps it. None
    with fewer than two such points."""
    norms = np.asarray(norms, dtype=np.float64)
    back = np.arange(norms.size)[::-1].astype(np.float64)      # steps back from T_x
    ok = np.isfinite(norms) & (norms > 0)
    if ok.sum() < 2:
        return None
    slope = np.polyfit(back[ok], np.log10(norms[ok]), 1)[0]
    return float(10.0 ** slope)


def growth(norms) -> float:
    """max_t ||·|| / ||·|| at T_x: above ~1e3 the gradient explodes going back."""
    norms = np.asarray(norms, dtype=np.float64)
    finite = norms[np.isfinite(norms)]
    if not finite.size or not np.isfinite(norms[-1]) or norms[-1] <= 0:
        return float("inf")
    return float(finite.max() / norms[-1])


def _flat(grads) -> np.ndarray:
    return np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in grads.values()])


def clip_summary(grads: dict, method: str, threshold: float) -> dict:
    """Global norm and largest entry before/after clipping, and the cosine between the
    clipped and the original gradient (1 = same direction). method: "none" | "value" |
    "norm" (`clip_by_value` / `clip_by_global_norm`)."""
    with np.errstate(all="ignore"):
        if method == "value":
            clipped = clip_by_value(grads, threshold)
        elif method == "norm":
            clipped, _ = clip_by_global_norm(grads, threshold)
        else:
            clipped = grads
        g, c = _flat(grads), _flat(clipped)
        ok = np.isfinite(g).all() and np.isfinite(c).all()
        denom = np.linalg.norm(g) * np.linalg.norm(c)
        cos = float(g @ c / denom) if ok and denom > 0 else float("nan")
    return {"norm_before": global_norm(grads), "norm_after": global_norm(clipped),
            "max_before": _max_abs(g), "max_after": _max_abs(c), "cosine": cos}


def _max_abs(v: np.ndarray) -> float:
    """The largest |entry| that is not NaN: 0 for no entries, NaN when every entry is NaN
    (a model whose gradients overflowed; numpy's nanmax would warn "All-NaN slice")."""
    if v.size == 0:
        return 0.0
    seen = v[~np.isnan(v)]
    return float(np.abs(seen).max()) if seen.size else float("nan")


def direction_split(Wy: np.ndarray, by: np.ndarray, a_fwd: np.ndarray, a_bwd: np.ndarray,
                    cls: int = 1) -> dict:
    """Split the score of class `cls` at every step into forward, backward and bias parts.

    The score is s<t> = z_cls<t> - mean of the other classes' z<t> (for two classes: the
    log-odds log ŷ_cls / ŷ_other). Because z_y<t> = W_y [a→<t>; a←<t>] + b_y is linear,
    s<t> = w_→ · a→<t> + w_← · a←<t> + b exactly, with w = W_y[cls] - mean(W_y[others]).
    a_fwd, a_bwd: (n_a, T). Returns dict fwd (T,), bwd (T,), bias (float), total (T,).
    """
    Wy = np.asarray(Wy, dtype=np.float64)
    by = np.asarray(by, dtype=np.float64).ravel()
    others = [k for k in range(Wy.shape[0]) if k != cls]
    w = Wy[cls] - Wy[others].mean(axis=0)
    b = float(by[cls] - by[others].mean())
    n_a = np.asarray(a_fwd).shape[0]
    fwd = w[:n_a] @ np.asarray(a_fwd, dtype=np.float64)
    bwd = w[n_a:] @ np.asarray(a_bwd, dtype=np.float64)
    return {"fwd": fwd, "bwd": bwd, "bias": b, "total": fwd + bwd + b}


def suggest_units(trace, key="a", k=5, example=0) -> list[tuple[int, str]]:
    """Units worth a look: [(unit, why)], the ones that change most over the sentence first.

    Score: the standard deviation of the unit over time (a unit that sits still says
    nothing); each reason names the unit's range so the learner knows what colour to expect.
    """
    v = np.asarray(trace[key][:, example, :], dtype=np.float64)
    v = np.where(np.isfinite(v), v, 0.0)
    std = v.std(axis=1)
    order = np.argsort(-std, kind="stable")[:k]
    out = []
    for u in order:
        lo, hi = float(v[u].min()), float(v[u].max())
        flips = int(np.sum(np.diff(np.sign(v[u])) != 0))
        out.append((int(u), f"std {std[u]:.2f}, from {lo:+.2f} to {hi:+.2f}, "
                            f"{flips} sign change{'s' if flips != 1 else ''}"))
    return out


def most_active_units(A: np.ndarray, k: int) -> np.ndarray:
    """Indices (ascending) of the k rows of A (n_a, S) with the largest standard deviation
    over the steps: the units that change most while the text is written."""
    A = np.nan_to_num(np.asarray(A, dtype=np.float64))
    if A.shape[0] <= k:
        return np.arange(A.shape[0])
    return np.sort(np.argsort(-A.std(axis=1), kind="stable")[:k])


def shared_prefix(a, b) -> int:
    """How many leading items two sequences share (words, characters, ...)."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def shared_prefix_table(words_a, words_b, out_a: dict, out_b: dict, what: str = "value"):
    """(n, rows): n = the number of words the two sentences share from the start, and one row
    per model with its output at word n in each sentence and their |difference| — equal for a
    model that has read only that shared prefix. (0, []) without a shared word."""
    n = shared_prefix(words_a, words_b)
    if not n:
        return 0, []
    rows = []
    for name in out_a:
        va, vb = float(out_a[name][n - 1]), float(out_b[name][n - 1])
        rows.append({"model": name, f"{what} in A": va, f"{what} in B": vb,
                     "|difference|": abs(va - vb)})
    return n, rows


def future_sensitivity(S) -> float:
    """The largest ||∂ŷ<t>/∂x<t'>|| with t' > t (right of the diagonal of a sensitivity
    matrix): 0 for a model that reads left to right only; 0.0 for an empty matrix."""
    S = np.asarray(S, dtype=np.float64)
    upper = np.triu(S, k=1)
    return float(upper.max()) if upper.size else 0.0
