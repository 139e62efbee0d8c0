"""Figures of the Vanishing-gradients page: three curves, the summary number, clipping."""

import numpy as np
import pytest
from _fig_spec import spec
from _traces import VOCAB

from rnnviz.core import analysis as A
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
    ids, target = A.repeat_ids(VOCAB.encode("Return the list."), T)
    return VOCAB.one_hot(ids, dtype=np.float64), target


def test_three_curves_named_rnn_gru_lstm_with_the_computed_norms():
    ms = models()
    x, target = inputs()
    curves = A.gradient_curves(ms, x, target)
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


def test_extreme_settings_are_flagged_not_plotted_as_numbers():
    ms = models(rho=3.0, activation="relu", n_a=16)
    x, target = inputs(200)
    c = A.gradient_curves(ms, x, target)
    assert c["RNN"]["nonfinite"] or A.growth(c["RNN"]["norms"]) > 1e3
    s = spec(F.vanishing_figure({n: v["norms"] for n, v in c.items()}))
    for d in s["data"]:
        y = np.asarray(d["y"], dtype=float) if d["type"] == "scatter" and "name" in d else None
        if y is not None:
            assert not np.isinf(y).any() and not (y[np.isfinite(y)] <= 0).any()


def test_clipping_figure_shows_the_summaries():
    g = {"W": np.array([[3.0, -4.0]]), "b": np.array([[12.0]])}        # ||g|| = 13
    none, by_norm = A.clip_summary(g, "none", 1.0), A.clip_summary(g, "norm", 1.0)
    s = spec(F.clipping_figure({"RNN": by_norm, "GRU": none}, method="norm", threshold=1.0))
    assert s["data"][1]["y"] == [pytest.approx(1.0), pytest.approx(13.0)]


@pytest.mark.parametrize("after", [1.0, 0.5, 1e-3])
def test_clipping_axis_starts_below_every_bar(after):
    """Issue 23, item 2: clipped to exactly 1.0, the "after clipping" bar must have a height.
    Bars on a log axis rise from the bottom of the range: each bar's top is at least a tenth
    of the axis height above it."""
    summaries = {"RNN": {"norm_before": 1e6, "norm_after": after, "cosine": 1.0},
                 "LSTM": {"norm_before": 3.0, "norm_after": 1.0, "cosine": 1.0}}
    s = spec(F.clipping_figure(summaries, method="norm", threshold=1.0))
    lo, hi = s["layout"]["yaxis"]["range"]
    assert s["layout"]["yaxis"]["type"] == "log"
    for trace in s["data"]:
        for y in trace["y"]:
            assert (np.log10(y) - lo) / (hi - lo) >= 0.1, (trace["name"], y, lo, hi)
        assert max(np.log10(trace["y"])) <= hi


def test_the_sidebars_model_is_a_dashed_escaped_line_and_a_two_line_bar_label():
    curves = {"RNN": 10.0 ** -np.linspace(8, 0, 20), "sidebar: <b>mine</b>": np.full(20, 0.5)}
    s = spec(F.vanishing_figure(curves, dashed=["sidebar: <b>mine</b>"]))
    rnn, mine = (d for d in s["data"] if d.get("type") == "scatter")
    assert rnn["line"]["dash"] == "solid" and mine["line"]["dash"] == "dash"
    assert "<b>" not in mine["name"]                       # the user's name is escaped
    np.testing.assert_allclose(mine["y"], 0.5)
    assert "title" not in s["layout"]                      # the page names the measure above
    g = {"W": np.array([[3.0, -4.0]])}
    sums = {n: A.clip_summary(g, "norm", 1.0) for n in curves}
    x = spec(F.clipping_figure(sums))["data"][0]["x"]
    assert x[0] == "RNN" and x[1].startswith("sidebar:<br>") and "<b>" not in x[1]
