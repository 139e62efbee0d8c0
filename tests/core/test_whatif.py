"""What-if changes of a<t>: against the equations by hand, and against readings that must agree."""

import numpy as np
import pytest

from rnnviz.core.functional import softmax
from rnnviz.core.model import Model, RNNConfig
from rnnviz.models import Classifier
from rnnviz.models.interventions import default_reference, unit_means
from rnnviz.text import SPECIALS, Vocab
from rnnviz.whatif import Request, compare

VOCAB = Vocab([*SPECIALS, *"abcdefg "], kind="char")


def model(cell, layers=1, seed=0, head="many_to_many", bidirectional=False):
    n = len(VOCAB)
    cfg = RNNConfig(cell=cell, n_x=n, n_a=6, n_y=n if head == "many_to_many" else 3,
                    head=head, layers=layers, bidirectional=bidirectional)
    return Classifier("m", Model.init(cfg, rng=np.random.default_rng(seed)), VOCAB, {})


def test_a_clamp_on_the_rnn_equals_the_equations_by_hand():
    m = model("rnn")
    p = m.model.params
    text, units, v, steps = "abc defg", (1, 4), 0.7, (2, 3, 6)
    got = compare(m, text, Request(units=units, value=v, steps=steps))
    x, _ = m.encode(text)
    a = np.zeros(6)
    for t in range(x.shape[2]):
        a = np.tanh(p["Waa"] @ a + p["Wax"] @ x[:, 0, t] + p["ba"][:, 0])
        if t + 1 in steps:
            a[list(units)] = v
        np.testing.assert_allclose(got.after[t], a, atol=1e-12)
        np.testing.assert_allclose(got.y_after[t], softmax(p["Wy"] @ a + p["by"][:, 0]),
                                   atol=1e-12)
    assert got.changed.sum() == len(units) * len(steps)
    assert not np.allclose(got.y_after[-1], got.y_before[-1])   # the change reached T_x


