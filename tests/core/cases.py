"""Shared test cases: architectures, small random models, inputs and targets."""

import numpy as np

import rnnviz
from rnnviz import Model, RNNConfig, State

# (cell, activation): the four recurrent cells of the issue
CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("gru", "tanh"), ("lstm", "tanh")]
CELL_IDS = ["rnn-tanh", "rnn-relu", "gru", "lstm"]
# (head, at, targets with ignored (-1) entries)
LOSSES = [
    ("many_to_many", "all", False),
    ("many_to_many", "all", True),
    ("many_to_many", "last", False),
    ("many_to_one", "all", False),
    ("many_to_one_sigmoid", "all", False),
]
LOSS_IDS = ["many_to_many", "many_to_many-ignore", "many_to_many-at_last", "many_to_one",
            "many_to_one_sigmoid"]
# one-line names of the per-direction trace keys of each cell (docs/architecture.md)
CELL_KEYS = {
    "rnn": {"z_a", "a"},
    "gru": {"gamma_u", "gamma_r", "c_tilde", "c", "z_u", "z_r", "z_c", "a"},
    "lstm": {"gamma_f", "gamma_u", "gamma_o", "c_tilde", "c", "z_f", "z_u", "z_o", "z_c", "a"},
}


# every cell object: (cell, activation, variant) -- the course's four and PyTorch's GRU
VARIANT_CELLS = [("rnn", "tanh", "course"), ("rnn", "relu", "course"), ("gru", "tanh", "course"),
                 ("gru", "tanh", "torch"), ("lstm", "tanh", "course")]
VARIANT_IDS = ["rnn-tanh", "rnn-relu", "gru", "gru-torch", "lstm"]


def make_model(cell, activation="tanh", bidirectional=False, head="many_to_many", n_x=3, n_a=4,
               n_y=3, dtype="float64", seed=0, std=0.6, layers=1, variant="course"):
    """A model with every parameter drawn N(0, std²), biases included (Model.init zeros them)."""
    n_y = 1 if head == "many_to_one_sigmoid" else n_y
    cfg = RNNConfig(cell=cell, n_x=n_x, n_a=n_a, n_y=n_y, activation=activation,
                    bidirectional=bidirectional, head=head, dtype=dtype, layers=layers,
                    variant=variant)
    rng = np.random.default_rng(seed)
    shapes = {k: v.shape for k, v in Model.init(cfg, rng=rng).params.items()}
    return Model(cfg, {k: std * rng.standard_normal(s) for k, s in shapes.items()})


def random_state(model, m, rng):
    """A start state of the model's shape: (n_a, m) per vector, (layers, n_a, m) if stacked."""
    shape = model.initial_state(m).a.shape
    c = rng.standard_normal(shape) if model.config.cell == "lstm" else None
    return State(0.5 * rng.standard_normal(shape), c)


def make_targets(model, m, T, rng, at="all", ignore=False):
    """Targets in the shape Model.backward expects for the model's head and `at`."""
    cfg = model.config
    if cfg.head == "many_to_one_sigmoid":
        return rng.integers(0, 2, size=m).astype(np.float64)
    if cfg.head == "many_to_one" or at == "last":
        return rng.integers(0, cfg.n_y, size=m)
    y = rng.integers(0, cfg.n_y, size=(m, T))
    if ignore:
        y[0, 0] = -1                     # at least one ignored step and one kept step
        y[rng.random((m, T)) < 0.3] = -1
        y[-1, -1] = 0
    return y


# ---------------------------------------------------------------------------------------------
# the course's step API

