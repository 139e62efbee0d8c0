"""AppTest: the Units page. One app per module (the first run reads the held-out corpus with
the three char LMs, which takes seconds); each test sets the controls it needs."""

import re

import numpy as np
import pytest
from _frame_support import expected_loaded, markdown_html, sentence, set_sentence
from _page_support import HOSTILE, assert_no_raw_html, chart, chart_keys, open_page, tables

from rnnviz import units as U
from rnnviz.figures.safe_text import sym
from rnnviz_app.units_view import (
    COMPARE_TAB,
    INTERPRETABLE_TAB,
    KEY_TAB,
    PAINT_TAB,
    SATURATION_TAB,
    SEARCH_TAB,
    TABS,
)

PAGE = "pages/units.py"


@pytest.fixture(scope="module")
def at():
    with pytest.MonkeyPatch.context() as mp:
        app = open_page(mp, PAGE)
        assert not app.exception, app.exception
        yield app


def open_tab(at, label):
    """Choose the page's tab `label` (a rerun, as a click on it): only that tab is built."""
    at.session_state[KEY_TAB] = label
    at.run()
    assert not at.exception, at.exception
    return at


def use_sentence_corpus(at):
    at.radio(key="units.corpus").set_value("sentence").run()
    assert not at.exception, at.exception


def scores_table(at):
    """The page's first table: the top units per feature."""
    table = tables(at)[0]
    assert list(table.columns) == ["feature", "unit", "r"]
    return table.assign(r=[np.nan if r == "—" else float(r) for r in table.r])


def direct_r(values, feature):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.corrcoef(np.asarray(values, np.float64), np.asarray(feature, np.float64))[0, 1]


def test_the_page_opens_at_interpretable_units_and_builds_one_tab_at_a_time(at):
    assert [t.label for t in at.tabs] == list(TABS)
    assert chart_keys(at) == ["units.best_r"]
    assert [list(t.columns) for t in tables(at)] == [["feature", "unit", "r"]]
    for label, keys in ((PAINT_TAB, []), (SEARCH_TAB, ["units.selected"]),
                        (COMPARE_TAB, ["units.compare"]), (SATURATION_TAB, ["units.saturation"]),
                        (INTERPRETABLE_TAB, ["units.best_r"])):
        assert chart_keys(open_tab(at, label)) == keys, label
    assert at.session_state["units.corpus"] == "heldout"
    # The best-|r| bars: each bar's unit really has that r with the feature, on the start of
    # the held-out text (the page's default corpus).
    _, text = U.heldout_corpus("char_lm")
    text = text[:30_000]
    lstm = [d for d in chart(at, "units.best_r")["data"] if "lstm" in d["name"]][0]
    feats = list(lstm["y"])
    i = feats.index("line_position")
    unit, r = int(lstm["customdata"][i][0]), float(lstm["customdata"][i][1])
    loaded = expected_loaded(at)          # the default model is char-lm-lstm
    corpus = U.corpus_trace(loaded, text, ("c",))
    assert r == pytest.approx(direct_r(corpus["c"][unit], corpus.features["line_position"]),
                              abs=1e-3)
    assert abs(r) > 0.6
    assert lstm["x"][i] == pytest.approx(abs(r), abs=1e-5)
    # The learner's note quotes the numbers it computed, not fixed ones.
    note = [m.value for m in at.markdown if "position in the line" in m.value]
    assert note and f"unit {unit} of c" in note[0] and f"{r:+.2f}" in note[0]
    # Saturation: one panel per char LM.
    data = chart(open_tab(at, SATURATION_TAB), "units.saturation")["data"]
    names = {d.get("name") for d in data}
    assert {sym(k) for k in ("gamma_f", "gamma_u", "gamma_o", "gamma_r", "a")} <= names
    assert len({d["xaxis"] for d in data}) == 3


def test_scores_table_on_the_sentence_matches_np_corrcoef(at):
    open_tab(at, INTERPRETABLE_TAB)
    use_sentence_corpus(at)
    at.selectbox(key="units.quantity").set_value("a").run()
    table = scores_table(at)
    text = sentence(at)
    V = expected_loaded(at).trace(text)["a"][:, 0, :]
    feats = U.builtin_features(text, [(i, i + 1) for i in range(len(text))], "char")
    assert len(table) == 3 * len(feats)
    for row in table.itertuples():
        assert row.r == pytest.approx(direct_r(V[row.unit], feats[row.feature]), abs=1e-3,
                                      nan_ok=True)


