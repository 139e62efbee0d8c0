"""Independent NumPy re-implementations of the course's equations, for the tests to compare with.

Deliberately naive: one equation per line, one time step at a time, σ(z) = 1 / (1 + e^-z),
no fused weights, no shared code with rnnviz. Arrays use the course's layout (n, m, T_x).
Forward functions return a dict with the trace key names of docs/architecture.md; backward
functions take the upstream gradient of every a<t> and return the parameter gradients (seed
names), dx, the gradient of the initial state and the per-step BackwardTrace quantities.
"""

import numpy as np


def sigmoid(z):
    with np.errstate(over="ignore"):          # e^-z = inf gives the right limit 0
        return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def split_blocks(W, n_a):
    """W = [W_a | W_x] (n_a, n_a + n_x) -> (W_a, W_x)."""
    return W[:, :n_a], W[:, n_a:]


# ---------------------------------------------------------------------------------------------
# forward


def rnn_forward(x, a0, p, activation="tanh"):
    n_x, m, T = x.shape
    n_a = a0.shape[0]
    out = {k: np.zeros((n_a, m, T)) for k in ("z_a", "a")}
    a_prev = a0
    for t in range(T):
        z = p["Waa"] @ a_prev + p["Wax"] @ x[:, :, t] + p["ba"]
        a = np.tanh(z) if activation == "tanh" else np.maximum(z, 0)
        out["z_a"][:, :, t] = z
        out["a"][:, :, t] = a
        a_prev = a
    return out


def lstm_forward(x, a0, c0, p):
    n_x, m, T = x.shape
    n_a = a0.shape[0]
    keys = ("z_f", "z_u", "z_c", "z_o", "gamma_f", "gamma_u", "c_tilde", "gamma_o", "c", "a")
    out = {k: np.zeros((n_a, m, T)) for k in keys}
    a_prev, c_prev = a0, c0
    for t in range(T):
        concat = np.concatenate([a_prev, x[:, :, t]], axis=0)
        z_f = p["Wf"] @ concat + p["bf"]
        z_u = p["Wi"] @ concat + p["bi"]
        z_c = p["Wc"] @ concat + p["bc"]
        z_o = p["Wo"] @ concat + p["bo"]
        gamma_f = sigmoid(z_f)
        gamma_u = sigmoid(z_u)
        c_tilde = np.tanh(z_c)
        gamma_o = sigmoid(z_o)
        c = gamma_f * c_prev + gamma_u * c_tilde
        a = gamma_o * np.tanh(c)
        for k, v in zip(keys, (z_f, z_u, z_c, z_o, gamma_f, gamma_u, c_tilde, gamma_o, c, a),
                        strict=True):
            out[k][:, :, t] = v
        a_prev, c_prev = a, c
    return out


def gru_forward(x, c0, p):
    n_x, m, T = x.shape
    n_a = c0.shape[0]
    keys = ("z_u", "z_r", "z_c", "gamma_u", "gamma_r", "c_tilde", "c")
    out = {k: np.zeros((n_a, m, T)) for k in keys}
    c_prev = c0
    for t in range(T):
        xt = x[:, :, t]
        concat = np.concatenate([c_prev, xt], axis=0)
        z_u = p["Wu"] @ concat + p["bu"]
        z_r = p["Wr"] @ concat + p["br"]
        gamma_u = sigmoid(z_u)
        gamma_r = sigmoid(z_r)
        z_c = p["Wc"] @ np.concatenate([gamma_r * c_prev, xt], axis=0) + p["bc"]
        c_tilde = np.tanh(z_c)
        c = gamma_u * c_tilde + (1 - gamma_u) * c_prev
        for k, v in zip(keys, (z_u, z_r, z_c, gamma_u, gamma_r, c_tilde, c), strict=True):
            out[k][:, :, t] = v
        c_prev = c
    out["a"] = out["c"]
    return out


def forward(cell, x, state0, p, activation="tanh"):
    """Dispatch on the cell; state0 = (a0, c0) (c0 only used by the LSTM)."""
    a0, c0 = state0
    if cell == "rnn":
        return rnn_forward(x, a0, p, activation)
    if cell == "gru":
        return gru_forward(x, a0, p)
    return lstm_forward(x, a0, c0, p)


# ---------------------------------------------------------------------------------------------
# backward (BPTT): da (n_a, m, T) is the gradient reaching each a<t> from outside the recursion


