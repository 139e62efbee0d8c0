"""Figures of the Vanishing-gradients page: three curves, the summary number, clipping."""

import numpy as np
import pytest
from _fig_spec import spec
from _traces import VOCAB

from rnnviz.core.analysis import state_jacobian_norms
from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model, RNNConfig
from rnnviz.figures import vanishing as F


def models(rho=0.9, n_a=8, activation="tanh", forget_bias=1.0, seed=0):
    init = InitConfig(scheme="orthogonal", spectral_radius=rho, forget_bias=forget_bias)
    out = {}
    for cell in F.ARCHS:
        cfg = RNNConfig(cell=cell, n_x=len(VOCAB), n_a=n_a, n_y=len(VOCAB), dtype="float64",
                        activation=activation if cell == "rnn" else "tanh")
        out[F.NAMES[cell]] = Model.init(cfg, rng=np.random.default_rng(seed), init=init)
    return out


def inputs(T=60):
    ids, target = F.repeat_ids(VOCAB.encode("Return the list."), T)
    return VOCAB.one_hot(ids, dtype=np.float64), target


def test_repeat_ids():
    ids, target = F.repeat_ids(np.array([5, 6, 7]), 7)
    assert ids.tolist() == [5, 6, 7, 5, 6, 7, 5] and target == 6
    with pytest.raises(ValueError):
        F.repeat_ids(np.array([], dtype=int), 3)


def test_three_curves_named_rnn_gru_lstm_with_the_computed_norms():
    ms = models()
    x, target = inputs()
    curves = F.gradient_curves(ms, x, target)
    for name, m in ms.items():
        tr = m.forward(x)
        _, _, bt = m.backward(tr, np.array([target]), at="last")
        np.testing.assert_allclose(curves[name]["norms"], bt.grad_norm, rtol=1e-12)
    s = spec(F.vanishing_figure({n: c["norms"] for n, c in curves.items()}))
    lines = [d for d in s["data"] if d["type"] == "scatter"]
    assert [d["name"] for d in lines] == ["RNN", "GRU", "LSTM"]
    for d in lines:
        # float64 on purpose: these norms go far below float32's range.
        np.testing.assert_allclose(d["y"], curves[d["name"]]["norms"], rtol=1e-12)
    assert s["layout"]["yaxis"]["type"] == "log"


def test_jacobian_measure_matches_the_core():
    ms = models(n_a=5)
    x, target = inputs(30)
    curves = F.gradient_curves(ms, x, target, measure="jacobian")
    for name, m in ms.items():
        np.testing.assert_allclose(curves[name]["norms"],
                                   state_jacobian_norms(m, m.forward(x)), rtol=1e-12)


def test_steps_to_vanish():
    norms = np.array([1e-9, 1e-6, 1e-4, 1e-2, 1.0])
    assert F.steps_to_vanish(norms) == 2            # 1e-4 < 1e-3 at t = T_x - 2
    assert F.steps_to_vanish(np.ones(10)) is None
    assert F.steps_to_vanish(np.array([1.0, 1.0, 2.0])) is None      # never below 1e-3 × 2
    assert F.steps_to_vanish(np.array([0.5, np.inf])) is None
    assert F.steps_to_vanish(np.array([np.nan, 1.0, 1.0])) == 2       # a NaN counts as gone


def test_lstm_keeps_the_gradient_longer_than_rnn_with_open_forget_gates():
    ms = models(rho=0.8, n_a=16, forget_bias=5.0)
    x, target = inputs(120)
    c = F.gradient_curves(ms, x, target)
    rnn, lstm = F.steps_to_vanish(c["RNN"]["norms"]), F.steps_to_vanish(c["LSTM"]["norms"])
    assert rnn is not None and (lstm is None or lstm > rnn)


def test_extreme_settings_are_flagged_not_plotted_as_numbers():
    ms = models(rho=3.0, activation="relu", n_a=16)
    x, target = inputs(200)
    c = F.gradient_curves(ms, x, target)
    assert c["RNN"]["nonfinite"] or F.growth(c["RNN"]["norms"]) > 1e3
    s = spec(F.vanishing_figure({n: v["norms"] for n, v in c.items()}))
    for d in s["data"]:
        y = np.asarray(d["y"], dtype=float) if d["type"] == "scatter" and "name" in d else None
        if y is not None:
            assert not np.isinf(y).any() and not (y[np.isfinite(y)] <= 0).any()


def test_clip_summary():
    g = {"W": np.array([[3.0, -4.0]]), "b": np.array([[12.0]])}        # ||g|| = 13
    none = F.clip_summary(g, "none", 1.0)
    assert none["norm_before"] == none["norm_after"] == pytest.approx(13.0)
    by_norm = F.clip_summary(g, "norm", 1.0)
    assert by_norm["norm_after"] == pytest.approx(1.0) and by_norm["cosine"] == pytest.approx(1)
    by_value = F.clip_summary(g, "value", 3.5)
    assert by_value["max_after"] == 3.5 and by_value["cosine"] < 1
    s = spec(F.clipping_figure({"RNN": by_norm, "GRU": none}, method="norm", threshold=1.0))
    assert s["data"][1]["y"] == [pytest.approx(1.0), pytest.approx(13.0)]
