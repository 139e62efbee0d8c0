"""Section 3 of the Backward page, "How each step adds to ∂L/∂W" (`dw_contributions`), on
every cell and variant (RNN, the notes' GRU, PyTorch's GRU, LSTM) × uni/bidirectional ×
layers 1-2: the sum over the steps is the model's own ∂L/∂W, and one step's addition is
measured by finite differences on a network whose weights differ at that step only."""

import copy

import numpy as np
import pytest
from _traces import VOCAB

from rnnviz import gradients as G
from rnnviz.core.model import Model, RNNConfig

TEXT = "or None."
CELLS = [("rnn", "course"), ("gru", "course"), ("gru", "torch"), ("lstm", "course")]
CASES = [(c, v, bi, layers) for c, v in CELLS for bi in (False, True) for layers in (1, 2)]
IDS = [f"{c}-{v}-{'bi' if bi else 'uni'}-L{layers}" for c, v, bi, layers in CASES]
# The parameters of each weight matrix the figure shows, side by side (the course's names).
MATRICES = {
    "rnn": {"W_a = [W_aa | W_ax]": ("Waa", "Wax")},
    "gru": {"W_u": ("Wu",), "W_r": ("Wr",), "W_c": ("Wc",)},
    "lstm": {"W_f": ("Wf",), "W_u": ("Wi",), "W_o": ("Wo",), "W_c": ("Wc",)},
}


def network(cell, variant, bi, layers, seed=3):
    n = len(VOCAB)
    cfg = RNNConfig(cell=cell, n_x=n, n_a=5, n_y=n, bidirectional=bi, layers=layers,
                    variant=variant)
    rng = np.random.default_rng(seed)
    model = Model.init(cfg, rng=rng)
    for k in model.params:
        if k.endswith("bca"):           # torch's b_hn, zero at init: make it count
            model.params[k] = rng.uniform(-0.5, 0.5, size=model.params[k].shape)
    ids = VOCAB.encode(TEXT)
    x = VOCAB.one_hot(ids, dtype="float64")
    y = np.array([[*ids[1:], 0]])
    trace = model.forward(x, tokens=list(TEXT))
    _, grads, bt = model.backward(trace, y, at="all")
    return model, x, y, trace, grads, bt


@pytest.mark.parametrize(("cell", "variant", "bi", "layers"), CASES, ids=IDS)
def test_the_steps_add_up_to_the_weight_gradients(cell, variant, bi, layers):
    model, _, _, trace, grads, bt = network(cell, variant, bi, layers)
    for layer in range(1, layers + 1):
        for d in model.config.directions:
            contrib = G.dw_contributions(model, trace, bt, direction=d, layer=layer)
            assert list(contrib) == list(MATRICES[cell])
            p = model.config.prefix(d, layer)
            for name, params in MATRICES[cell].items():
                c = contrib[name]
                assert c["param"] == p + params[0]
                g = np.concatenate([grads[p + k] for k in params], axis=1)
                assert c["cumulative"][0] == pytest.approx(np.linalg.norm(g), rel=1e-9)
                assert c["cumulative"][-1] == pytest.approx(c["per_step"][-1], rel=1e-12)


class OneStepPerturbed:
    """The model's cell, except that one layer and direction (the one whose parameters
    include the array `target`) runs with W + delta at step i of its sweep only: the sequence
    is run in three pieces, the state carried between them."""

    def __init__(self, cell, target, i, delta):
        self.cell, self.target, self.i, self.delta = cell, target, i, delta

    def __getattr__(self, name):
        return getattr(self.cell, name)

    def pack(self, params):
        if any(v is self.target for v in params.values()):
            return "perturbed", params
        return "plain", self.cell.pack(params)

    def forward(self, packed, X, state):
        kind, p = packed
        if kind == "plain":
            return [self.cell.forward(p, X, state)]
        moved = {k: v + self.delta.get(k, 0.0) for k, v in p.items()}
        tapes = []
        for lo, hi, q in ((0, self.i, p), (self.i, self.i + 1, moved),
                          (self.i + 1, len(X), p)):
            if hi > lo:
                tapes.append(self.cell.forward(self.cell.pack(q),
                                               np.ascontiguousarray(X[lo:hi]), state))
                state = self.cell.final_state(tapes[-1])
        return tapes

    def named_rows(self, tapes):
        parts = [self.cell.named_rows(t) for t in tapes]
        return {k: np.concatenate([q[k] for q in parts]) for k in parts[0]}

    def final_state(self, tapes):
        return self.cell.final_state(tapes[-1])


