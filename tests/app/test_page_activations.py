"""AppTest: the frame (sidebar shared by every page) and the Activations page."""

import html
import re

import numpy as np
import pytest
from _frame_support import expected_loaded, markdown_html, sentence, set_sentence, switch_model
from _page_support import (
    HOSTILE,
    all_text,
    assert_no_raw_html,
    chart,
    chart_keys,
    charts,
    open_page,
    tables,
)

from rnnviz.figures.activations import heatmap_keys
from rnnviz.figures.safe_text import visible_token
from rnnviz_app.state import DEFAULT_SENTENCE, MAX_CHARS

PAGE = "pages/activations.py"


@pytest.fixture
def at(monkeypatch):
    at = open_page(monkeypatch, PAGE)
    assert not at.exception, at.exception
    return at


def test_default_render_reads_the_default_sentence_with_the_default_model(at):
    assert [t.value for t in at.title] == ["Activations", "rnnviz"]     # page + sidebar
    assert at.session_state["sidebar.model"] == "char-lm-lstm"          # shipped default
    assert at.text_area(key="sidebar.sentence").value == DEFAULT_SENTENCE
    table = tables(at)[0]
    assert list(table["token"]) == [visible_token(c) for c in DEFAULT_SENTENCE]
    assert list(table["t"]) == list(range(1, len(DEFAULT_SENTENCE) + 1))
    loaded = expected_loaded(at)
    assert list(table["index in V"]) == list(loaded.vocab.encode(DEFAULT_SENTENCE))
    assert list(table["target y<t>"]) == [visible_token(c) for c in DEFAULT_SENTENCE[1:]] + [""]
    # One heatmap at a time (a tab per quantity, built only when chosen; issue 12).
    keys = set(chart_keys(at))
    assert {"activations.onehot", "activations.heatmap.a", "activations.topk",
            "activations.saturation"} <= keys
    assert not {k for k in keys if k.startswith("activations.heatmap.")} - {
        "activations.heatmap.a"}
    # The heatmap is the model's own a<t> for this sentence (primed start state included).
    # By default only the units that vary most are drawn (issue 12: a light edit), each row
    # labelled with its unit; "Show all units" draws every one.
    trace = loaded.trace(DEFAULT_SENTENCE)
    a = trace["a"][:, 0, :]
    heat = chart(at, "activations.heatmap.a")["data"][0]
    units = np.asarray(heat["y"], dtype=int)
    assert 8 <= len(units) < a.shape[0]
    np.testing.assert_allclose(heat["z"], a[units], rtol=1e-5, atol=1e-6)
    std = a.astype(np.float64).std(axis=1)                # the ones that vary most
    assert std[units].min() >= np.delete(std, units).max() - 1e-9
    assert at.get("download_button")[0].key == "activations.download"
    at.toggle(key="activations.all_units").set_value(True).run()
    heat = chart(at, "activations.heatmap.a")["data"][0]
    assert list(heat["y"]) == list(range(a.shape[0]))
    np.testing.assert_allclose(heat["z"], a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("cell", "bi", "keys"), [
    ("rnn", False, {"a"}),
    ("gru", False, {"a", "c_tilde", "gamma_u", "gamma_r"}),
    ("lstm", True, {"a_fwd", "a_bwd", "c_fwd", "gamma_o_bwd"}),
])
def test_every_sidebar_setting_changes_the_network(at, cell, bi, keys):
    switch_model(at, cell=cell, bidirectional=bi, n_a=7, seed=3, init_scale=1.5)
    if len(keys) > 1:
        at.toggle(key="activations.stack").set_value(True).run()   # every quantity at once
    shown = {k.removeprefix("activations.heatmap.") for k in chart_keys(at)
             if k.startswith("activations.heatmap.")}
    assert keys <= shown
    key = sorted(keys)[0]
    z = chart(at, f"activations.heatmap.{key}")["data"][0]["z"]
    assert z.shape == (7, len(DEFAULT_SENTENCE))
    trace = expected_loaded(at).trace(DEFAULT_SENTENCE)
    np.testing.assert_allclose(z, trace[key][:, 0, :], rtol=1e-5, atol=1e-6)


def test_a_tab_per_quantity_builds_only_its_own_heatmap(at):
    trace = expected_loaded(at).trace(DEFAULT_SENTENCE)
    at.session_state["activations.heatmap_tab"] = "Γf\\<t\\>"       # the tab's label
    at.run()
    heat = [k for k in chart_keys(at) if k.startswith("activations.heatmap.")]
    assert heat == ["activations.heatmap.gamma_f"]
    fig = chart(at, "activations.heatmap.gamma_f")["data"][0]
    units = np.asarray(fig["y"], dtype=int)
    np.testing.assert_allclose(fig["z"], trace["gamma_f"][units, 0, :], rtol=1e-5, atol=1e-6)
    at.toggle(key="activations.stack").set_value(True).run()
    heat = [k for k in chart_keys(at) if k.startswith("activations.heatmap.")]
    assert heat == [f"activations.heatmap.{k}" for k in heatmap_keys(trace)]
    assert len(heat) == 6                        # a, c, c̃ and the three gates of the LSTM


