"""The course's cell functions: one time step, forward and backward, one equation per line.

These follow the classic "Building your Recurrent Neural Network - Step by Step" exercise:
same names, argument order, dict keys and shapes. Column vectors: xt (n_x, m), a_prev (n_a, m).

Each cell's forward equations are written once, here, in its readable step (`rnn_step`,
`lstm_step`, `gru_step`): one equation a line, no head. The course's `*_cell_forward` is that
step plus the softmax head; the cell objects' `step` methods (rnnviz.core.recurrent) call it,
and `Model.forward(..., interventions=...)` runs it step by step. The fused loops of the cell
objects are the fast path, tested equal to these steps (tests/core/test_readable_steps.py).
The app's Forward page shows the same equations, rendered by the cell objects.

Edit hook. Every readable step takes `edit(name, value) -> value`, called after each named
quantity is computed: pre-activations ("z_f", ...), gates ("gamma_f", "gamma_u", "gamma_o",
"gamma_r", "c_tilde") and states ("c", "a"). The later equations of the same step use what it
returns: clamping Γf to 1 keeps c<t-1> in that step's c<t>. The default, `keep`, changes
nothing.

Caches are NamedTuples: they unpack by position exactly like the exercise's tuples, and the
visualizer reads them by name (cache.ft, cache.cct, ...).
"""

from typing import NamedTuple

import numpy as np

from rnnviz.core.functional import sigmoid, softmax


class RNNCache(NamedTuple):
    a_next: np.ndarray   # a<t>      (n_a, m)
    a_prev: np.ndarray   # a<t-1>    (n_a, m)
    xt: np.ndarray       # x<t>      (n_x, m)
    parameters: dict


class LSTMCache(NamedTuple):
    a_next: np.ndarray   # a<t>
    c_next: np.ndarray   # c<t>
    a_prev: np.ndarray   # a<t-1>
    c_prev: np.ndarray   # c<t-1>
    ft: np.ndarray       # Γf<t>  forget gate
    it: np.ndarray       # Γu<t>  update gate
    cct: np.ndarray      # c̃<t>   candidate
    ot: np.ndarray       # Γo<t>  output gate
    xt: np.ndarray       # x<t>
    parameters: dict


class GRUCache(NamedTuple):
    c_next: np.ndarray   # c<t> (= a<t>)
    c_prev: np.ndarray   # c<t-1>
    ut: np.ndarray       # Γu<t>  update gate
    rt: np.ndarray       # Γr<t>  relevance (reset) gate
    cct: np.ndarray      # c̃<t>   candidate
    xt: np.ndarray       # x<t>
    parameters: dict


# ---------------------------------------------------------------------------------------------
# Vanilla RNN


def keep(name, value):
    """The default edit hook: every quantity as the equations computed it."""
    return value


def rnn_step(xt, a_prev, parameters, edit=keep, activation="tanh"):
    """One RNN step without the head: a<t> and the cache.

        z<t> = W_aa a<t-1> + W_ax x<t> + b_a
        a<t> = tanh(z<t>)          (or ReLU(z<t>))
    """
    z = edit("z_a", parameters["Waa"] @ a_prev + parameters["Wax"] @ xt + parameters["ba"])
    a_next = edit("a", np.tanh(z) if activation == "tanh" else np.maximum(z, 0))
    return a_next, RNNCache(a_next, a_prev, xt, parameters)


def rnn_cell_forward(xt, a_prev, parameters):
    """One RNN step (`rnn_step`) and its prediction.

        a<t> = tanh(W_aa a<t-1> + W_ax x<t> + b_a)
        ŷ<t> = softmax(W_ya a<t> + b_y)

    parameters: Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1).
    Returns a_next (n_a, m), yt_pred (n_y, m), cache = (a_next, a_prev, xt, parameters).
    """
    a_next, cache = rnn_step(xt, a_prev, parameters)
    yt_pred = softmax(parameters["Wya"] @ a_next + parameters["by"])
    return a_next, yt_pred, cache


def rnn_cell_backward(da_next, cache):
    """Backward through one RNN step. da_next = ∂J/∂a<t> (n_a, m).

    Returns dict dxt (n_x, m), da_prev (n_a, m), dWax, dWaa, dba.
    """
    a_next, a_prev, xt, parameters = cache
    Wax, Waa = parameters["Wax"], parameters["Waa"]
    dz = (1 - a_next ** 2) * da_next          # through tanh: tanh'(z) = 1 - a<t>²
    dxt = Wax.T @ dz
    dWax = dz @ xt.T
    da_prev = Waa.T @ dz
    dWaa = dz @ a_prev.T
    dba = np.sum(dz, axis=1, keepdims=True)
    return {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}