def rnn_backward(da, x, a0, p, fwd, activation="tanh"):
    n_a, m, T = da.shape
    g = {"dWax": np.zeros_like(p["Wax"]), "dWaa": np.zeros_like(p["Waa"]),
         "dba": np.zeros_like(p["ba"]), "dx": np.zeros_like(x),
         "da": np.zeros_like(da), "dz_a": np.zeros_like(da)}
    da_next = np.zeros((n_a, m))
    for t in reversed(range(T)):
        a_prev = a0 if t == 0 else fwd["a"][:, :, t - 1]
        da_t = da[:, :, t] + da_next                        # from outside + from step t+1
        if activation == "tanh":
            dz = da_t * (1 - fwd["a"][:, :, t] ** 2)        # tanh'
        else:
            dz = da_t * (fwd["z_a"][:, :, t] > 0)           # ReLU'
        g["dWax"] += dz @ x[:, :, t].T
        g["dWaa"] += dz @ a_prev.T
        g["dba"] += dz.sum(axis=1, keepdims=True)
        g["dx"][:, :, t] = p["Wax"].T @ dz
        g["da"][:, :, t] = da_t
        g["dz_a"][:, :, t] = dz
        da_next = p["Waa"].T @ dz
    g["da0"] = da_next
    return g


def lstm_backward(da, x, a0, c0, p, fwd):
    n_a, m, T = da.shape
    g = {k: np.zeros_like(p[k[1:]]) for k in ("dWf", "dWi", "dWc", "dWo",
                                               "dbf", "dbi", "dbc", "dbo")}
    g["dx"] = np.zeros_like(x)
    per_step = ("da", "dc", "dgamma_f", "dgamma_u", "dgamma_o", "dc_tilde",
                "dz_f", "dz_u", "dz_o", "dz_c")
    g.update({k: np.zeros_like(da) for k in per_step})
    da_next = np.zeros((n_a, m))
    dc_next = np.zeros((n_a, m))
    for t in reversed(range(T)):
        a_prev = a0 if t == 0 else fwd["a"][:, :, t - 1]
        c_prev = c0 if t == 0 else fwd["c"][:, :, t - 1]
        f, u, o = fwd["gamma_f"][:, :, t], fwd["gamma_u"][:, :, t], fwd["gamma_o"][:, :, t]
        cct, c = fwd["c_tilde"][:, :, t], fwd["c"][:, :, t]
        da_t = da[:, :, t] + da_next
        dc_t = dc_next + da_t * o * (1 - np.tanh(c) ** 2)    # a<t> = Γo tanh(c<t>)
        dgamma_o = da_t * np.tanh(c)
        dgamma_f = dc_t * c_prev                              # c<t> = Γf c<t-1> + Γu c̃<t>
        dgamma_u = dc_t * cct
        dc_tilde = dc_t * u
        dz_o = dgamma_o * o * (1 - o)
        dz_f = dgamma_f * f * (1 - f)
        dz_u = dgamma_u * u * (1 - u)
        dz_c = dc_tilde * (1 - cct ** 2)
        concat = np.concatenate([a_prev, x[:, :, t]], axis=0)
        g["dWf"] += dz_f @ concat.T
        g["dWi"] += dz_u @ concat.T
        g["dWc"] += dz_c @ concat.T
        g["dWo"] += dz_o @ concat.T
        g["dbf"] += dz_f.sum(axis=1, keepdims=True)
        g["dbi"] += dz_u.sum(axis=1, keepdims=True)
        g["dbc"] += dz_c.sum(axis=1, keepdims=True)
        g["dbo"] += dz_o.sum(axis=1, keepdims=True)
        dconcat = p["Wf"].T @ dz_f + p["Wi"].T @ dz_u + p["Wc"].T @ dz_c + p["Wo"].T @ dz_o
        g["dx"][:, :, t] = dconcat[n_a:]
        for k, v in zip(per_step, (da_t, dc_t, dgamma_f, dgamma_u, dgamma_o, dc_tilde,
                                   dz_f, dz_u, dz_o, dz_c), strict=True):
            g[k][:, :, t] = v
        da_next = dconcat[:n_a]
        dc_next = dc_t * f
    g["da0"] = da_next
    g["dc0"] = dc_next
    return g


