"""Attribution: a hand-built model where the answer is known, and completeness of IG."""

import numpy as np
import pytest

from rnnviz.attribution import attribution
from rnnviz.core.model import Model, RNNConfig
from rnnviz.models import Classifier, LanguageModel
from rnnviz.text import SPECIALS, Vocab

W = 2.0


def copy_model() -> Classifier:
    """An RNN whose one unit copies the input "a" (a<t> = tanh(W x_a<t>), W_aa = 0) and a
    head z = [a, −a]: only the last token can matter, and only if it is "a"."""
    v = Vocab([*SPECIALS, "a", "b"], kind="word")
    cfg = RNNConfig(cell="rnn", n_x=len(v), n_a=1, n_y=2, head="many_to_one")
    params = {"Wax": np.zeros((1, len(v))), "Waa": np.zeros((1, 1)), "ba": np.zeros((1, 1)),
              "Wy": np.array([[1.0], [-1.0]]), "by": np.zeros((2, 1))}
    params["Wax"][0, v.stoi["a"]] = W
    return Classifier("copy", Model(cfg, params), v, {"labels": ["pos", "neg"]})


def sigma(z):
    return 1 / (1 + np.exp(-z))


def test_grad_x_input_on_the_copy_unit_is_the_chain_rule_by_hand():
    a = attribution(copy_model(), "b b a", "pos", method="grad_x_input")
    h = np.tanh(W)
    p = sigma(2 * h)                              # softmax([h, −h])[0]
    expected = W * (1 - h ** 2) * 2 * p * (1 - p)  # x_a · ∂f/∂x_a
    np.testing.assert_allclose(a.scores, [0, 0, expected], atol=1e-12)
    assert a.f_x == pytest.approx(p) and a.f_baseline == pytest.approx(0.5)
    assert a.target == "pos" and a.step == 3


def test_integrated_gradients_on_the_copy_unit_give_the_whole_change_to_the_last_token():
    a = attribution(copy_model(), "a b a", 0, method="integrated_gradients", steps=64)
    np.testing.assert_allclose(a.scores[:2], 0, atol=1e-12)   # W_aa = 0: earlier "a" is lost
    assert a.scores[2] == pytest.approx(sigma(2 * np.tanh(W)) - 0.5, rel=1e-3)
    assert a.completeness_error < 1e-3


def test_an_input_the_unit_ignores_gets_no_score():
    for method in ("grad_x_input", "integrated_gradients"):
        a = attribution(copy_model(), "a a b", "neg", method=method)
        np.testing.assert_allclose(a.scores, 0, atol=1e-12)


def random_classifier(cell, layers, bidirectional, seed=0):
    v = Vocab([*SPECIALS, *"abcdefgh"], kind="char")
    cfg = RNNConfig(cell=cell, n_x=len(v), n_a=6, n_y=3, head="many_to_one", layers=layers,
                    bidirectional=bidirectional)
    model = Model.init(cfg, rng=np.random.default_rng(seed))
    # larger weights: a far-from-linear f; but a tanh RNN with ρ(W_aa) > 1 amplifies the
    # smallest input (a = 0 is an unstable fixed point), and f jumps near x̄: a curve the
    # trapezoid rule would need thousands of points for
    for k in model.params:
        model.params[k] *= 1.5 if cell != "rnn" else 0.9
    return Classifier("r", model, v, {})


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (2, True)])
def test_integrated_gradients_are_complete_at_every_layer(cell, layers, bidirectional):
    m = random_classifier(cell, layers, bidirectional)
    a = attribution(m, "abcabhgfed", 1, method="integrated_gradients", steps=64, layers=True)
    gap = a.f_x - a.f_baseline
    assert abs(gap) > 1e-3                                    # something to attribute
    assert a.completeness_error < 0.01
    np.testing.assert_allclose(a.layer_scores.sum(axis=1), gap, rtol=0.01)
    # grad × input is not complete on such a model: the check above could fail
    g = attribution(m, "abcabhgfed", 1, method="grad_x_input")
    assert g.completeness_error > 0.01


def test_grad_x_input_matches_finite_differences_on_the_next_token():
    v = Vocab([*SPECIALS, *"abcd"], kind="char")
    cfg = RNNConfig(cell="lstm", n_x=len(v), n_a=5, n_y=len(v))
    lm = LanguageModel("lm", Model.init(cfg, rng=np.random.default_rng(3)), v, {})
    text, t, k = "abcdab", 4, v.stoi["c"]
    a = attribution(lm, text, k, step=t)
    x, _ = lm.encode(text)
    base = lm.model.forward(x, state0=lm.state0).rows["y_hat"][t - 1, 0, k]
    eps = 1e-6
    for s in range(len(text)):
        xs = x.copy()
        xs[:, :, s] *= 1 + eps                   # d/dε f(x with x<s> scaled) = x<s>·∂f/∂x<s>
        up = lm.model.forward(xs, state0=lm.state0).rows["y_hat"][t - 1, 0, k]
        assert a.scores[s] == pytest.approx((up - base) / eps, abs=1e-6)
    assert np.all(a.scores[t:] == 0)            # the future does not reach ŷ<t>


def test_bad_requests_say_what_is_wrong():
    m = copy_model()
    with pytest.raises(ValueError, match="method"):
        attribution(m, "a b", 0, method="saliency")
    with pytest.raises(ValueError, match="output index"):
        attribution(m, "a b", 5)
    with pytest.raises(ValueError, match="not one of"):
        attribution(m, "a b", "maybe")
    with pytest.raises(ValueError, match="many-to-one"):
        attribution(m, "a b", 0, step=1)
    with pytest.raises(ValueError, match="no tokens"):
        attribution(m, "", 0)