# ---------------------------------------------------------------------------------------------
# LSTM


def lstm_step(xt, a_prev, c_prev, parameters, edit=keep):
    """One LSTM step without the head: a<t>, c<t> and the cache (course notation: Wi/bi is the
    update gate Γu). Gate weights (n_a, n_a + n_x) read [a<t-1>; x<t>], biases (n_a, 1)."""
    p = parameters
    concat = np.concatenate((a_prev, xt), axis=0)                       # [a<t-1>; x<t>]
    ft = edit("gamma_f", sigmoid(edit("z_f", p["Wf"] @ concat + p["bf"])))   # Γf
    it = edit("gamma_u", sigmoid(edit("z_u", p["Wi"] @ concat + p["bi"])))   # Γu
    cct = edit("c_tilde", np.tanh(edit("z_c", p["Wc"] @ concat + p["bc"])))  # c̃<t>
    c_next = edit("c", ft * c_prev + it * cct)                          # c<t>
    ot = edit("gamma_o", sigmoid(edit("z_o", p["Wo"] @ concat + p["bo"])))   # Γo
    a_next = edit("a", ot * np.tanh(c_next))                            # a<t>
    return a_next, c_next, LSTMCache(a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, p)


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    """One LSTM step (`lstm_step`) and its prediction.

        Γf = σ(W_f [a<t-1>; x<t>] + b_f)
        Γu = σ(W_i [a<t-1>; x<t>] + b_i)
        c̃<t> = tanh(W_c [a<t-1>; x<t>] + b_c)
        c<t> = Γf * c<t-1> + Γu * c̃<t>
        Γo = σ(W_o [a<t-1>; x<t>] + b_o)
        a<t> = Γo * tanh(c<t>)
        ŷ<t> = softmax(W_y a<t> + b_y)

    Gate weights are (n_a, n_a + n_x), biases (n_a, 1); Wy (n_y, n_a), by (n_y, 1).
    Returns a_next, c_next, yt_pred, cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot,
    xt, parameters).
    """
    a_next, c_next, cache = lstm_step(xt, a_prev, c_prev, parameters)
    yt_pred = softmax(parameters["Wy"] @ a_next + parameters["by"])
    return a_next, c_next, yt_pred, cache


def lstm_cell_backward(da_next, dc_next, cache):
    """Backward through one LSTM step.

    da_next = ∂J/∂a<t>, dc_next = ∂J/∂c<t> arriving from step t+1 (both (n_a, m)).
    Returns dict dxt, da_prev, dc_prev, dWf, dWi, dWc, dWo, dbf, dbi, dbc, dbo; the gate
    gradients are taken through each gate's activation (w.r.t. its pre-activation).
    """
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    tanh_c = np.tanh(c_next)
    dc = dc_next + da_next * ot * (1 - tanh_c ** 2)   # everything that reaches c<t>
    dot = da_next * tanh_c * ot * (1 - ot)            # ∂J/∂z_o
    dcct = dc * it * (1 - cct ** 2)                   # ∂J/∂z_c
    dit = dc * cct * it * (1 - it)                    # ∂J/∂z_i  (update gate Γu)
    dft = dc * c_prev * ft * (1 - ft)                 # ∂J/∂z_f
    concat = np.concatenate((a_prev, xt), axis=0)
    dWf = dft @ concat.T
    dWi = dit @ concat.T
    dWc = dcct @ concat.T
    dWo = dot @ concat.T
    dbf = np.sum(dft, axis=1, keepdims=True)
    dbi = np.sum(dit, axis=1, keepdims=True)
    dbc = np.sum(dcct, axis=1, keepdims=True)
    dbo = np.sum(dot, axis=1, keepdims=True)
    Wf, Wi, Wc, Wo = parameters["Wf"], parameters["Wi"], parameters["Wc"], parameters["Wo"]
    dconcat = Wf.T @ dft + Wi.T @ dit + Wc.T @ dcct + Wo.T @ dot
    da_prev = dconcat[:n_a]
    dxt = dconcat[n_a:]
    dc_prev = dc * ft
    return {"dxt": dxt, "da_prev": da_prev, "dc_prev": dc_prev,
            "dWf": dWf, "dbf": dbf, "dWi": dWi, "dbi": dbi,
            "dWc": dWc, "dbc": dbc, "dWo": dWo, "dbo": dbo}


# ---------------------------------------------------------------------------------------------
# GRU (the course's full GRU; a<t> = c<t>)