def test_random_settings_survive_a_trip_to_a_shipped_model_and_other_pages(at):
    switch_model(at, cell="gru", n_a=9)
    set_sentence(at, "Keep me.")
    at.selectbox(key="sidebar.model").set_value("char-lm-lstm").run()
    at.switch_page("pages/forward.py").run()
    assert not at.exception
    assert at.text_area(key="sidebar.sentence").value == "Keep me."
    at.selectbox(key="sidebar.model").set_value("random").run()
    assert at.radio(key="sidebar.cell").value == "gru"
    assert at.slider(key="sidebar.n_a").value == 9


def test_unit_and_quantity_choose_the_coloured_sentence(at):
    at.selectbox(key="activations.quantity").set_value("gamma_f").run()
    at.selectbox(key="activations.unit").set_value(4).run()
    assert not at.exception
    page_html = markdown_html(at)[0]
    trace = expected_loaded(at).trace(DEFAULT_SENTENCE)
    v = trace["gamma_f"][4, 0, 0] - 0.5
    tip = html.unescape(re.search(r"title='([^']*)'", page_html).group(1))
    assert tip == f"t=1 'R': Γf<t> − 0.5[4] = {v:.3f}"
    assert any("unit 4's Γf" in m.value for m in at.markdown)


def test_top_k_marks_the_next_character(at):
    s = chart(at, "activations.topk")
    loaded = expected_loaded(at)
    y = loaded.trace(DEFAULT_SENTENCE)["y_hat"][:, 0, :]
    np.testing.assert_allclose(s["data"][0]["z"], -np.sort(-y, axis=0)[:5], rtol=1e-5)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_sentences(at, name):
    text = HOSTILE[name]
    set_sentence(at, text)
    assert not at.exception, at.exception
    shown = all_text(at)
    if name == "empty":
        assert any("Type a sentence" in i.value for i in at.info)
        assert not charts(at)
        return
    table = tables(at)[0]
    assert len(table) == min(len(text), MAX_CHARS)
    if name == "huge":
        assert f"{len(text):,} characters" in shown and str(MAX_CHARS) in shown
    if name == "emoji_rtl_control":
        assert "<UNK>" in set(table["in vocabulary"])
        assert "U+202E" in set(table["token"]) and "U+0000" in set(table["token"])
    assert_no_raw_html(at, text)
    for fragment in markdown_html(at):
        for bad in ("<img", "<script", "<style", "onerror", "alert(", "display:none"):
            assert bad not in fragment
    assert sentence(at) == text[:MAX_CHARS]


def test_control_and_rtl_characters_do_not_leak_into_the_html(at):
    set_sentence(at, "a\u202eb\u200fc\x1b[31m")
    frag = markdown_html(at)[0]
    assert "\u202e" not in frag and "\x1b" not in frag
    assert "&#85;&#43;&#50;&#48;&#50;&#69;" in frag            # "U+202E", as entities


@pytest.mark.parametrize("page_path", ["pages/activations.py", "pages/forward.py",
                                       "pages/backward.py", "pages/vanishing.py"])
def test_pages_work_with_every_shipped_model(monkeypatch, page_path):
    at = open_page(monkeypatch, page_path)
    for name in ("char-lm-rnn", "char-lm-gru", "ner-lstm", "ner-bilstm", "sentiment-lstm"):
        at.selectbox(key="sidebar.model").set_value(name).run()
        assert not at.exception, (name, at.exception)
    if page_path == "pages/backward.py":          # a classifier's loss is at T_x only
        assert at.radio(key="backward.loss").disabled
    # A word model finds no token in blanks: a hint, not an error.
    at.text_area(key="sidebar.sentence").input("   ").run()
    assert not at.exception
    assert any("no tokens" in i.value for i in at.info)


def test_the_unit_picker_follows_its_own_suggestions_when_the_quantity_changes(at):
    """Learner's report: after switching the quantity to c<t>, the suggestions put another
    unit first while the coloured sentence kept showing the old unit."""
    from rnnviz.figures.activations import suggest_units

    trace = expected_loaded(at).trace(DEFAULT_SENTENCE)
    assert at.selectbox(key="activations.unit").value == suggest_units(trace, "a", k=5)[0][0]
    at.selectbox(key="activations.quantity").set_value("c").run()
    first_c = suggest_units(trace, "c", k=5)[0][0]
    assert at.selectbox(key="activations.unit").value == first_c
    assert f"unit {first_c}'s" in all_text(at)
    # A unit the learner picks stays picked while the quantity stays.
    other = (first_c + 1) % trace["c"].shape[0]
    at.selectbox(key="activations.unit").set_value(other).run()
    set_sentence(at, DEFAULT_SENTENCE)
    assert at.selectbox(key="activations.unit").value == other


def test_the_model_card_is_sent_only_while_open(at):
    """The shipped model's card (Markdown with code blocks) is drawn when its expander is
    opened; closed, the run sends the expander alone."""
    card = expected_loaded(at).card_markdown
    assert card, "the shipped default model has a card"
    shown = lambda: [e for e in at.sidebar.expander if e.label == "Model card"]  # noqa: E731
    assert len(shown()) == 1 and list(shown()[0].children.values()) == []
    at.session_state["sidebar.card"] = True                  # opened (a click reruns)
    at.run()
    assert not at.exception
    assert [m.value.strip() for m in shown()[0].markdown] == [card.strip()]
    at.session_state["sidebar.card"] = False
    at.run()
    assert list(shown()[0].children.values()) == []