def step_gradient(model, x, y, params, layer, direction, t, inputs, eps=1e-4):
    """∂L/∂W at step t alone (input order) for the parameters `params` (seed names, side by
    side), by central differences. eps = 1e-4: at 1e-5 the rounding of the two float64 losses
    (~1e-15 of L, over a difference of ~1e-9) reached 1.0e-6 of the norm in one case (the
    2-layer bidirectional LSTM, layer 2's backward W_u, in an install with numpy 2.4.6, where
    the same code had passed before), the test's tolerance; at 1e-4 each of that case's 16
    matrices is within 6e-8 (truncation ~eps²), and every case here passes. Input columns
    whose x<t> entry is 0 are 0 exactly (W_x x<t> does not read them) and are not
    perturbed."""
    prefix = model.config.prefix(direction, layer)
    T = x.shape[2]
    i = T - t if direction == "bwd" else t - 1          # the step in the sweep's own order
    target = model.params[prefix + params[0]]
    n_a = model.config.n_a
    blocks = []
    for k in params:
        W = model.params[prefix + k]
        g = np.zeros_like(W)
        reads_input = k != "Waa"                # Wax, and the input columns of W = [W_a | W_x]
        first_input = 0 if k == "Wax" else n_a
        cols = [j for j in range(W.shape[1]) if not reads_input or j < first_input
                or inputs[j - first_input] != 0]
        for r in range(W.shape[0]):
            for j in cols:
                losses = []
                for s in (1, -1):
                    E = np.zeros_like(W)
                    E[r, j] = s * eps
                    m2 = copy.copy(model)
                    m2.cell = OneStepPerturbed(model.cell, target, i, {k: E})
                    losses.append(m2.loss(m2.forward(x), y, at="all"))
                g[r, j] = (losses[0] - losses[1]) / (2 * eps)
        blocks.append(g)
    return np.concatenate(blocks, axis=1)


@pytest.mark.parametrize(("cell", "variant", "bi", "layers"), CASES, ids=IDS)
def test_one_steps_addition_is_the_gradient_of_that_step_alone(cell, variant, bi, layers):
    model, x, y, trace, grads, bt = network(cell, variant, bi, layers)
    t = 5
    for layer in range(1, layers + 1):
        below = trace.layer(layer - 1).rows["a"] if layer > 1 else trace.rows["x"]
        inputs = below[t - 1, 0]
        for d in model.config.directions:
            contrib = G.dw_contributions(model, trace, bt, direction=d, layer=layer)
            for name, params in MATRICES[cell].items():
                M = step_gradient(model, x, y, params, layer, d, t, inputs)
                assert np.linalg.norm(M) > 1e-4
                assert contrib[name]["per_step"][t - 1] == pytest.approx(np.linalg.norm(M),
                                                                         rel=1e-6)


def test_the_fd_step_gradients_add_up_to_the_model_gradient():
    """The finite-difference helper itself: its steps summed are Model.backward's ∂L/∂W_c of
    PyTorch's GRU (bidirectional, the backward direction)."""
    model, x, y, _, grads, _ = network("gru", "torch", True, 1)
    total = sum(step_gradient(model, x, y, ("Wc",), 1, "bwd", t, x[:, 0, t - 1])
                for t in range(1, x.shape[2] + 1))
    np.testing.assert_allclose(total, grads["bwd.Wc"], rtol=1e-6, atol=1e-9)
