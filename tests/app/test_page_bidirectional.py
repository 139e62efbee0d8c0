"""AppTest: the bidirectional page renders, reacts to every widget and survives bad input."""

import numpy as np
import pytest
from _page_support import HOSTILE, assert_no_raw_html, chart, chart_keys, open_page, tables, texts

import rnnviz

PAGE = "pages/bidirectional.py"
CHARTS = {"bidirectional.tagger_chart_a", "bidirectional.tagger_chart_b",
          "bidirectional.directions", "bidirectional.sweep", "bidirectional.sensitivity"}
TEXT_KEYS = ("bidirectional.sentence_a", "bidirectional.sentence_b")


@pytest.fixture
def at(monkeypatch):
    at = open_page(monkeypatch, PAGE)
    assert not at.exception
    return at


def test_default_render_shows_every_chart_on_the_teddy_sentences(at):
    assert set(chart_keys(at)) == CHARTS
    assert at.text_input(key="bidirectional.sentence_a").value.startswith("He said, Teddy R")
    assert at.text_input(key="bidirectional.sentence_b").value.startswith("He said, Teddy b")
    # P(name) per word of both models, as plotted, equals the taggers' own output.
    spec = chart(at, "bidirectional.tagger_chart_a")
    uni, bi = spec["data"][0]["y"], spec["data"][1]["y"]
    for name, plotted in (("ner-lstm", uni), ("ner-bilstm", bi)):
        direct = [p for _, p in rnnviz.load_pretrained(name).tag(
            "He said, Teddy Roosevelt was a great president.")]
        np.testing.assert_allclose(plotted, direct, rtol=1e-6, atol=1e-7)


def test_unidirectional_tagger_cannot_tell_the_sentences_apart_at_teddy(at):
    """The table compares P(name) at the last shared word ("Teddy")."""
    assert texts(at)[0] == "Teddy"
    table = tables(at)[0].set_index("model")
    uni = table.loc["ner-lstm (unidirectional)"]
    bi = table.loc["ner-bilstm (bidirectional)"]
    # Same prefix, same a→<t> (up to float32 rounding in differently sized GEMMs).
    assert uni["|difference|"] < 1e-6
    assert bi["|difference|"] > 1e-6                            # a←<t> has read the rest


def test_sensitivity_is_causal_for_the_unidirectional_tagger_only(at):
    spec = chart(at, "bidirectional.sensitivity")
    S_uni, S_bi = spec["data"][0]["customdata"], spec["data"][1]["customdata"]   # raw norms
    assert S_uni.shape == S_bi.shape == (10, 10)                # 10 words incl. "," and "."
    assert np.all(np.triu(S_uni, k=1) == 0)
    assert np.triu(S_bi, k=1).max() > 0
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Unidirectional: largest share right of the diagonal"] == "0.00"
    R = np.asarray(spec["data"][1]["z"], dtype=float)          # what the chart colours
    assert metrics["Bidirectional: largest share right of the diagonal"] == (
        f"{np.triu(R, k=1).max():.2f}")
    assert float(metrics["Bidirectional: largest share right of the diagonal"]) > 0.3


def test_the_text_quotes_what_the_chart_colours(at):
    """Issue 23 item 5: the default colour is each row ÷ its max, and the sentence under
    the chart quotes two of those cells (the row of "Teddy": its next word and itself)."""
    assert at.radio(key="bidirectional.sensitivity_scale").value == "row"
    spec = chart(at, "bidirectional.sensitivity")
    S_bi, R = spec["data"][1]["customdata"], np.asarray(spec["data"][1]["z"], dtype=float)
    np.testing.assert_allclose(R, S_bi / S_bi.max(axis=1, keepdims=True), rtol=1e-5)
    assert spec["layout"]["coloraxis"]["cmin"] == 0 and spec["layout"]["coloraxis"]["cmax"] == 1
    t = 4                                                      # He said , Teddy Roosevelt
    note = next(m.value for m in at.markdown if "In the row of *Teddy*" in m.value)
    assert f"(t = {t})" in note and "*Roosevelt*" in note
    assert f"has {R[t - 1, t]:.2f} of the row's largest entry" in note
    assert f"*Teddy* itself {R[t - 1, t - 1]:.2f}" in note
    assert R[t - 1, t] > 0.3                 # the next word counts: the colour says so too


