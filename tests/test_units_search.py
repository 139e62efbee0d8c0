"""Select and search that names something (issue 23 item 4), on a small hand-made corpus whose
values are chosen here, so every score, rank and offer is known in advance."""

import numpy as np
import pandas as pd
import pytest

from rnnviz import units as U
from rnnviz.text import SPECIALS, Vocab


def hand_corpus(text, values):
    """A CorpusTrace of `text` (one step per character) with a<t> = `values` (n, N)."""
    V = np.asarray(values, dtype=np.float32)
    spans = np.stack([np.arange(len(text)), np.arange(len(text)) + 1], axis=1)
    return U.CorpusTrace(
        text=text, spans=spans, ids=np.arange(len(text)), values={"a": V},
        features=U.builtin_features(text, spans, "char"), token_kind="char", method="exact",
        stats={"a": (V.mean(axis=1, dtype=np.float64), V.std(axis=1, dtype=np.float64))})


# "cat" three times, "a" alone twice. Unit 0 marks every "cat" strongly (0.9) and the lone
# "a"s weakly (0.4); unit 1 switches on with unit 0 over the lone "a"s (a shared pattern).
TEXT = "cat a cat a cat"
ON0 = {0: .9, 1: .9, 2: .9, 4: .4, 6: .9, 7: .9, 8: .9, 10: .4, 12: .9, 13: .9, 14: .9}
ON1 = {4: .5, 10: .5}


def values():
    V = np.zeros((3, len(TEXT)))
    for t, v in ON0.items():
        V[0, t] = v
    for t, v in ON1.items():
        V[1, t] = v
    V[2] = np.linspace(-0.5, 0.2, len(TEXT))            # never reaches 0.3: never on
    return V


def test_matches_rank_by_specificity_shared_out_among_the_units_that_switch():
    c = hand_corpus(TEXT, values())
    res = U.search_pattern(c, [0], 0.3)
    V = values()
    mu, sd = V[0].mean(), V[0].std()
    z_cat, z_a = (0.9 - mu) / sd, (0.4 - mu) / sd
    assert [TEXT[a:b] for a, b in zip(res.char_start, res.char_end, strict=True)] == \
        ["cat", "cat", "cat", "a", "a"]
    assert res.start.tolist() == [1, 7, 13, 5, 11]          # ties: earlier first
    np.testing.assert_allclose(res.specificity, [z_cat] * 3 + [z_a] * 2, rtol=1e-5)
    # over the lone "a", unit 1 shares the pattern: the score is halved
    assert res.others.tolist() == [0, 0, 0, 1, 1]
    np.testing.assert_allclose(res.score, [z_cat] * 3 + [z_a / 2] * 2, rtol=1e-5)
    assert mu == pytest.approx((9 * 0.9 + 2 * 0.4) / 15)
    # the lone "a"s are on, yet below the unit's mean (it is high on every "cat"): < 0
    assert res.score.iloc[0] > 0.7 and res.score.iloc[-1] < 0
    texts = U.matched_texts(c, res)
    assert texts.text.tolist() == ["cat", "a"]
    assert texts.matches.tolist() == [3, 2]
    np.testing.assert_allclose(texts.score, [z_cat, z_a / 2], rtol=1e-5)


def test_matched_texts_prefers_repeats_and_keeps_singletons_when_nothing_repeats():
    c = hand_corpus("xyz", np.zeros((1, 3)))
    m = pd.DataFrame({"char_start": [0, 1, 2, 0], "char_end": [1, 2, 3, 1],
                      "score": [1.0, 5.0, 2.0, 3.0]})
    t = U.matched_texts(c, m)
    assert t.text.tolist() == ["x"] and t.matches.tolist() == [2] and t.score[0] == 2.0
    t = U.matched_texts(c, m.iloc[1:3])
    assert t.text.tolist() == ["y", "z"] and t.score.tolist() == [5.0, 2.0]
    assert len(U.matched_texts(c, m.iloc[:0])) == 0


def test_word_spans_and_the_first_word_with_a_unit_on():
    c = hand_corpus(TEXT, values())
    assert U.word_spans(c) == [(1, 3), (7, 9), (13, 15), (5, 5), (11, 11)]
    V = values()
    assert U.telling_span(V, 0.3, candidates=U.word_spans(c)) == (1, 3)
    # no word has a unit on at 0.95: the longest span of any kind (none here) -> None
    assert U.telling_span(V, 0.95, candidates=U.word_spans(c)) is None
    # at 0.45 only the "cat"s are on (the lone "a"s are 0.4 for unit 0, 0.5 for unit 1)
    assert U.telling_span(V, 0.45, candidates=[(5, 5), (1, 3)]) == (5, 5)
    assert U.select_units(c, 5, 5, 0.45).tolist() == [1]


def test_nothing_on_offers_the_nearest_threshold_and_the_units_on_most_with_values():
    c = hand_corpus(TEXT, values())
    # the first "cat" (t = 1..3) at 0.95: unit 0 is on over it exactly for 0 < θ ≤ 0.9 (its
    # lowest value there; t = 4, a space, is 0 and there is no step before)
    assert U.select_units(c, 1, 3, 0.95).size == 0
    near = U.nearest_on(c["a"], 1, 3, 0.95)
    assert near["threshold"] == pytest.approx(0.9) and near["units"].tolist() == [0]
    v = near["values"]
    assert v.unit.tolist() == [0] and v.lowest[0] == pytest.approx(0.9) and v.outside[0] == 0
    assert len(near["most"]) == 0                       # no unit reaches 0.95 anywhere
    # " a" (t = 4..5) at 0.3: no threshold puts a unit on over exactly it (each unit is 0 on
    # the space and at least as high just outside); units 0 and 1 are on at half its steps,
    # unit 1 first (mean 0.25 > 0.20)
    near = U.nearest_on(c["a"], 4, 5, 0.3)
    assert near["threshold"] is None and near["units"].size == 0 and len(near["values"]) == 0
    most = near["most"]
    assert most.unit.tolist() == [1, 0]
    np.testing.assert_allclose(most.fraction, [0.5, 0.5])
    np.testing.assert_allclose(most["mean"], [0.25, 0.2], rtol=1e-6)
    # the whole text: no neighbour step at all, outside is NaN
    near = U.nearest_on(c["a"], 1, len(TEXT), -0.6)
    assert near["units"].tolist() == [0, 1, 2] and np.isnan(near["values"].outside).all()
    np.testing.assert_allclose(near["values"].lowest, [0, 0, -0.5], atol=1e-7)


def test_unknown_share_and_tokens_an_imported_vocabulary_cannot_read():
    from rnnviz.core.model import Model, RNNConfig
    from rnnviz.models import LanguageModel

    vocab = Vocab([*SPECIALS, *"abc "], kind="char")
    cfg = RNNConfig(cell="gru", n_x=len(vocab), n_a=4, n_y=len(vocab), dtype="float64")
    lm = LanguageModel("abc", Model.init(cfg, rng=np.random.default_rng(0)), vocab, start_id=None)
    c = U.corpus_trace(lm, "abc xyz", ("a",))
    assert U.unknown_share(lm, c) == pytest.approx(3 / 7)
    # an id of -1 (an imported vocabulary without an unknown token) is x<t> = 0, not the
    # last row of x
    x = U.corpus_reading._one_hot(lm, np.array([[2, -1]]))
    assert x[:, 0, 1].sum() == 0 and x[2, 0, 0] == 1