def test_select_and_search_controls(at):
    open_tab(at, SEARCH_TAB)
    use_sentence_corpus(at)
    at.selectbox(key="units.quantity").set_value("a").run()
    text = sentence(at)
    V = expected_loaded(at).trace(text)["a"][:, 0, :]
    found_any = False
    for span, th in [((2, 4), 0.3), ((1, 1), 0.1), ((5, 6), 0.0), ((3, 3), -0.2)]:
        at.slider(key="units.span").set_value(span).run()
        at.slider(key="units.threshold").set_value(th).run()
        assert not at.exception, at.exception
        s, e = span
        on = (V[:, s - 1:e] >= th).all(axis=1)
        if s > 1:
            on &= V[:, s - 2] < th
        if e < V.shape[1]:
            on &= V[:, e] < th
        expected = np.flatnonzero(on)
        lines = [d for d in chart(at, "units.selected")["data"] if d.get("name")]
        assert [int(d["name"].split()[-1]) for d in lines] == expected[:40].tolist()
        if expected.size:
            found_any = True
            # The corpus is the sentence itself: the query span is a match.
            counts = [m.value for m in at.markdown if "match(es)" in m.value]
            assert counts and int(counts[0].split("**")[1].split()[0].replace(",", "")) >= 1
            html = "".join(markdown_html(at))
            assert f"t = {s}…{e}" in re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), html)
    assert found_any
    # Fewer units: the multiselect narrows the search, the looser mode finds at least as much.
    at.slider(key="units.span").set_value((1, 1)).run()
    at.slider(key="units.threshold").set_value(0.0).run()
    at.radio(key="units.ends").set_value("any").run()
    assert not at.exception, at.exception


def test_select_and_search_starts_on_a_span_with_a_unit_on_and_offers_the_nearest(monkeypatch):
    """Issue 23 item 4: the first view has something to name; when nothing is on, the page
    names the nearest threshold at which a unit is, and the units on over most of the span."""
    at = open_tab(open_page(monkeypatch, PAGE), SEARCH_TAB)   # a first visit to the tab
    model, text = expected_loaded(at), sentence(at)
    q = at.session_state["units.quantity"]
    s, e = at.slider(key="units.span").value
    sent = U.corpus_trace(model, text, (q,))
    # the first word of the sentence (longest first) over which a unit is on
    assert (s, e) == U.telling_span(sent[q], U.DEFAULT_THRESHOLD,
                                    candidates=U.word_spans(sent))
    assert (s, e) in U.word_spans(sent)
    units = U.select_units(sent, s, e, U.DEFAULT_THRESHOLD, q)
    assert units.size >= 1
    # the matches in the held-out corpus, most telling first, and the texts matched most
    _, held = U.heldout_corpus("char_lm")
    corpus = U.corpus_trace(model, held[:30_000], (q,))
    res = U.search_pattern(corpus, units, U.DEFAULT_THRESHOLD, q, ends="any")
    assert len(res) > 0 and res.score.iloc[0] > 1.0         # σ above the unit's usual level
    counts = [m.value for m in at.markdown if "match(es)" in m.value]
    assert counts and f"**{len(res):,} match(es)**" in counts[0]
    assert any("standard deviations" in c.value for c in at.caption)
    shown = [d for d in tables(at)
             if list(d.columns) == ["text", "matches", "score"]][0]
    want = U.matched_texts(corpus, res)
    assert shown.matches.tolist() == want.matches.tolist()
    np.testing.assert_allclose(shown.score, want.score)
    html = re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), "".join(markdown_html(at)))
    assert f"t = {res.start.iloc[0]}…{res.end.iloc[0]}, score {res.score.iloc[0]:.2f}" in html
    at.selectbox(key="units.quantity").set_value("a").run()
    V = U.corpus_trace(model, text, ("a",))["a"]
    # another quantity: the span starts again on a word where one of its units is on
    s, e = at.slider(key="units.span").value
    assert (s, e) == U.telling_span(V, U.DEFAULT_THRESHOLD, candidates=U.word_spans(sent))
    # a<t> = tanh(...) < 1: at threshold 1.0 no unit is on anywhere
    at.slider(key="units.threshold").set_value(1.0).run()
    assert not at.exception, at.exception
    near = U.nearest_on(V, s, e, 1.0, grid=(0.05, -1.0, 1.0))     # the slider's values
    info = " ".join(i.value for i in at.info)
    assert "No unit is on over exactly this span" in info
    assert near["threshold"] is not None and len(near["values"]) >= 1
    assert f"**{near['threshold']:.2f}**" in info
    for r in near["values"].itertuples():
        assert f"{int(r.unit)} (lowest in the span {r.lowest:+.3f}" in info
    # one click sets the slider there, and the units named are the ones selected
    at.button(key="units.nearest_threshold").click().run()
    assert not at.exception, at.exception
    assert at.slider(key="units.threshold").value == pytest.approx(near["threshold"])
    lines = [d for d in chart(at, "units.selected")["data"] if d.get("name")]
    assert [int(d["name"].split()[-1]) for d in lines] == near["units"].tolist()[:40]