def test_sweep_animation_has_a_frame_per_computation(at):
    spec = chart(at, "bidirectional.sweep")
    T = 10
    assert len(spec["frames"]) == 2 * T + 2
    assert spec["layout"]["sliders"][0]["active"] == 2 * T + 1
    labels = [b["label"] for b in spec["layout"]["updatemenus"][0]["buttons"]]
    assert labels == ["▶ Play", "❚❚ Pause"]


def test_every_widget(at):
    at.text_input(key="bidirectional.sentence_a").input("Yesterday, Harry Potter met Ron.").run()
    assert not at.exception
    assert len(chart(at, "bidirectional.tagger_chart_a")["data"][0]["y"]) == 7
    at.text_input(key="bidirectional.sentence_b").input("April showers bring May flowers.").run()
    assert not at.exception
    assert len(chart(at, "bidirectional.tagger_chart_b")["data"][0]["y"]) == 6
    for source, n_words in (("b", 6), ("sidebar", None), ("a", 7)):
        at.radio(key="bidirectional.detail_source").set_value(source).run()
        assert not at.exception
        z = chart(at, "bidirectional.sensitivity")["data"][0]["z"]
        if n_words is not None:
            assert z.shape == (n_words, n_words)
    at.radio(key="bidirectional.sensitivity_scale").set_value("row").run()
    assert not at.exception
    z = chart(at, "bidirectional.sensitivity")["data"][1]["z"]
    np.testing.assert_allclose(z.max(axis=1), 1.0, rtol=1e-6)
    at.radio(key="bidirectional.sensitivity_scale").set_value("raw").run()
    raw = chart(at, "bidirectional.sensitivity")["data"][1]
    np.testing.assert_array_equal(raw["z"], raw["customdata"])
    at.radio(key="bidirectional.sensitivity_scale").set_value("log").run()
    log = chart(at, "bidirectional.sensitivity")["data"][0]
    upper = np.triu(np.ones_like(log["z"], dtype=bool), k=1)
    assert np.isnan(log["z"][upper]).all()                   # exact zeros are left blank
    lower = ~upper & (log["customdata"] > 0)
    np.testing.assert_allclose(log["z"][lower], np.log10(log["customdata"][lower]), rtol=1e-5)


def test_the_sidebar_sentence_feeds_the_detail_charts(at):
    at.radio(key="bidirectional.detail_source").set_value("sidebar").run()
    # AppTest does not list the sidebar's widgets after switch_page: set its state instead.
    at.session_state["sidebar.sentence"] = "Hope springs eternal"
    at.run()
    assert not at.exception
    assert chart(at, "bidirectional.sensitivity")["data"][0]["z"].shape == (3, 3)


@pytest.mark.parametrize("kind", list(HOSTILE))
@pytest.mark.parametrize("key", TEXT_KEYS)
def test_hostile_input(at, key, kind):
    text = HOSTILE[kind]
    at.text_input(key=key).input(text).run()
    assert not at.exception
    assert_no_raw_html(at, text)
    if kind == "empty":
        assert any("Type a sentence" in i.value for i in at.info)
    if kind == "huge":
        assert any("only the first 300" in w.value for w in at.warning)
    if kind != "empty":
        side = key[-1]
        assert f"bidirectional.tagger_chart_{side}" in chart_keys(at)


@pytest.mark.parametrize("kind", ["empty", "huge", "img", "emoji_rtl_control"])
def test_hostile_sidebar_sentence_in_the_detail_charts(at, kind):
    at.radio(key="bidirectional.detail_source").set_value("sidebar").run()
    at.session_state["sidebar.sentence"] = HOSTILE[kind]
    at.run()
    assert not at.exception
    assert_no_raw_html(at, HOSTILE[kind])
    if kind == "empty":
        assert "bidirectional.sensitivity" not in chart_keys(at)
    else:
        assert "bidirectional.sensitivity" in chart_keys(at)


def test_unknown_words_are_named_and_the_page_says_which_models_it_uses(at):
    import rnnviz

    text = "The cats, which already ate a lot, were full."
    at.text_input(key="bidirectional.sentence_a").input(text).run()
    steps = rnnviz.load_pretrained("ner-bilstm").steps(text)
    unknown = {w for w, u in zip(steps.labels, steps.unk, strict=True) if u}
    notes = " ".join(c.value for c in at.caption if "Outside the model's vocabulary" in c.value)
    assert unknown and all(w in notes for w in unknown), (unknown, notes)
    assert any("whatever the sidebar's model" in c.value for c in at.caption)
