"""rnnviz.vanishing: the Vanishing page's curves, computed in the package. The comparison is
the core's `gradient_curves` on the sentence repeated to T_x; a model in use gets the same
measure on its own tokens (top layer, a→ of a bidirectional model), written out here."""

import numpy as np
import pytest

import rnnviz
from rnnviz import vanishing as V
from rnnviz.core import analysis as A
from rnnviz.core.torch_layout import to_torch
from rnnviz.models import comparison_models

CHARS = list("abcdefghijklmnopqrstuvwxyz ,.")
TEXT = "the cat sat."


def _imported(task, layers=1, bi=False, cell="lstm"):
    n_y = len(CHARS) if task == "lm" else 3
    cfg = rnnviz.RNNConfig(cell=cell, n_x=len(CHARS), n_a=5, n_y=n_y, layers=layers,
                           bidirectional=bi, variant="torch" if cell == "gru" else "course")
    sd = to_torch(cfg, rnnviz.Model.init(cfg, rng=np.random.default_rng(5)).params,
                  prefix="rnn.", head="fc.")
    return rnnviz.import_torch(sd, vocab=CHARS, task=task, name="m",
                               labels=None if task == "lm" else ["a", "b", "c"])


def test_repeated_x_is_the_sentence_again_and_again():
    vocab = rnnviz.models.random_vocab()
    ids = vocab.encode("abc")
    x, nxt = V.repeated_x(vocab, ids, 7)
    assert x.shape == (len(vocab), 1, 7) and x.dtype == np.float64
    np.testing.assert_array_equal(np.argmax(x[:, 0, :], axis=0), np.tile(ids, 3)[:7])
    assert nxt == ids[7 % 3]


@pytest.mark.parametrize("measure", ["loss", "jacobian"])
def test_comparison_curves_are_the_cores_on_the_repeated_sentence(measure):
    got = V.comparison_curves(TEXT, 40, "random", n_a=6, rho=0.8, seed=2, measure=measure)
    models = comparison_models("random", n_a=6, rho=0.8, seed=2)
    assert list(got) == ["RNN", "GRU", "LSTM"]
    for cell, (model, vocab) in models.items():
        ids, target = A.repeat_ids(vocab.encode(TEXT), 40)
        want = A.gradient_curves({"m": model}, vocab.one_hot(ids, dtype=np.float64), target,
                                 measure=measure)["m"]
        np.testing.assert_allclose(got[V.NAMES[cell]]["norms"], want["norms"], rtol=1e-12)


@pytest.mark.parametrize(("task", "layers", "bi"), [("lm", 1, False), ("lm", 2, False),
                                                    ("tagger", 1, True), ("classifier", 2, True)])
def test_a_models_curve_is_its_top_layers_forward_state(task, layers, bi):
    model = _imported(task, layers, bi)
    c = V.model_curve(model, TEXT, 30)
    x, nxt = V.repeated_x(model.vocab, model.vocab.encode(TEXT), 30)
    net = model.network("float64")
    tr = net.forward(x)
    p = tr["y_hat"][:, 0, -1]
    target = nxt if task == "lm" else int(np.argsort(-p)[1])
    loss, grads, bt = net.backward(tr, np.array([target]), at="last")
    assert c["loss"] == pytest.approx(-np.log(p[target]), rel=1e-12) == loss
    da = bt.rows["da_fwd" if bi else "da"][:, 0, :]                 # top layer, a→ if bi
    np.testing.assert_allclose(c["norms"], np.linalg.norm(da, axis=1), rtol=1e-10)
    assert c["norms"][-1] > 0 and not c["nonfinite"]
    j = V.model_curve(model, TEXT, 30, "jacobian")["norms"]
    assert j[-1] == pytest.approx(np.sqrt(model.config.n_a))          # ∂a<T_x>/∂a<T_x> = I


def test_the_shipped_lstm_in_the_sidebar_draws_the_lstms_curve():
    mine = V.model_curve(rnnviz.load_pretrained("char-lm-lstm"), TEXT, 50)
    theirs = V.comparison_curves(TEXT, 50, "trained")["LSTM"]
    np.testing.assert_allclose(mine["norms"], theirs["norms"], rtol=1e-12)


def test_bad_input_says_what_is_wrong():
    model = _imported("lm")
    with pytest.raises(ValueError, match="no tokens"):
        V.model_curve(model, "", 10)
    with pytest.raises(ValueError, match="measure must be one of"):
        V.model_curve(model, TEXT, 10, "nope")
