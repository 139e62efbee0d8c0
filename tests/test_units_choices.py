"""The choices the Units page makes, computed in rnnviz.units: the default quantity, the
table of top units, a unit's strongest feature, the line-position finding, corpus windows."""

import numpy as np
import pandas as pd
import pytest

from rnnviz import units as U
from rnnviz.models import random_model

TEXT = "def f(x):\n    return (x + 1)  # one more\n\nprint(f(2), 'done')\n" * 3


def lm(cell):
    return random_model(cell=cell, n_a=6, seed=0, dtype="float64")


@pytest.mark.parametrize("cell, want", [("lstm", "c"), ("gru", "c"), ("rnn", "a")])
def test_default_quantity(cell, want):
    model = lm(cell)
    assert model.kind == "char_lm"
    assert U.default_quantity(model) == want
    assert ("c" in U.trace_keys(model)) == (want == "c")


def test_default_quantity_is_a_for_other_kinds():
    class Tagger:                       # an LSTM tagger: it has c<t>, yet a<t> is the default
        kind = "tagger"
        model = lm("lstm").model
    assert "c" in U.trace_keys(Tagger())
    assert U.default_quantity(Tagger()) == "a"


def scores_table():
    return pd.DataFrame({"feature": ["is_space"] * 3 + ["custom pattern"] * 2,
                         "unit": [4, 0, 2, 1, 3],
                         "score": [0.91234, -0.5, 0.1, -0.7771, np.nan]})


def test_top_units_table():
    t = U.top_units_table(scores_table(), k=2)
    assert list(t.columns) == ["feature", "unit", "r"]
    assert t.feature.tolist() == ["is_space", "is_space", "custom pattern", "custom pattern"]
    assert t.unit.tolist() == [4, 0, 1, 3]
    # r as text to 3 decimals with its sign; a dash where r is undefined (never "None")
    assert t.r.tolist() == ["+0.912", "-0.500", "-0.777", "—"]
    assert U.constant_features(scores_table()) == []
    flat = pd.DataFrame({"feature": ["q", "q", "s"], "unit": [0, 1, 0],
                         "score": [np.nan, np.nan, 0.3]})
    assert U.constant_features(flat) == ["q"]


def test_strongest_feature():
    s = pd.DataFrame({"feature": ["a", "b", "c", "a", "b"], "unit": [0, 0, 0, 1, 1],
                      "score": [0.2, -0.9, 0.5, np.nan, np.nan]})
    assert U.strongest_feature(s, 0) == ("b", -0.9)
    assert U.strongest_feature(s, 1) is None
    assert U.strongest_feature(s, 7) is None


@pytest.mark.parametrize("r, want", [
    ({"rnn": 0.1, "gru": 0.5, "lstm": -0.6}, True),
    ({"rnn": 0.1, "gru": 0.25, "lstm": 0.9}, False),     # the GRU is not 0.2 better
    ({"rnn": -0.7, "gru": 0.8, "lstm": 0.95}, False),
])
def test_gated_beats_rnn(r, want):
    best = pd.DataFrame({"model": list(r) + list(r), "quantity": "a",
                         "feature": ["line_position"] * 3 + ["is_space"] * 3, "unit": 0,
                         "score": list(r.values()) + [0.0, 1.0, 1.0]})
    assert U.gated_beats_rnn(best, "rnn", ("gru", "lstm")) is want


def test_corpus_window_matches_the_steps():
    model = lm("lstm")
    corpus = U.corpus_trace(model, TEXT, ("a",))
    text, spans, values = U.corpus_window(corpus, "a", 2, 10, 25)
    assert spans.shape == (25, 2) and values.shape == (25,)
    np.testing.assert_array_equal(values, corpus["a"][2, 10:35])
    for t, (s, e) in enumerate(spans, start=11):
        assert text[s:e] == corpus.label(t)
    assert text == TEXT[corpus.spans[10, 0]:corpus.spans[34, 1]]
    text, spans, values = U.corpus_window(corpus, "a", 0, corpus.N - 3, 25)   # cut at the end
    assert values.shape == (3,) and text.endswith(corpus.label(corpus.N))