def test_painting_follows_the_unit_and_the_feature(at):
    open_tab(at, PAINT_TAB)
    use_sentence_corpus(at)
    at.number_input(key="units.unit").set_value(7).run()
    html = "".join(markdown_html(at))
    decoded = re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), html)
    assert "[7] = " in decoded
    at.selectbox(key="units.paint_feature").set_value("is_space").run()
    painted = at.number_input(key="units.unit").value
    at.radio(key="units.paint_over").set_value("corpus").run()
    assert not at.exception, at.exception
    table = scores_table(open_tab(at, INTERPRETABLE_TAB))
    assert painted == int(table[table.feature == "is_space"].unit.iloc[0])
    # back to the tab: what was chosen in it is kept
    open_tab(at, PAINT_TAB)
    assert at.number_input(key="units.unit").value == painted
    assert at.radio(key="units.paint_over").value == "corpus"


def test_presets_and_hostile_sentences(at):
    open_tab(at, COMPARE_TAB)
    at.selectbox(key="units.preset").set_value("Teddy (Roosevelt or bears?)").run()
    a, b = U.PRESETS["Teddy (Roosevelt or bears?)"]
    dist = chart(at, "units.compare")["data"][0]["y"]
    common = len("He said, \"Teddy ")
    assert np.all(np.asarray(dist[:common]) == 0) and np.nanmax(dist) > 0
    at.selectbox(key="units.preset").set_value("your own").run()
    at.text_input(key="units.text_a").input(HOSTILE["script"]).run()
    at.text_input(key="units.text_b").input(HOSTILE["img"]).run()
    assert not at.exception, at.exception
    assert_no_raw_html(at, HOSTILE["script"])


def test_bad_corpus_and_pattern_get_clear_messages(at):
    open_tab(at, INTERPRETABLE_TAB)
    at.radio(key="units.corpus").set_value("own").run()
    at.text_area(key="units.paste").input("   ").run()
    assert any("corpus is empty" in e.value for e in at.error)
    at.text_area(key="units.paste").input(HOSTILE["style"] + " (a) [b] " * 50).run()
    assert not at.exception and not at.error
    assert_no_raw_html(at, HOSTILE["style"])
    at.text_input(key="units.regex").input("(").run()
    assert any("regular expression" in e.value for e in at.error)
    at.text_input(key="units.regex").input(r"\(a\)").run()
    assert "custom pattern" in set(scores_table(at).feature)
    set_sentence(at, HOSTILE["emoji_rtl_control"])
    assert not at.exception, at.exception


def test_a_servers_first_visit_opens_on_the_shipped_scores_without_reading_the_corpus(
        monkeypatch):
    """The default char LM's default reading of the held-out text ships its facts and unit
    scores (`rnnviz.units.heldout_summary`): the first tab opens on them without a corpus
    trace of the held-out text (0.5-0.8 s of one core, which a server's first visitor used
    to wait for); the painting tab reads the trace."""
    from _page_support import real_models_available

    import rnnviz.units as units
    from rnnviz.units import heldout_summary as H
    from rnnviz_app import loaders as L
    from rnnviz_app.state import DEFAULT_PRETRAINED

    assert real_models_available(), "the shipped models are part of the package"
    summary = H.read_summary(*H.shipped_inputs())
    assert summary is not None, f"rebuild it: {H.COMMAND}"
    read = []
    real = units.corpus_trace

    def corpus_trace(model, text, *args, **kwargs):
        read.append(len(text))
        return real(model, text, *args, **kwargs)

    monkeypatch.setattr(units, "corpus_trace", corpus_trace)
    for f in (L.get_corpus_facts, L.get_unit_scores, L.get_corpus_trace):
        f.clear()
    try:
        at = open_page(monkeypatch, PAGE)
        assert not at.exception, at.exception
        assert read == []                       # no corpus read at all
        facts = summary.corpora[DEFAULT_PRETRAINED]
        assert facts.N == H.HELDOUT_CHARS and facts.unknown_share < 0.02
        assert any(c.value.startswith("Corpus: held-out") and f"{facts.N:,} steps" in c.value
                   for c in at.caption)
        shown = scores_table(at)
        want = U.top_units_table(summary.scores[DEFAULT_PRETRAINED], 3)
        assert shown.feature.tolist() == want.feature.tolist()
        assert shown.unit.tolist() == want.unit.tolist()
        open_tab(at, PAINT_TAB)
        assert read[0] == H.HELDOUT_CHARS       # the painting tab reads the held-out text
    finally:
        for f in (L.get_corpus_facts, L.get_unit_scores, L.get_corpus_trace):
            f.clear()
