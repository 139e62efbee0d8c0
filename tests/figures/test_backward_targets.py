"""The true labels of a tagger's or classifier's loss (`rnnviz.gradients.runner_up_targets`,
`with_targets`): the default is the model's second choice, and the loss and its gradient are
those of the labels given (against a BPTT run with the same labels written out here)."""

import numpy as np
import pytest

import rnnviz
from rnnviz import gradients as G
from rnnviz.core.torch_layout import to_torch

CHARS = list("abcdefghijklmnopqrstuvwxyz ,.")
TEXT = "teddy bears are on sale."


def _model(task, cell="lstm", bi=True):
    cfg = rnnviz.RNNConfig(cell=cell, n_x=len(CHARS), n_a=5, n_y=3, bidirectional=bi,
                           variant="torch" if cell == "gru" else "course")
    net = rnnviz.Model.init(cfg, rng=np.random.default_rng(3))
    sd = to_torch(cfg, net.params, prefix="rnn.", head="fc.")
    sd["fc.weight"] *= 3
    return rnnviz.import_torch(sd, vocab=CHARS, task=task, name=f"t-{task}",
                               labels=["other", "name", "place"])


@pytest.mark.parametrize("task", ["tagger", "classifier"])
def test_the_default_label_is_the_models_second_choice(task):
    model = _model(task)
    reading = model.read(TEXT, for_loss=True)
    y = np.asarray(reading.trace["y_hat"][:, 0, :], dtype=np.float64)
    got = G.runner_up_targets(reading.trace, task)
    second = np.argsort(-y, axis=0)[1]
    if task == "tagger":
        np.testing.assert_array_equal(got, second)
    else:
        assert (got[:-1] == -1).all() and got[-1] == second[-1]
    assert (got != np.argmax(y, axis=0))[got >= 0].all()      # never the model's own guess


@pytest.mark.parametrize("task", ["tagger", "classifier"])
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_the_loss_and_gradients_are_those_of_the_labels_given(task, cell):
    model = _model(task, cell)
    reading = model.read(TEXT, for_loss=True)
    T = reading.steps.T_x
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, T) if task == "tagger" else np.r_[np.full(T - 1, -1), 2]
    res = model.backward(G.with_targets(model, reading, labels, "mine"), at="all")
    # the same loss written out: −Σ_t log ŷ<t>[y<t>] (a classifier: at T_x only)
    p = np.asarray(reading.trace["y_hat"][:, 0, :], dtype=np.float64)
    t = np.flatnonzero(labels >= 0)
    assert res.loss == pytest.approx(-np.log(p[labels[t], t]).sum(), rel=1e-5)
    y = labels[None, :] if task == "tagger" else labels[-1:]
    loss, grads, _ = model.model.backward(reading.trace, y, at="all" if task == "tagger"
                                          else "last")
    for k, g in grads.items():
        np.testing.assert_allclose(res.grads[k], g, rtol=1e-6, atol=1e-9)
    assert res.steps.target_note == "mine"
    assert res.steps.target_labels[-1] == model.output_labels[labels[-1]]
    # another label at T_x changes the loss and ∂L/∂b_y
    other = labels.copy()
    other[-1] = (labels[-1] + 1) % 3
    res2 = model.backward(G.with_targets(model, reading, other, "mine"), at="all")
    assert res2.loss != pytest.approx(res.loss, rel=1e-6)
    d_by = np.asarray(res2.grads["by"] - res.grads["by"], dtype=np.float64)[:, 0]
    want = np.zeros(3)
    want[labels[-1]], want[other[-1]] = 1.0, -1.0               # ∂L/∂b_y = ŷ − y
    np.testing.assert_allclose(d_by, want, atol=1e-6)


def test_own_guess_gives_almost_nothing_to_learn_the_runner_up_does():
    model = _model("classifier")
    reading = model.read(TEXT, for_loss=True)
    own = model.backward(reading)                       # the reading's own: argmax at T_x
    up = model.backward(G.with_targets(model, reading, G.runner_up_targets(reading.trace,
                                                                           "classifier"), ""))
    assert up.loss > own.loss
    assert np.linalg.norm(up.grads["by"]) > np.linalg.norm(own.grads["by"])


@pytest.mark.parametrize(("labels", "match"), [([0, 1], "2 labels for"),
                                                 (None, "labels must be -1 or 0..2")])
def test_bad_labels_are_refused(labels, match):
    model = _model("tagger")
    reading = model.read(TEXT, for_loss=True)
    if labels is None:
        labels = np.full(reading.steps.T_x, 3)
    with pytest.raises(ValueError, match=match):
        G.with_targets(model, reading, labels, "")


def test_a_language_model_has_no_labels_to_choose():
    with pytest.raises(ValueError, match="targets are the text itself"):
        G.runner_up_targets({"y_hat": np.ones((3, 1, 4)) / 3}, "char_lm")
