"""The seed's sequence functions: forward over T_x steps and BPTT, on the fused kernels.

Same API as the classic exercise: `rnn_forward(x, a0, parameters) -> (a, y_pred, caches)` with
`caches = (list of per-step caches, x)`, `rnn_backward(da, caches) -> dict`, and the same for
LSTM and GRU. `da` is the gradient reaching each a<t> from outside the recurrence (the output
layer is not part of these functions); the gradient carried back from step t+1 is added to
da[:, :, t]; `da0` is the gradient reaching a<0>.

The loops themselves live in `rnnviz.core.kernels` (fused, fast). The per-step caches are the
same NamedTuples as `rnnviz.core.cells`, built on demand as views into the fused buffers; a
list of caches made by calling the cell functions in a loop works as well.
"""

from collections.abc import Sequence

import numpy as np

from rnnviz.core import kernels
from rnnviz.core.cells import GRUCache, LSTMCache, RNNCache
from rnnviz.core.functional import softmax


def _rows(x, dtype):
    """(n, m, T_x) column layout -> (T_x, m, n) contiguous rows layout used by the kernels."""
    return np.ascontiguousarray(np.transpose(x, (2, 1, 0)), dtype=dtype)


def _cols(X):
    """(T_x, m, n) rows layout -> (n, m, T_x) view in the seed's layout."""
    return np.transpose(X, (2, 1, 0))


def _softmax_head(A, Wy, by):
    """ŷ<t> = softmax(W_y a<t> + b_y) for every t: (T, m, n_a) -> (n_y, m, T)."""
    Zy = kernels.matmul_rows(A, Wy.T)
    Zy += by[:, 0]
    return _cols(softmax(Zy, axis=-1))


def _dtype(parameters, key):
    dt = np.asarray(parameters[key]).dtype
    return dt if dt in (np.float32, np.float64) else np.float64


class StepCaches(Sequence):
    """caches[t] is the cell cache of step t, made on demand from the fused forward tape."""

    def __init__(self, tape, parameters, make):
        self.tape = tape
        self.parameters = parameters
        self._make = make

    def __len__(self):
        return self.tape.X.shape[0]

    def __getitem__(self, t):
        if isinstance(t, slice):
            return [self[i] for i in range(*t.indices(len(self)))]
        t = range(len(self))[t]
        return self._make(self.tape, self.parameters, t)


def _prev_of(seq, first, t):
    return (first if t == 0 else seq[t - 1]).T


# ---------------------------------------------------------------------------------------------
# RNN


def _rnn_cache(tape, parameters, t):
    return RNNCache(tape.A[t].T, _prev_of(tape.A, tape.a0, t), tape.X[t].T, parameters)


def rnn_forward(x, a0, parameters):
    """Forward pass of the RNN over T_x steps.

    x (n_x, m, T_x), a0 (n_a, m); parameters Wax, Waa, Wya, ba, by.
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x), caches = (list of caches, x).
    """
    dt = _dtype(parameters, "Wax")
    P = kernels.rnn_pack(parameters["Wax"], parameters["Waa"], parameters["ba"])
    tape = kernels.rnn_forward(P, _rows(x, dt), np.ascontiguousarray(a0.T, dtype=dt))
    y_pred = _softmax_head(tape.A, parameters["Wya"], parameters["by"])
    return _cols(tape.A), y_pred, (StepCaches(tape, parameters, _rnn_cache), x)


def _rnn_tape(step_caches, T):
    if isinstance(step_caches, StepCaches):
        return step_caches.tape
    cs = list(step_caches)[:T]
    p = cs[0].parameters
    dt = _dtype(p, "Wax")
    return kernels.RNNTape(
        X=np.stack([c.xt.T for c in cs]).astype(dt), Z=None,
        A=np.stack([c.a_next.T for c in cs]).astype(dt),
        a0=np.ascontiguousarray(cs[0].a_prev.T, dtype=dt),
        P=kernels.rnn_pack(p["Wax"], p["Waa"], p["ba"]), activation="tanh")


def rnn_backward(da, caches):
    """BPTT through the RNN. da (n_a, m, T_x): upstream gradient of every a<t>.

    Returns dict dx (n_x, m, T_x), da0 (n_a, m), dWax, dWaa, dba.
    """
    step_caches, _ = caches
    T = da.shape[2]
    tape = _rnn_tape(step_caches, T)
    n_a = tape.a0.shape[1]
    g = kernels.rnn_backward(tape, _rows(da, tape.A.dtype))
    (dW,), (dba,) = kernels.unpack_grad(g["dW"], g["db"], n_a, 1)
    return {"dx": _cols(g["dX"]), "da0": g["da0"].T,
            "dWax": dW[:, n_a:], "dWaa": dW[:, :n_a], "dba": dba}


# ---------------------------------------------------------------------------------------------
# LSTM


def _lstm_cache(tape, parameters, t):
    n = tape.A.shape[2]
    g = tape.G[t]
    o, f, u, cc = (g[:, i * n:(i + 1) * n].T for i in range(4))
    return LSTMCache(tape.A[t].T, tape.C[t].T, _prev_of(tape.A, tape.a0, t),
                     _prev_of(tape.C, tape.c0, t), f, u, cc, o, tape.X[t].T, parameters)


def _lstm_pack(p):
    return kernels.lstm_pack(p["Wo"], p["Wf"], p["Wi"], p["Wc"], p["bo"], p["bf"], p["bi"],
                             p["bc"])