def gru_backward(dc, x, c0, p, fwd):
    n_a, m, T = dc.shape
    g = {k: np.zeros_like(p[k[1:]]) for k in ("dWu", "dWr", "dWc", "dbu", "dbr", "dbc")}
    g["dx"] = np.zeros_like(x)
    per_step = ("dc", "dgamma_u", "dgamma_r", "dc_tilde", "dz_u", "dz_r", "dz_c")
    g.update({k: np.zeros_like(dc) for k in per_step})
    dc_next = np.zeros((n_a, m))
    for t in reversed(range(T)):
        c_prev = c0 if t == 0 else fwd["c"][:, :, t - 1]
        u, r, cct = fwd["gamma_u"][:, :, t], fwd["gamma_r"][:, :, t], fwd["c_tilde"][:, :, t]
        xt = x[:, :, t]
        dc_t = dc[:, :, t] + dc_next
        dgamma_u = dc_t * (cct - c_prev)                      # c<t> = Γu c̃ + (1 - Γu) c<t-1>
        dc_tilde = dc_t * u
        dz_u = dgamma_u * u * (1 - u)
        dz_c = dc_tilde * (1 - cct ** 2)
        d_concat_r = p["Wc"].T @ dz_c                         # ∂/∂[Γr * c<t-1>; x<t>]
        d_rc = d_concat_r[:n_a]
        dgamma_r = d_rc * c_prev
        dz_r = dgamma_r * r * (1 - r)
        concat = np.concatenate([c_prev, xt], axis=0)
        concat_r = np.concatenate([r * c_prev, xt], axis=0)
        g["dWu"] += dz_u @ concat.T
        g["dWr"] += dz_r @ concat.T
        g["dWc"] += dz_c @ concat_r.T
        g["dbu"] += dz_u.sum(axis=1, keepdims=True)
        g["dbr"] += dz_r.sum(axis=1, keepdims=True)
        g["dbc"] += dz_c.sum(axis=1, keepdims=True)
        d_concat = p["Wu"].T @ dz_u + p["Wr"].T @ dz_r
        g["dx"][:, :, t] = d_concat_r[n_a:] + d_concat[n_a:]
        for k, v in zip(per_step, (dc_t, dgamma_u, dgamma_r, dc_tilde, dz_u, dz_r, dz_c),
                        strict=True):
            g[k][:, :, t] = v
        dc_next = dc_t * (1 - u) + d_rc * r + d_concat[:n_a]
    g["dc0"] = dc_next
    g["da"] = g["dc"]
    return g


def backward(cell, da, x, state0, p, fwd, activation="tanh"):
    a0, c0 = state0
    if cell == "rnn":
        return rnn_backward(da, x, a0, p, fwd, activation)
    if cell == "gru":
        return gru_backward(da, x, a0, p, fwd)
    return lstm_backward(da, x, a0, c0, p, fwd)


# ---------------------------------------------------------------------------------------------
# heads and loss


def head(head_name, a, Wy, by):
    """(z_y, ŷ) for every step: z_y<t> = W_y a<t> + b_y; softmax or σ."""
    z_y = np.einsum("ya,amt->ymt", Wy, a) + by[:, :, None]
    if head_name == "many_to_one_sigmoid":
        return z_y, sigmoid(z_y)
    y_hat = np.stack([softmax(z_y[:, :, t]) for t in range(z_y.shape[2])], axis=2)
    return z_y, y_hat


def loss(head_name, y_hat, y, at="all"):
    """Cross-entropy summed over the steps with a target, averaged over the m examples."""
    n_y, m, T = y_hat.shape
    total = 0.0
    for i in range(m):
        if head_name == "many_to_one_sigmoid":
            p1 = y_hat[0, i, T - 1]
            total -= y[i] * np.log(p1) + (1 - y[i]) * np.log(1 - p1)
        elif head_name == "many_to_one" or at == "last":
            label = y[i] if np.ndim(y) == 1 else y[i, T - 1]
            total -= np.log(y_hat[label, i, T - 1])
        else:
            for t in range(T):
                if y[i, t] >= 0:
                    total -= np.log(y_hat[y[i, t], i, t])
    return total / m


# ---------------------------------------------------------------------------------------------
# finite differences


def numeric_grad(f, arr, eps=1e-5):
    """Centred differences of the scalar f() w.r.t. every entry of arr (perturbed in place)."""
    g = np.zeros(arr.shape)
    for idx in np.ndindex(arr.shape):
        old = arr[idx]
        arr[idx] = old + eps
        f_plus = f()
        arr[idx] = old - eps
        f_minus = f()
        arr[idx] = old
        g[idx] = (f_plus - f_minus) / (2 * eps)
    return g


def numeric_grad_sampled(f, arr, ana, rng, k=6):
    """(numeric, analytic) at k random entries of arr: centred differences of f() there."""
    flat = rng.choice(arr.size, size=min(k, arr.size), replace=False)
    idx = [np.unravel_index(int(i), arr.shape) for i in flat]
    num = np.empty(len(idx))
    for j, i in enumerate(idx):
        old = arr[i]
        arr[i] = old + 1e-5
        f_plus = f()
        arr[i] = old - 1e-5
        f_minus = f()
        arr[i] = old
        num[j] = (f_plus - f_minus) / 2e-5
    return num, np.array([ana[i] for i in idx])


def rel_error(num, ana):
    """||num - ana|| / (||num|| + ||ana||), 0 when both are exactly zero."""
    den = np.linalg.norm(num) + np.linalg.norm(ana)
    return 0.0 if den == 0 else float(np.linalg.norm(num - ana) / den)