def _brute_on(V, s, e, theta):
    """Units on over s..e (1-based) at theta, by the definition, one unit at a time."""
    T = V.shape[1]
    return [j for j in range(V.shape[0])
            if all(V[j, t - 1] >= theta for t in range(s, e + 1))
            and (s == 1 or V[j, s - 2] < theta) and (e == T or V[j, e] < theta)]


def test_telling_span_is_the_longest_span_with_a_unit_on():
    rng = np.random.default_rng(3)
    V = rng.uniform(-1, 1, size=(6, 20)).astype(np.float32)
    V[:, 4:9] = -0.5                       # steps 5..9: nothing on
    V[2, 11:15] = 0.9                      # unit 2 on over steps 12..15 and off around them
    V[2, 10] = V[2, 15] = -0.9
    s, e = U.telling_span(V, 0.3, max_length=8)
    # a candidate span (a word) with a unit on comes first; one with none is passed over
    assert U.telling_span(V, 0.3, candidates=[(5, 9), (12, 15)]) == (12, 15)
    assert _brute_on(V, 12, 15, 0.3) == [2]
    longest = max(L for L in range(1, 9) for a in range(1, 21 - L + 1)
                  if _brute_on(V, a, a + L - 1, 0.3))
    assert e - s + 1 == longest >= 4
    assert _brute_on(V, s, e, 0.3)
    assert not any(_brute_on(V, a, a + longest - 1, 0.3) for a in range(1, s))   # earliest
    assert U.telling_span(np.full((3, 5), -1.0), 0.3) is None


def test_nearest_on_offers_the_closest_threshold_and_the_units_on_most():
    # unit 0: on over steps 2..3 for thresholds in (0.2, 0.5]; unit 1: (0.1, 0.25];
    # unit 2 is high everywhere (its neighbours are as high as the span: never "on over it").
    V = np.array([[0.0, 0.5, 0.6, 0.2, 0.0],
                  [0.1, 0.25, 0.9, 0.0, 0.0],
                  [0.9, 0.9, 0.9, 0.9, 0.9]], dtype=np.float32)
    assert _brute_on(V, 2, 3, 0.7) == []
    near = U.nearest_on(V, 2, 3, 0.7)
    assert near["threshold"] == pytest.approx(0.5)                  # unit 0's top
    assert list(near["units"]) == _brute_on(V, 2, 3, near["threshold"]) == [0]
    low = U.nearest_on(V, 2, 3, 0.05)
    assert low["threshold"] == pytest.approx(0.1, abs=1e-6) and list(low["units"]) == [1]
    # at 0.7 unit 2 is above it at both span steps, unit 1 at one of two, unit 0 at none
    assert list(near["most"].unit) == [2, 1]
    assert list(near["most"].fraction) == [1.0, 0.5]
    # on a slider's grid (multiples of 0.05 in [-1, 1]): unit 0's (0.2, 0.5] holds 0.25 …
    # 0.5, the nearest to 0.7 is 0.5; unit 1's (0.1, 0.25] holds 0.15, 0.2, 0.25
    assert U.nearest_on(V, 2, 3, 0.7, grid=(0.05, -1, 1))["threshold"] == pytest.approx(0.5)
    g = U.nearest_on(V, 2, 3, 0.05, grid=(0.05, -1, 1))
    assert g["threshold"] == pytest.approx(0.15) and list(g["units"]) == [1]
    assert _brute_on(V, 2, 3, g["threshold"]) == [1]
    # an interval with no grid point in it: none offered
    W = np.array([[0.0, 0.52, 0.53, 0.51, 0.0]], dtype=np.float32)   # on for θ in (0.51, 0.52]
    assert U.nearest_on(W, 2, 3, 0.9)["threshold"] == pytest.approx(0.52)
    assert U.nearest_on(W, 2, 3, 0.9, grid=(0.05, -1, 1))["threshold"] is None
    # … and the slider's highest value bounds the offer: (0.0, 0.52] with a slider up to 0.4
    W[0, 3] = 0.0
    assert U.nearest_on(W, 2, 3, 0.9, grid=(0.05, -1, 1))["threshold"] == pytest.approx(0.5)
    assert U.nearest_on(W, 2, 3, 0.9, grid=(0.05, -1, 0.4))["threshold"] == pytest.approx(0.4)
    flat = U.nearest_on(np.ones((2, 4), dtype=np.float32), 2, 3, 0.5)
    assert flat["threshold"] is None and flat["units"].size == 0