def lstm_forward(x, a0, parameters):
    """Forward pass of the LSTM over T_x steps, from c<0> = 0.

    x (n_x, m, T_x), a0 (n_a, m); parameters Wf, Wi, Wc, Wo (n_a, n_a + n_x), bf, bi, bc, bo
    (n_a, 1), Wy (n_y, n_a), by (n_y, 1).
    Returns a (n_a, m, T_x), y (n_y, m, T_x), c (n_a, m, T_x), caches = (list of caches, x).
    """
    dt = _dtype(parameters, "Wf")
    a0 = np.ascontiguousarray(a0.T, dtype=dt)
    tape = kernels.lstm_forward(_lstm_pack(parameters), _rows(x, dt), a0, np.zeros_like(a0))
    y = _softmax_head(tape.A, parameters["Wy"], parameters["by"])
    return _cols(tape.A), y, _cols(tape.C), (StepCaches(tape, parameters, _lstm_cache), x)


def _lstm_tape(step_caches, T):
    if isinstance(step_caches, StepCaches):
        return step_caches.tape
    cs = list(step_caches)[:T]
    p = cs[0].parameters
    dt = _dtype(p, "Wf")

    def rows(name):
        return np.stack([getattr(c, name).T for c in cs]).astype(dt)

    C = rows("c_next")
    G = np.concatenate([rows("ot"), rows("ft"), rows("it"), rows("cct")], axis=2)
    return kernels.LSTMTape(
        X=rows("xt"), Z=None, G=G, C=C, TC=np.tanh(C), A=rows("a_next"),
        a0=np.ascontiguousarray(cs[0].a_prev.T, dtype=dt),
        c0=np.ascontiguousarray(cs[0].c_prev.T, dtype=dt), P=_lstm_pack(p))


def lstm_backward(da, caches):
    """BPTT through the LSTM. da (n_a, m, T_x): upstream gradient of every a<t>.

    Returns dict dx (n_x, m, T_x), da0 (n_a, m), dWf, dWi, dWc, dWo, dbf, dbi, dbc, dbo.
    """
    step_caches, _ = caches
    tape = _lstm_tape(step_caches, da.shape[2])
    n_a = tape.a0.shape[1]
    g = kernels.lstm_backward(tape, _rows(da, tape.A.dtype))
    (dWo, dWf, dWi, dWc), (dbo, dbf, dbi, dbc) = kernels.unpack_grad(
        g["dW"], g["db"], n_a, 4)
    return {"dx": _cols(g["dX"]), "da0": g["da0"].T,
            "dWf": dWf, "dWi": dWi, "dWc": dWc, "dWo": dWo,
            "dbf": dbf, "dbi": dbi, "dbc": dbc, "dbo": dbo}


# ---------------------------------------------------------------------------------------------
# GRU


def _gru_cache(tape, parameters, t):
    n = tape.C.shape[2]
    g = tape.G[t]
    return GRUCache(tape.C[t].T, _prev_of(tape.C, tape.c0, t), g[:, :n].T, g[:, n:2 * n].T,
                    g[:, 2 * n:].T, tape.X[t].T, parameters)


def _gru_pack(p):
    return kernels.gru_pack(p["Wu"], p["Wr"], p["Wc"], p["bu"], p["br"], p["bc"])


def gru_forward(x, c0, parameters):
    """Forward pass of the seed's full GRU over T_x steps.

    x (n_x, m, T_x), c0 (n_a, m); parameters Wu, Wr, Wc (n_a, n_a + n_x), bu, br, bc (n_a, 1),
    Wy (n_y, n_a), by (n_y, 1).
    Returns c (n_a, m, T_x), y (n_y, m, T_x), caches = (list of caches, x).
    """
    dt = _dtype(parameters, "Wu")
    tape = kernels.gru_forward(_gru_pack(parameters), _rows(x, dt),
                               np.ascontiguousarray(c0.T, dtype=dt))
    y = _softmax_head(tape.C, parameters["Wy"], parameters["by"])
    return _cols(tape.C), y, (StepCaches(tape, parameters, _gru_cache), x)


def _gru_tape(step_caches, T):
    if isinstance(step_caches, StepCaches):
        return step_caches.tape
    cs = list(step_caches)[:T]
    p = cs[0].parameters
    dt = _dtype(p, "Wu")

    def rows(name):
        return np.stack([getattr(c, name).T for c in cs]).astype(dt)

    R = rows("rt")
    c0 = np.ascontiguousarray(cs[0].c_prev.T, dtype=dt)
    C = rows("c_next")
    return kernels.GRUTape(
        X=rows("xt"), Z=None, G=np.concatenate([rows("ut"), R, rows("cct")], axis=2),
        RC=R * kernels._prev(c0, C), C=C, c0=c0, P=_gru_pack(p))


def gru_backward(dc, caches):
    """BPTT through the GRU. dc (n_a, m, T_x): upstream gradient of every c<t> (= a<t>).

    Returns dict dx (n_x, m, T_x), dc0 (n_a, m), dWu, dWr, dWc, dbu, dbr, dbc.
    """
    step_caches, _ = caches
    tape = _gru_tape(step_caches, dc.shape[2])
    n_a = tape.c0.shape[1]
    g = kernels.gru_backward(tape, _rows(dc, tape.C.dtype))
    (dWu, dWr, dWc), (dbu, dbr, dbc) = kernels.unpack_grad(g["dW"], g["db"], n_a, 3)
    return {"dx": _cols(g["dX"]), "dc0": g["dc0"].T,
            "dWu": dWu, "dWr": dWr, "dWc": dWc, "dbu": dbu, "dbr": dbr, "dbc": dbc}