def gru_step(xt, c_prev, parameters, edit=keep, variant="course"):
    """One GRU step without the head: c<t> (= a<t>) and the cache.

    variant "course": the notes' full GRU, Γr multiplies c<t-1> before the matmul;
    variant "torch": PyTorch's nn.GRU, Γr multiplies the recurrent product W_ca c<t-1> + b_ca
    (parameters then hold bca). That line is the only difference.
    """
    p, n = parameters, c_prev.shape[0]
    concat = np.concatenate((c_prev, xt), axis=0)                       # [c<t-1>; x<t>]
    ut = edit("gamma_u", sigmoid(edit("z_u", p["Wu"] @ concat + p["bu"])))   # Γu
    rt = edit("gamma_r", sigmoid(edit("z_r", p["Wr"] @ concat + p["br"])))   # Γr
    if variant == "torch":      # z_c = W_cx x<t> + b_c + Γr * (W_ca c<t-1> + b_ca)
        zc = p["Wc"][:, n:] @ xt + p["bc"] + rt * (p["Wc"][:, :n] @ c_prev + p["bca"])
    else:                       # z_c = W_c [Γr * c<t-1>; x<t>] + b_c
        zc = p["Wc"] @ np.concatenate((rt * c_prev, xt), axis=0) + p["bc"]
    cct = edit("c_tilde", np.tanh(edit("z_c", zc)))                    # c̃<t>
    c_next = edit("a", edit("c", ut * cct + (1 - ut) * c_prev))         # c<t> = a<t>
    return c_next, GRUCache(c_next, c_prev, ut, rt, cct, xt, p)


def gru_cell_forward(xt, c_prev, parameters):
    """One GRU step (`gru_step`, the course's full GRU) and its prediction.

        Γu = σ(W_u [c<t-1>; x<t>] + b_u)
        Γr = σ(W_r [c<t-1>; x<t>] + b_r)
        c̃<t> = tanh(W_c [Γr * c<t-1>; x<t>] + b_c)
        c<t> = Γu * c̃<t> + (1 - Γu) * c<t-1>
        ŷ<t> = softmax(W_y c<t> + b_y)

    Wu, Wr, Wc are (n_a, n_a + n_x); bu, br, bc (n_a, 1); Wy (n_y, n_a), by (n_y, 1).
    (PyTorch's nn.GRU instead applies the reset gate after the matmul: `gru_step(...,
    variant="torch")`.)
    Returns c_next, yt_pred, cache = (c_next, c_prev, ut, rt, cct, xt, parameters).
    """
    c_next, cache = gru_step(xt, c_prev, parameters)
    yt_pred = softmax(parameters["Wy"] @ c_next + parameters["by"])
    return c_next, yt_pred, cache


def gru_cell_backward(dc_next, cache):
    """Backward through one GRU step. dc_next = ∂J/∂c<t> (n_a, m), everything reaching c<t>.

    Returns dict dxt, dc_prev, dWu, dWr, dWc, dbu, dbr, dbc (gate gradients through σ/tanh).
    """
    c_next, c_prev, ut, rt, cct, xt, parameters = cache
    n_a = c_next.shape[0]
    Wu, Wr, Wc = parameters["Wu"], parameters["Wr"], parameters["Wc"]
    dcct = dc_next * ut * (1 - cct ** 2)                # ∂J/∂z_c
    dut = dc_next * (cct - c_prev) * ut * (1 - ut)      # ∂J/∂z_u
    concat_r = np.concatenate((rt * c_prev, xt), axis=0)
    dconcat_r = Wc.T @ dcct                             # ∂J/∂[Γr * c<t-1>; x<t>]
    drt = dconcat_r[:n_a] * c_prev * rt * (1 - rt)      # ∂J/∂z_r
    concat = np.concatenate((c_prev, xt), axis=0)
    dconcat = Wu.T @ dut + Wr.T @ drt                   # ∂J/∂[c<t-1>; x<t>] through Γu, Γr
    dc_prev = dc_next * (1 - ut) + dconcat_r[:n_a] * rt + dconcat[:n_a]
    dxt = dconcat_r[n_a:] + dconcat[n_a:]
    return {"dxt": dxt, "dc_prev": dc_prev,
            "dWu": dut @ concat.T, "dWr": drt @ concat.T, "dWc": dcct @ concat_r.T,
            "dbu": np.sum(dut, axis=1, keepdims=True),
            "dbr": np.sum(drt, axis=1, keepdims=True),
            "dbc": np.sum(dcct, axis=1, keepdims=True)}
