"""AppTest: the Forward-pass page steps through t and fills the equations with the numbers."""

import re

import pytest
from _frame_support import expected_loaded, set_sentence, switch_model
from _page_support import HOSTILE, assert_no_raw_html, chart, chart_payload, open_page, tables

from rnnviz_app.state import DEFAULT_SENTENCE

PAGE = "pages/forward.py"


@pytest.fixture
def at(monkeypatch):
    at = open_page(monkeypatch, PAGE)
    assert not at.exception, at.exception
    return at


def latex(at) -> list[str]:
    """The page's equations (`ui.equations`: Markdown inline math that wraps when narrow, a
    paragraph each)."""
    prefix = "$\\displaystyle "
    return [p[len(prefix):-1] for m in at.markdown for p in m.value.split("\n\n")
            if p.startswith(prefix)]


def step_shown(at) -> int:
    return int(re.search(r"t = (\d+)", at.subheader[0].value).group(1))


def test_default_render(at):
    assert at.title[0].value == "Forward pass"
    assert step_shown(at) == 5 and at.slider(key="forward.t").value == 5
    s = chart(at, "forward.figure")
    # One step counter: the page's t; the chart has no animation of its own.
    assert not s.get("frames") and not s["layout"].get("sliders")
    assert "step t = 5," in s["layout"]["title"]["text"]
    lines = latex(at)
    assert lines[0].startswith(r"x^{<5>}")
    # The last state equation ends with the trace's a<5> of unit 0.
    a = expected_loaded(at).trace(DEFAULT_SENTENCE)["a"][0, 0, 4]
    a_line = next(v for v in lines if v.startswith(r"a^{<t>}"))
    assert float(re.findall(r"[-+]?\d+\.\d+", a_line)[-1]) == pytest.approx(a, abs=1e-3)
    shapes = tables(at)[0].set_index("array")
    assert "(n_x, m)" in shapes["shape"].iloc[0] and shapes.index[0] == "x<t>"


def test_step_buttons_slider_and_unit(at):
    at.button(key="forward.next").click().run()
    assert step_shown(at) == 6
    at.button(key="forward.back").click().run()
    at.button(key="forward.back").click().run()
    assert step_shown(at) == 4
    at.slider(key="forward.t").set_value(1).run()
    assert step_shown(at) == 1 and at.button(key="forward.back").disabled
    # A shipped LM is primed (a<0> = its state after the start symbol); random weights: 0.
    notes = " ".join(m.value for m in at.markdown)
    assert "This model is primed" in notes
    at.selectbox(key="forward.unit").set_value(3).run()
    assert not at.exception
    assert "unit 3" in at.subheader[0].value
    assert "_{3}" in latex(at)[1] or ",3}" in latex(at)[1]
    at.slider(key="forward.t").set_value(len(DEFAULT_SENTENCE)).run()
    assert at.button(key="forward.next").disabled


@pytest.mark.parametrize(("cell", "bi", "n_gates"), [("rnn", False, 1), ("gru", False, 3),
                                                     ("lstm", True, 4)])
def test_every_architecture(at, cell, bi, n_gates):
    switch_model(at, cell=cell, bidirectional=bi, n_a=5)
    assert not at.exception
    assert sum("underbrace" in line for line in latex(at)) == n_gates
    if bi:
        assert any("forward** direction" in i.value for i in at.info)
    s = chart(at, "forward.figure")
    assert f"{cell.upper()} cell at step t = 5" in s["layout"]["title"]["text"]


def test_random_weights_start_from_zero(at):
    switch_model(at, cell="lstm", n_a=4)
    at.slider(key="forward.t").set_value(1).run()
    memory = re.findall(r"\\underbrace\{([-+]?\d+\.\d+)\}_\{W_\{\w+a\}", latex(at)[1])
    assert memory == ["0.000"]                                       # W_ca a<0>, a<0> = 0
    assert "a\\<0\\> = 0" in " ".join(m.value for m in at.markdown)


def test_a_shorter_sentence_clamps_the_step(at):
    at.slider(key="forward.t").set_value(30).run()
    set_sentence(at, "Hi.")
    assert not at.exception
    assert at.slider(key="forward.t").value == 3


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_sentences(at, name):
    text = HOSTILE[name]
    set_sentence(at, text)
    assert not at.exception, at.exception
    if name == "empty":
        assert any("Type a sentence" in i.value for i in at.info)
        return
    s = chart(at, "forward.figure")
    assert f"step t = {at.slider(key='forward.t').value}," in s["layout"]["title"]["text"]
    assert_no_raw_html(at, text)
    for line in latex(at):
        assert "<img" not in line and "script" not in line


def test_play_hands_every_later_step_to_the_browser_and_hides_the_slider(at):
    """▶ Play: the browser steps the diagram's frames itself (no script run per step). The
    element receives the frames after t, the slider gives way to the element's counter, and
    the figure has no Plotly Play/slider of its own (one step counter on the page)."""
    T = len(DEFAULT_SENTENCE)
    at.button(key="forward.play").click().run()
    assert not at.exception, at.exception
    assert at.session_state["forward.t.playing"] is True
    assert at.button(key="forward.play").label == "❚❚ Pause"
    sent = chart_payload(at, "forward.figure")
    names = [f["name"] for f in sent["figure"]["frames"]]
    assert sent["play"]["frames"] == [n for n in names if int(n) > 5]
    assert sent["play"]["frames"][0] == "6" and sent["play"]["frames"][-1] == str(T)
    assert sent["play"]["T"] == T and sent["play"]["seconds"] == 0.8
    assert "sliders" not in sent["figure"]["layout"]
    assert "updatemenus" not in sent["figure"]["layout"]
    assert not [s for s in at.slider if s.key == "forward.t"]
    assert not at.subheader                                 # the equations wait for the stop
    token = sent["play"]["token"]
    at.button(key="forward.play").click().run()             # the page's Pause
    assert at.session_state["forward.t.playing"] is False
    assert chart_payload(at, "forward.figure")["play"] is None
    at.button(key="forward.play").click().run()             # play again: a new play
    assert chart_payload(at, "forward.figure")["play"]["token"] != token


def test_the_counter_takes_the_step_the_browser_stopped_at(at):
    """When the browser's play stops it reports the step it shows (the element's state
    "step"); the element's callback hands it to the page's counter."""
    from rnnviz_app.widgets import _follow_browser

    state = {"forward.figure": {"step": {"t": 9, "at": 1}}, "forward.t": 5,
             "forward.t.playing": True}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("rnnviz_app.widgets.st.session_state", state)
        _follow_browser("forward.figure", "forward.t")
    assert state["forward.t"] == 9 and state["forward.t.playing"] is False
