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
    assert list(t.columns) == ["feature", "unit", "r", "about"]
    assert t.feature.tolist() == ["is_space", "is_space", "custom pattern", "custom pattern"]
    assert t.unit.tolist() == [4, 0, 1, 3]
    assert t.r.tolist()[:3] == [0.912, -0.5, -0.777]
    assert t.about.tolist()[0] == U.FEATURE_NOTES["is_space"]
    assert t.about.tolist()[2] == "your pattern"


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
