"""Gradient analysis for the app: Jacobian products, input sensitivity, clipping, checks."""

import numpy as np

from rnnviz.core import kernels
from rnnviz.core.functional import scaled_norm


def _step_jacobians(model, trace):
    """∂s<t>/∂s<t-1> for t = 1..T_x of the forward direction, s = a (RNN/GRU) or [a; c] (LSTM).

    Returns (T_x, m, n_s, n_s), exact, from the forward values in the trace.
    """
    cfg = model.config
    d = cfg.directions[0]
    tape = trace.tapes[d]
    p = cfg.prefix(d)
    P = model.params
    n = cfg.n_a
    if cfg.cell == "rnn":
        Waa = P[p + "Waa"]
        D = 1 - tape.A ** 2 if cfg.activation == "tanh" else (tape.Z > 0).astype(tape.A.dtype)
        return D[..., None] * Waa                             # diag(g'(z<t>)) W_aa
    if cfg.cell == "gru":
        Wu, Wr, Wc = (P[p + k][:, :n] for k in ("Wu", "Wr", "Wc"))
        G = tape.G
        U, R, CT = G[..., :n], G[..., n:2 * n], G[..., 2 * n:]
        C_prev = kernels._prev(tape.c0, tape.C)
        dU = (U * (1 - U) * (CT - C_prev))[..., None] * Wu    # through Γu
        dCT = (U * (1 - CT ** 2))[..., None]                   # ∂c<t>/∂z_c
        dR = (R * (1 - R) * C_prev)[..., None] * Wr            # ∂(Γr c<t-1>)/∂c<t-1> via Γr
        inner = np.einsum("ij,tmjk->tmik", Wc, dR + R[..., None] * np.eye(n))
        return np.eye(n) * (1 - U)[..., None] + dU + dCT * inner
    G = tape.G
    O, F, U, CT = (G[..., i * n:(i + 1) * n] for i in range(4))
    C_prev = kernels._prev(tape.c0, tape.C)
    Wo, Wf, Wi, Wc = (P[p + k][:, :n] for k in ("Wo", "Wf", "Wi", "Wc"))
    # ∂c<t>/∂a<t-1> and ∂c<t>/∂c<t-1> = diag(Γf)
    dc_da = ((C_prev * F * (1 - F))[..., None] * Wf + (CT * U * (1 - U))[..., None] * Wi
             + (U * (1 - CT ** 2))[..., None] * Wc)
    dc_dc = np.eye(n) * F[..., None]
    # a<t> = Γo tanh(c<t>)
    k = (O * (1 - tape.TC ** 2))[..., None]
    da_da = (tape.TC * O * (1 - O))[..., None] * Wo + k * dc_da
    da_dc = k * dc_dc
    top = np.concatenate([da_da, da_dc], axis=-1)
    bottom = np.concatenate([dc_da, dc_dc], axis=-1)
    return np.concatenate([top, bottom], axis=-2)


def state_jacobian_norms(model, trace, example=0):
    """||∂a<T_x>/∂a<t>||_F for t = 1..T_x: products of step Jacobians (sqrt(n_a) at T_x).

    For the LSTM the product runs over the full state [a; c]; the reported block is
    ∂a<T>/∂a<t> (c<t> held fixed). Unidirectional models, or the forward direction.
    """
    J = _step_jacobians(model, trace)[:, example]               # (T, n_s, n_s)
    T = J.shape[0]
    n = model.config.n_a
    out = np.empty(T)
    prod = np.eye(J.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(T - 1, -1, -1):
            out[t] = np.linalg.norm(prod[:n, :n])               # ∂a<T>/∂a<t+1> is out[t]
            prod = prod @ J[t]
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


def gradient_check(model, x, y, keys=None, n_entries=3, eps=1e-5, rng=None, at="all"):
    """Analytic vs centred finite differences for a few entries of some parameters.

    Returns a list of dicts (param, index, analytic, numeric, rel_error). The model's
    parameters are restored afterwards. Use a float64 model.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    _, grads, _ = model.backward(model.forward(x), y, at=at)
    rows = []
    for key in keys or list(model.params):
        W = model.params[key]
        for flat in rng.choice(W.size, size=min(n_entries, W.size), replace=False):
            idx = np.unravel_index(int(flat), W.shape)
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
