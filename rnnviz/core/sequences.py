"""The seed's sequence functions: forward over T_x steps and BPTT, on the cells' fused loops.

Same API as the classic exercise: `rnn_forward(x, a0, parameters) -> (a, y_pred, caches)` with
`caches = (list of per-step caches, x)`, `rnn_backward(da, caches) -> dict`, and the same for
LSTM and GRU. `da` is the gradient reaching each a<t> from outside the recurrence (the output
layer is not part of these functions); the gradient carried back from step t+1 is added to
da[:, :, t]; `da0` is the gradient reaching a<0>.

T_x of the backward pass is `da.shape[2]`, as in the exercise: the BPTT runs over the first
T_x steps of the forward pass (its own lstm_backward test feeds 4 steps of `da` after a
7-step forward), with nothing reaching step T_x from later steps.

One path: the fused loop of the cell object (rnnviz.core.recurrent) computes the sequence,
and one adapter per cell turns it into the exercise's caches and back. `caches[t]` is
`cell.step_cache(tape, parameters, t)`, the same NamedTuple the cell function returns
(rnnviz.core.cells), made on demand as views into the loop's buffers; the backward functions
read the tape back, or `cell.tape_from_caches(...)` when given a list of caches made by
calling the cell functions in a loop.
"""

from collections.abc import Sequence

import numpy as np

from rnnviz.core.functional import softmax
from rnnviz.core.recurrent import GRU, LSTM, RNN
from rnnviz.core.recurrent.base import cols, matmul_rows, rows

_RNN, _GRU, _LSTM = RNN("tanh"), GRU(), LSTM()      # the exercise's RNN is tanh only


class StepCaches(Sequence):
    """caches[t] is the cell cache of step t, made on demand from the fused forward tape."""

    def __init__(self, cell, tape, parameters):
        self.cell, self.tape, self.parameters = cell, tape, parameters

    def __len__(self):
        return self.tape.X.shape[0]

    def __getitem__(self, t):
        if isinstance(t, slice):
            return [self[i] for i in range(*t.indices(len(self)))]
        t = range(len(self))[t]
        return self.cell.step_cache(self.tape, self.parameters, t)


def _dtype(cell, parameters):
    dt = np.asarray(parameters[cell.seed_weight]).dtype
    return dt if dt in (np.float32, np.float64) else np.float64


def _forward(cell, x, state, parameters):
    """The fused loop over x (n_x, m, T_x) from `state` (seed layout): (tape, ŷ, caches)."""
    dt = _dtype(cell, parameters)
    s = tuple(np.ascontiguousarray(np.asarray(v).T, dtype=dt) for v in state)
    tape = cell.forward(cell.pack(parameters), rows(x, dt), s)
    # ŷ<t> = softmax(W_y a<t> + b_y) for every t
    Zy = matmul_rows(tape.A, np.asarray(parameters[cell.seed_head]).T)
    Zy += np.asarray(parameters["by"])[:, 0]
    return tape, cols(softmax(Zy, axis=-1)), (StepCaches(cell, tape, parameters), x)


def _backward(cell, da, caches):
    """BPTT over the first T_x = da.shape[2] steps: (gradients by the seed's names, d_state0)."""
    step_caches, _ = caches
    T = da.shape[2]
    if T > len(step_caches):
        raise ValueError(f"da has {T} steps but the forward pass made {len(step_caches)}")
    if isinstance(step_caches, StepCaches):
        tape = step_caches.tape
        dt = tape.A.dtype
        if T < len(step_caches):        # the first T steps, rebuilt from their caches
            tape = cell.tape_from_caches(step_caches[:T], dt)
    else:
        first = step_caches[0]
        dt = _dtype(cell, first.parameters)
        tape = cell.tape_from_caches(list(step_caches)[:T], dt)
    g = cell.backward(tape, rows(da, dt))
    n_a = tape.A.shape[2]
    out = {"dx": cols(g["dX"])}
    out.update({"d" + k: v for k, v in cell.param_grads(g, n_a).items()})
    return out, g["d_state0"][0].T


def rnn_forward(x, a0, parameters):
    """Forward pass of the RNN over T_x steps.

    x (n_x, m, T_x), a0 (n_a, m); parameters Wax, Waa, Wya, ba, by.
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x), caches = (list of caches, x).
    """
    tape, y_pred, caches = _forward(_RNN, x, (a0,), parameters)
    return cols(tape.A), y_pred, caches


def rnn_backward(da, caches):
    """BPTT through the first T_x = da.shape[2] steps. da (n_a, m, T_x): upstream gradient of
    every a<t>. Returns dict dx (n_x, m, T_x), da0 (n_a, m), dWax, dWaa, dba.
    """
    out, d0 = _backward(_RNN, da, caches)
    return {"dx": out["dx"], "da0": d0, "dWax": out["dWax"], "dWaa": out["dWaa"],
            "dba": out["dba"]}


def lstm_forward(x, a0, parameters):
    """Forward pass of the LSTM over T_x steps, from c<0> = 0.

    x (n_x, m, T_x), a0 (n_a, m); parameters Wf, Wi, Wc, Wo (n_a, n_a + n_x), bf, bi, bc, bo
    (n_a, 1), Wy (n_y, n_a), by (n_y, 1). Wi / bi are the update gate's W_u / b_u.
    Returns a (n_a, m, T_x), y (n_y, m, T_x), c (n_a, m, T_x), caches = (list of caches, x).
    """
    tape, y, caches = _forward(_LSTM, x, (a0, np.zeros_like(a0)), parameters)
    return cols(tape.A), y, cols(tape.C), caches


def lstm_backward(da, caches):
    """BPTT through the first T_x = da.shape[2] steps. da (n_a, m, T_x): upstream gradient of
    every a<t>. Returns dict dx (n_x, m, T_x), da0 (n_a, m), dWf, dWi, dWc, dWo, dbf, dbi, dbc,
    dbo.
    """
    out, d0 = _backward(_LSTM, da, caches)
    return {"dx": out["dx"], "da0": d0, **{k: out[k] for k in (
        "dWf", "dWi", "dWc", "dWo", "dbf", "dbi", "dbc", "dbo")}}


def gru_forward(x, c0, parameters):
    """Forward pass of the seed's full GRU over T_x steps.

    x (n_x, m, T_x), c0 (n_a, m); parameters Wu, Wr, Wc (n_a, n_a + n_x), bu, br, bc (n_a, 1),
    Wy (n_y, n_a), by (n_y, 1).
    Returns c (n_a, m, T_x), y (n_y, m, T_x), caches = (list of caches, x).
    """
    tape, y, caches = _forward(_GRU, x, (c0,), parameters)
    return cols(tape.C), y, caches


def gru_backward(dc, caches):
    """BPTT through the first T_x = dc.shape[2] steps. dc (n_a, m, T_x): upstream gradient of
    every c<t> (= a<t>). Returns dict dx (n_x, m, T_x), dc0 (n_a, m), dWu, dWr, dWc, dbu, dbr,
    dbc.
    """
    out, d0 = _backward(_GRU, dc, caches)
    return {"dx": out["dx"], "dc0": d0, **{k: out[k] for k in (
        "dWu", "dWr", "dWc", "dbu", "dbr", "dbc")}}