@pytest.mark.parametrize("cell", ["rnn", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
def test_patching_every_unit_at_t_is_reading_b_up_to_t(cell, layers):
    """For a cell whose whole state is a<t> (one layer), patching all of a<t> from B at t
    equals reading B's first t tokens and then A's; with two layers only the top layer is
    patched, so the two differ (the check could fail)."""
    m = model(cell, layers)
    a_text, b_text, t = "abcabca", "gfedgfe", 3
    got = compare(m, a_text, Request(units=tuple(range(6)), steps=(t,), source=b_text))
    mixed = m.trace(b_text[:t] + a_text[t:])["y_hat"][:, 0, :].T
    same = np.allclose(got.y_after[t - 1:], mixed[t - 1:], atol=1e-10)   # from t on
    assert same == (layers == 1)
    np.testing.assert_allclose(got.y_after[:t - 1], got.y_before[:t - 1])


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_patching_from_the_same_sentence_changes_nothing(cell):
    m = model(cell, layers=2, head="many_to_one")
    got = compare(m, "abcdefg", Request(units=(0, 2, 5), steps=(4,), source="abcdefg"))
    np.testing.assert_allclose(got.y_after, got.y_before, atol=1e-12)
    np.testing.assert_allclose(got.after, got.before, atol=1e-12)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_mean_ablation_holds_the_units_at_their_mean_over_the_reference(cell):
    """Without a reference, "mean" is the model's default one (here, a model of a shipped
    kind: its held-out corpus), not the sentence read."""
    m = model(cell)
    got = compare(m, "abcdefg ab", Request(units=(3,), value="mean"))
    want = unit_means(m, default_reference(m), "a")[3]
    np.testing.assert_allclose(got.after[:, 3], want)
    assert not np.isclose(want, got.before[:, 3].mean())
    assert not np.allclose(got.after[:, 0], got.before[:, 0])   # others feel it


@pytest.mark.parametrize("req,message", [
    (Request(units=(6,)), "units must be in 0..5"),
    (Request(units=()), "at least one unit"),
    (Request(units=(0,), steps=(0,)), "steps must be in 1..T_x = 4"),
    (Request(units=(0,), steps=(5,)), "steps must be in 1..T_x = 4"),
    (Request(units=(0,), value=float("nan")), "finite number"),
    (Request(units=(0,), value="median"), "number or 'mean'"),
    (Request(units=(0,), steps=(4,), source="ab"), "too short to patch step 4"),
])
def test_bad_requests_say_what_is_wrong(req, message):
    with pytest.raises(ValueError, match=message):
        compare(model("lstm"), "abcd", req)


def test_a_gate_clamp_on_the_lstm_equals_the_equations_by_hand():
    """Γf := 1 for unit 2 at steps 2..3: c<t> = Γf * c<t-1> + Γu * c̃<t> with that Γf."""
    m = model("lstm")
    p = m.model.params
    text, steps = "abc defg", (2, 3)
    got = compare(m, text, Request(units=(2,), value=1.0, steps=steps, quantity="gamma_f"))
    x, _ = m.encode(text)
    a, c = np.zeros(6), np.zeros(6)
    sig = lambda z: 1 / (1 + np.exp(-z))                                     # noqa: E731
    for t in range(x.shape[2]):
        z = np.concatenate([a, x[:, 0, t]])
        gf = sig(p["Wf"] @ z + p["bf"][:, 0])           # W_f = [W_fa | W_fx]
        gu = sig(p["Wi"] @ z + p["bi"][:, 0])
        go = sig(p["Wo"] @ z + p["bo"][:, 0])
        ct = np.tanh(p["Wc"] @ z + p["bc"][:, 0])
        if t + 1 in steps:
            gf[2] = 1.0
        c = gf * c + gu * ct
        a = go * np.tanh(c)
        np.testing.assert_allclose(got.after[t], gf, atol=1e-12)
    assert got.quantity == "gamma_f" and got.changed[:, 2].sum() == 2
    np.testing.assert_allclose(got.y_after[-1], softmax(p["Wy"] @ a + p["by"][:, 0]),
                               atol=1e-12)


def test_a_clamp_of_the_backward_direction_changes_the_earlier_steps():
    """a←<t> reads from T_x down: a clamp at step 3 of the backward direction changes ŷ<t>
    for t ≤ 3 only, and leaves the forward direction as it was."""
    m = model("gru", bidirectional=True)
    got = compare(m, "abcdefg", Request(units=(1,), value=0.9, steps=(3,), direction="bwd"))
    assert got.direction == "bwd"
    assert np.allclose(got.y_after[3:], got.y_before[3:], atol=1e-12)
    assert not np.allclose(got.y_after[:3], got.y_before[:3])
    np.testing.assert_allclose(got.after[2, 1], 0.9)
    fwd = compare(m, "abcdefg", Request(units=(1,), value=0.9, steps=(3,), direction="bwd",
                                        quantity="a", layer=1))
    np.testing.assert_allclose(fwd.after, got.after)


def test_a_clamp_of_the_lower_layer_reaches_the_top():
    m = model("rnn", layers=2)
    low = compare(m, "abcdefg", Request(units=(0,), value=0.5, layer=1))
    np.testing.assert_allclose(low.after[:, 0], 0.5)
    top = m.trace("abcdefg", interventions=[])
    assert low.layer == 1
    np.testing.assert_allclose(low.y_before, np.asarray(top["y_hat"][:, 0, :].T))
    assert not np.allclose(low.y_after, low.y_before)


def test_mean_ablation_uses_the_reference_not_the_sentence():
    m = model("lstm")
    reference = "gfedcba gfedcba abab"
    got = compare(m, "abcdefg ab", Request(units=(3,), value="mean", quantity="c",
                                           reference=reference))
    want = m.trace(reference)["c"][3, 0, :].mean()
    np.testing.assert_allclose(got.after[:, 3], want, atol=1e-12)
    assert not np.isclose(want, got.before[:, 3].mean())
    given = compare(m, "abcdefg ab", Request(units=(3,), value="mean", quantity="c",
                                             means=tuple(np.arange(6.0))))
    np.testing.assert_allclose(given.after[:, 3], 3.0)


@pytest.mark.parametrize("req,message", [
    (Request(units=(0,), quantity="gamma_f"), "GRU cell has no 'gamma_f'"),
    (Request(units=(0,), layer=2), "layer must be in 1..1"),
    (Request(units=(0,), direction="bwd"), "reads one direction"),
])
def test_what_the_cell_lacks_is_named(req, message):
    with pytest.raises(ValueError, match=message):
        compare(model("gru"), "abcd", req)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_a_patch_of_the_backward_direction_reaches_only_the_earlier_steps(cell):
    """Patching c←<4> (LSTM) or a←<4> from another sentence changes ŷ<t> for t ≤ 4 only; from
    the same sentence it changes nothing."""
    m = model(cell, bidirectional=True)
    q = "c" if cell == "lstm" else "a"
    got = compare(m, "abcdefg", Request(units=(0, 3), steps=(4,), source="gfedcba",
                                        quantity=q, direction="bwd"))
    np.testing.assert_allclose(got.y_after[4:], got.y_before[4:], atol=1e-12)
    assert not np.allclose(got.y_after[:4], got.y_before[:4])
    src = m.trace("gfedcba")[f"{q}_bwd"][:, 0, :].T
    np.testing.assert_allclose(got.after[3, [0, 3]], src[3, [0, 3]], atol=1e-12)
    same = compare(m, "abcdefg", Request(units=(0, 3), steps=(4,), source="abcdefg",
                                         quantity=q, direction="bwd"))
    np.testing.assert_allclose(same.y_after, same.y_before, atol=1e-12)
