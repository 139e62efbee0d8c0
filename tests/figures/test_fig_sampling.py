"""Figures of the sampling page, tested on the data they send to the browser."""

import math

import numpy as np
import pytest
from _fig_spec import spec, strings

from rnnviz.figures import sampling as F

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize("p, text", [(3.2e-13, "3.20 × 10⁻¹³"), (5.7e-10, "5.70 × 10⁻¹⁰"),
                                     (0.5, "0.5"), (0.00123, "0.00123"), (1.0, "1")])
def test_format_prob(p, text):
    assert F.format_prob(math.log(p)) == text


def test_format_prob_never_underflows():
    assert F.format_prob(-1e6) == "3.30 × 10⁻⁴³⁴²⁹⁵"
    assert F.format_prob(-math.inf) == "0"
    assert F.format_prob(math.log(9.9996e-5)) == "1.00 × 10⁻⁴"       # rounds up cleanly


def test_preference():
    r = F.preference(-10.0, -12.0)
    assert r["winner"] == "A" and r["diff"] == pytest.approx(2.0)
    assert r["ratio"] == f"{math.exp(2):.3g}"
    assert F.preference(-12.0, -10.0)["winner"] == "B"
    assert F.preference(-3.0, -3.0)["winner"] == "tie"
    huge = F.preference(-10.0, -2000.0)
    assert huge["winner"] == "A" and "10" in huge["ratio"]           # no overflow


def test_topk_sorted_with_the_draw_in_red():
    probs = np.array([0.05, 0.4, 0.1, 0.3, 0.15])
    model = np.array([0.1, 0.3, 0.2, 0.25, 0.15])
    itos = ["<UNK>", "a", " ", "b", "<"]
    s = spec(F.fig_topk(probs, 3, itos, k=3, step=7, model_probs=model, n_prefix=11))
    grey, sampled = s["data"]
    np.testing.assert_allclose(sampled["y"], [0.4, 0.3, 0.15], rtol=1e-6)
    np.testing.assert_allclose(grey["y"], [0.3, 0.25, 0.15], rtol=1e-6)
    assert s["layout"]["xaxis"]["ticktext"] == ["a", "b", "&lt;"]
    assert sampled["marker"]["color"] == [F.BASE, F.ACCENT, F.BASE]
    # Step 7 after an 11-character prefix has read x<1..17>: its distribution is ŷ<17>.
    assert s["layout"]["title"]["text"].startswith("ŷ<17>:")


@pytest.mark.parametrize("n_prefix, step, t", [(11, 1, 11), (0, 1, 0), (0, 5, 4), (3, 2, 4)])
def test_sampling_indexes_y_hat_and_a_by_the_input_just_read(n_prefix, step, t):
    """The notes' ŷ<t> and a<t> follow x<t>: the first draw after an 11-character prefix
    comes from ŷ<11>; without a prefix, from the start state's ŷ<0>."""
    probs = np.array([0.5, 0.3, 0.2])
    s = spec(F.fig_topk(probs, 0, ["a", "b", "c"], k=2, step=step, n_prefix=n_prefix))
    assert s["layout"]["title"]["text"].startswith(f"ŷ<{t}>:")
    h = spec(F.fig_hidden_state(np.ones((3, 6)), step=step, n_prefix=n_prefix))
    # One index on the whole chart: the bars' title, the heatmap's column and its frame.
    assert [a["text"] for a in h["layout"]["annotations"]][1] == f"a<{t}>"
    assert list(h["data"][0]["x"]) == list(range(n_prefix, n_prefix + 6))
    assert h["data"][0]["x"][step - 1] == t
    (frame,) = h["layout"]["shapes"]
    assert (frame["x0"], frame["x1"]) == (t - 0.5, t + 0.5)
    assert F.step_t(step, n_prefix) == t


def test_topk_adds_a_draw_outside_the_top_k():
    probs = np.array([0.6, 0.3, 0.1])
    s = spec(F.fig_topk(probs, 2, ["x", "y", " "], k=1))
    (bars,) = s["data"]
    np.testing.assert_allclose(bars["y"], [0.6, 0.1], rtol=1e-6)
    assert s["layout"]["xaxis"]["ticktext"] == ["x", "␣"]
    assert bars["marker"]["color"] == [F.BASE, F.ACCENT]


def test_hidden_state_heatmap_and_bars():
    A = np.random.default_rng(0).uniform(-1, 1, (6, 9))
    s = spec(F.fig_hidden_state(A, step=4))
    heat, bars = s["data"]
    np.testing.assert_allclose(heat["z"], A, rtol=1e-6)
    assert heat["z"].dtype == np.float32
    assert heat["y"] == [f"unit {u}" for u in range(6)] and bars["y"] == heat["y"]
    np.testing.assert_allclose(bars["x"], A[:, 3], rtol=1e-6)
    (box,) = s["layout"]["shapes"]
    assert (box["x0"], box["x1"]) == (2.5, 3.5)         # step 4, no prefix: a<3>
    assert s["layout"]["annotations"][1]["text"] == "a<3>"       # step 4 has read x<1..3>
    # Out-of-range steps are clipped; a saturated or NaN state does not break the colour range.
    A[0, 0] = np.nan
    s = spec(F.fig_hidden_state(A * 5, step=99))
    assert s["layout"]["shapes"][0]["x0"] == 7.5           # clipped to step 9: a<8>
    assert s["data"][0]["zmax"] == pytest.approx(np.nanmax(np.abs(A * 5)), rel=1e-6)


def test_hidden_state_of_a_wide_model_shows_its_most_active_units():
    rng = np.random.default_rng(1)
    A = rng.uniform(-0.01, 0.01, (200, 30))
    busy = [3, 50, 199]
    A[busy] = rng.uniform(-1, 1, (3, 30))
    s = spec(F.fig_hidden_state(A, step=2, max_units=3))
    heat, bars = s["data"]
    assert heat["y"] == ["unit 3", "unit 50", "unit 199"]
    np.testing.assert_allclose(heat["z"], A[busy], rtol=1e-6)
    np.testing.assert_allclose(bars["x"], A[busy, 1], rtol=1e-6)
    assert "3 most active of 200 units" in s["layout"]["annotations"][0]["text"]


def test_logprob_compare_marks_the_differing_characters():
    a, b = "The apple and pair salad", "The apple and pear salad"
    rng = np.random.default_rng(1)
    la, lb = -rng.uniform(0, 3, len(a)), -rng.uniform(0, 3, len(b))
    s = spec(F.fig_logprob_compare([("A", list(a), la), ("B " + HOSTILE, list(b), lb)]))
    cum_a, bar_a, cum_b, bar_b = s["data"]
    np.testing.assert_allclose(cum_a["y"], np.cumsum(la), rtol=1e-5)
    np.testing.assert_allclose(bar_b["y"], lb, rtol=1e-6)
    assert [(r["x0"], r["x1"]) for r in s["layout"]["shapes"]] == [(15.5, 16.5), (16.5, 17.5)]
    ticks = s["layout"]["xaxis"]["ticktext"]
    assert ticks[15:17] == ["a/e", "i/a"] and ticks[3] == "␣"
    assert not any("<img" in t for t in strings(s))


def test_logprob_compare_single_and_empty():
    s = spec(F.fig_logprob_compare([("x", list("hi"), np.log([0.5, 0.25]))]))
    np.testing.assert_allclose(s["data"][0]["y"], np.log([0.5, 0.125]), rtol=1e-6)
    assert s["layout"]["shapes"] == []
    spec(F.fig_logprob_compare([("empty", [], np.zeros(0))]))