COURSE_PARAM_NAMES = {
    "rnn": ("Wax", "Waa", "ba"),
    "lstm": ("Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo"),
    "gru": ("Wu", "Wr", "Wc", "bu", "br", "bc"),
}
COURSE_CELL_KEYS = {
    "rnn": {"dxt", "da_prev", "dWax", "dWaa", "dba"},
    "lstm": {"dxt", "da_prev", "dc_prev", "dWf", "dWi", "dWc", "dWo", "dbf", "dbi", "dbc",
             "dbo"},
    "gru": {"dxt", "dc_prev", "dWu", "dWr", "dWc", "dbu", "dbr", "dbc"},
}
COURSE_SEQ_KEYS = {
    "rnn": {"dx", "da0", "dWax", "dWaa", "dba"},
    "lstm": {"dx", "da0", "dWf", "dWi", "dWc", "dWo", "dbf", "dbi", "dbc", "dbo"},
    "gru": {"dx", "dc0", "dWu", "dWr", "dWc", "dbu", "dbr", "dbc"},
}
COURSE_CELLS = ["rnn", "lstm", "gru"]


def course_parameters(cell, rng, n_x, n_a, n_y, dtype=np.float64):
    """The course's parameter dict of the cell, N(0, 0.7²) entries."""

    def w(*shape):
        return (0.7 * rng.standard_normal(shape)).astype(dtype)

    if cell == "rnn":
        p = {"Wax": w(n_a, n_x), "Waa": w(n_a, n_a), "ba": w(n_a, 1), "Wya": w(n_y, n_a)}
    else:
        p = {k: w(n_a, n_a + n_x) for k in COURSE_PARAM_NAMES[cell] if k[0] == "W"}
        p.update({k: w(n_a, 1) for k in COURSE_PARAM_NAMES[cell] if k[0] == "b"})
        p["Wy"] = w(n_y, n_a)
    p["by"] = w(n_y, 1)
    return p


def seq_forward(cell, x, a0, p):
    """(a, y, c or None, caches) from the course's sequence function of the cell."""
    if cell == "rnn":
        a, y, caches = rnnviz.rnn_forward(x, a0, p)
        return a, y, None, caches
    if cell == "lstm":
        return rnnviz.lstm_forward(x, a0, p)
    c, y, caches = rnnviz.gru_forward(x, a0, p)
    return c, y, c, caches


def seq_backward(cell, da, caches):
    return {"rnn": rnnviz.rnn_backward, "lstm": rnnviz.lstm_backward,
            "gru": rnnviz.gru_backward}[cell](da, caches)


def cell_loop(cell, x, a0, p):
    """The exercise's sequence forward: call the cell function once per step."""
    T = x.shape[2]
    a_next, c_next = a0, np.zeros_like(a0)
    a, y, caches = [], [], []
    for t in range(T):
        if cell == "rnn":
            a_next, yt, cache = rnnviz.rnn_cell_forward(x[:, :, t], a_next, p)
        elif cell == "lstm":
            a_next, c_next, yt, cache = rnnviz.lstm_cell_forward(x[:, :, t], a_next, c_next, p)
        else:
            a_next, yt, cache = rnnviz.gru_cell_forward(x[:, :, t], a_next, p)
        a.append(a_next)
        y.append(yt)
        caches.append(cache)
    return np.stack(a, axis=2), np.stack(y, axis=2), caches


def cell_backward_loop(cell, da, caches):
    """The exercise's BPTT: cell backward per step, the carried gradient added to da[:, :, t]."""
    n_a, m, T = da.shape
    carry_a = np.zeros((n_a, m))
    carry_c = np.zeros((n_a, m))
    dx = np.zeros((caches[0].xt.shape[0], m, T))
    total = {}
    for t in reversed(range(T)):
        if cell == "rnn":
            g = rnnviz.rnn_cell_backward(da[:, :, t] + carry_a, caches[t])
        elif cell == "lstm":
            g = rnnviz.lstm_cell_backward(da[:, :, t] + carry_a, carry_c, caches[t])
            carry_c = g["dc_prev"]
        else:
            g = rnnviz.gru_cell_backward(da[:, :, t] + carry_a, caches[t])
        carry_a = g["dc_prev"] if cell == "gru" else g["da_prev"]
        dx[:, :, t] = g["dxt"]
        for k, v in g.items():
            if k.startswith(("dW", "db")):
                total[k] = total.get(k, 0) + v
    total["dx"] = dx
    total["dc0" if cell == "gru" else "da0"] = carry_a
    return total
