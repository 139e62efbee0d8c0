"""The course's sequence functions: forward over T_x steps and BPTT, a loop of the cell functions.

Same API as the classic exercise: `rnn_forward(x, a0, parameters) -> (a, y_pred, caches)` with
`caches = (list of per-step caches, x)`, `rnn_backward(da, caches) -> dict`, and the same for
LSTM and GRU. Each is the exercise's loop over the cell functions of `rnnviz.core.cells` (one
readable implementation per cell: the step is the equation, the sequence calls it). The fast
path is the cell objects' fused loop (`rnnviz.core.recurrent`, used by `Model`), tested equal
to these loops (tests/core/test_readable_steps.py, tests/core/test_course_api.py).

`da` is the gradient reaching each a<t> from outside the recurrence (the output layer is not
part of these functions); the gradient carried back from step t+1 is added to da[:, :, t];
`da0` is the gradient reaching a<0>. T_x of the backward pass is `da.shape[2]`, as in the
exercise: the BPTT runs over the first T_x steps of the forward pass (its own lstm_backward
test feeds 4 steps of `da` after a 7-step forward), with nothing reaching step T_x from later
steps.
"""

import numpy as np

from rnnviz.core.cells import (
    gru_cell_backward,
    gru_cell_forward,
    lstm_cell_backward,
    lstm_cell_forward,
    rnn_cell_backward,
    rnn_cell_forward,
)


def _steps_of(da, caches) -> list:
    """The caches of the first T_x = da.shape[2] steps (an error if the forward made fewer)."""
    step_caches, _ = caches
    T_x = da.shape[2]
    if T_x > len(step_caches):
        raise ValueError(f"da has {T_x} steps but the forward pass made {len(step_caches)}")
    return list(step_caches)[:T_x]


def rnn_forward(x, a0, parameters):
    """Forward pass of the RNN over T_x steps.

    x (n_x, m, T_x), a0 (n_a, m); parameters Wax, Waa, Wya, ba, by.
    Returns a (n_a, m, T_x), y_pred (n_y, m, T_x), caches = (list of caches, x).
    """
    a, y_pred, caches = [], [], []
    a_next = a0
    for t in range(x.shape[2]):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a.append(a_next)
        y_pred.append(yt_pred)
        caches.append(cache)
    return np.stack(a, axis=-1), np.stack(y_pred, axis=-1), (caches, x)


def rnn_backward(da, caches):
    """BPTT through the first T_x = da.shape[2] steps. da (n_a, m, T_x): upstream gradient of
    every a<t>. Returns dict dx (n_x, m, T_x), da0 (n_a, m), dWax, dWaa, dba.
    """
    steps = _steps_of(da, caches)
    p = steps[0].parameters
    dx = [None] * len(steps)
    dWax, dWaa, dba = np.zeros_like(p["Wax"]), np.zeros_like(p["Waa"]), np.zeros_like(p["ba"])
    da_prevt = np.zeros_like(da[:, :, 0])
    for t in reversed(range(len(steps))):
        g = rnn_cell_backward(da[:, :, t] + da_prevt, steps[t])   # ∂J/∂a<t>: outside + carried
        dx[t] = g["dxt"]
        dWax += g["dWax"]
        dWaa += g["dWaa"]
        dba += g["dba"]
        da_prevt = g["da_prev"]
    return {"dx": np.stack(dx, axis=-1), "da0": da_prevt, "dWax": dWax, "dWaa": dWaa,
            "dba": dba}


def lstm_forward(x, a0, parameters):
    """Forward pass of the LSTM over T_x steps, from c<0> = 0.

    x (n_x, m, T_x), a0 (n_a, m); parameters Wf, Wi, Wc, Wo (n_a, n_a + n_x), bf, bi, bc, bo
    (n_a, 1), Wy (n_y, n_a), by (n_y, 1). Wi / bi are the update gate's W_u / b_u.
    Returns a (n_a, m, T_x), y (n_y, m, T_x), c (n_a, m, T_x), caches = (list of caches, x).
    """
    a, y, c, caches = [], [], [], []
    a_next, c_next = a0, np.zeros_like(a0)
    for t in range(x.shape[2]):
        a_next, c_next, yt, cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a.append(a_next)
        c.append(c_next)
        y.append(yt)
        caches.append(cache)
    return np.stack(a, axis=-1), np.stack(y, axis=-1), np.stack(c, axis=-1), (caches, x)


LSTM_GRADS = ("dWf", "dWi", "dWc", "dWo", "dbf", "dbi", "dbc", "dbo")


def lstm_backward(da, caches):
    """BPTT through the first T_x = da.shape[2] steps. da (n_a, m, T_x): upstream gradient of
    every a<t>. Returns dict dx (n_x, m, T_x), da0 (n_a, m), dWf, dWi, dWc, dWo, dbf, dbi, dbc,
    dbo.
    """
    steps = _steps_of(da, caches)
    p = steps[0].parameters
    dx = [None] * len(steps)
    sums = {k: np.zeros_like(p[k[1:]]) for k in LSTM_GRADS}
    da_prevt = np.zeros_like(da[:, :, 0])
    dc_prevt = np.zeros_like(da[:, :, 0])
    for t in reversed(range(len(steps))):
        g = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, steps[t])
        dx[t] = g["dxt"]
        for k in LSTM_GRADS:
            sums[k] += g[k]
        da_prevt, dc_prevt = g["da_prev"], g["dc_prev"]
    return {"dx": np.stack(dx, axis=-1), "da0": da_prevt, **sums}


def gru_forward(x, c0, parameters):
    """Forward pass of the course's full GRU over T_x steps.

    x (n_x, m, T_x), c0 (n_a, m); parameters Wu, Wr, Wc (n_a, n_a + n_x), bu, br, bc (n_a, 1),
    Wy (n_y, n_a), by (n_y, 1).
    Returns c (n_a, m, T_x), y (n_y, m, T_x), caches = (list of caches, x).
    """
    c, y, caches = [], [], []
    c_next = c0
    for t in range(x.shape[2]):
        c_next, yt, cache = gru_cell_forward(x[:, :, t], c_next, parameters)
        c.append(c_next)
        y.append(yt)
        caches.append(cache)
    return np.stack(c, axis=-1), np.stack(y, axis=-1), (caches, x)


GRU_GRADS = ("dWu", "dWr", "dWc", "dbu", "dbr", "dbc")


def gru_backward(dc, caches):
    """BPTT through the first T_x = dc.shape[2] steps. dc (n_a, m, T_x): upstream gradient of
    every c<t> (= a<t>). Returns dict dx (n_x, m, T_x), dc0 (n_a, m), dWu, dWr, dWc, dbu, dbr,
    dbc.
    """
    steps = _steps_of(dc, caches)
    p = steps[0].parameters
    dx = [None] * len(steps)
    sums = {k: np.zeros_like(p[k[1:]]) for k in GRU_GRADS}
    dc_prevt = np.zeros_like(dc[:, :, 0])
    for t in reversed(range(len(steps))):
        g = gru_cell_backward(dc[:, :, t] + dc_prevt, steps[t])   # ∂J/∂c<t>: outside + carried
        dx[t] = g["dxt"]
        for k in GRU_GRADS:
            sums[k] += g[k]
        dc_prevt = g["dc_prev"]
    return {"dx": np.stack(dx, axis=-1), "dc0": dc_prevt, **sums}
