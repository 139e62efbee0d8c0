"""Gradient analysis for the app: Jacobian products, input sensitivity, clipping, checks."""

import numpy as np

from rnnviz.core.functional import scaled_norm


def _step_jacobians(model, trace):
    """∂s<t>/∂s<t-1> for t = 1..T_x of the forward direction of the top layer, s = a (RNN, GRU)
    or [a; c] (LSTM): (T_x, m, n_s, n_s), exact, from the forward values in the trace."""
    d = model.config.directions[0]
    layer = model.config.layers
    return model.cell.step_jacobians(model.cell_params(d, layer), trace.tapes[d])


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
