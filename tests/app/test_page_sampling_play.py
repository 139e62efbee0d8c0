"""AppTest: ▶ Play on the Sampling page hands every later step to the browser (one chart
whose frames it steps, no script run per step) and the page's step counter takes the step
where the browser stopped."""

import numpy as np
import pytest
from _page_support import chart_keys, chart_payload, charts, open_page, texts

from rnnviz.figures.safe_text import char_labels

PAGE = "pages/sampling.py"
STEP, CHART = "sampling.step", "sampling.topk_chart"
T0, N = len("Return the "), 200          # the default prefix and length


@pytest.fixture
def at(monkeypatch):
    at = open_page(monkeypatch, PAGE)
    assert not at.exception, at.exception
    return at


def test_play_hands_every_later_step_to_the_browser_and_hides_the_slider(at):
    at.slider(key=STEP).set_value(20).run()
    at.button(key="sampling.play").click().run()
    assert not at.exception, at.exception
    assert at.session_state[f"{STEP}.playing"] is True
    assert at.button(key="sampling.play").label == "❚❚ Pause"
    # One chart plays: no slider, no painted text, no metrics, no second chart meanwhile.
    assert not [s for s in at.slider if s.key == STEP]
    assert set(chart_keys(at)) == {CHART, "sampling.score_chart", "sampling.compare_chart"}
    assert not [m for m in at.markdown if "aria-current" in m.value]
    assert "x\\<21\\> drawn" not in [m.label for m in at.metric]
    sent = chart_payload(at, CHART)
    names = [f["name"] for f in sent["figure"]["frames"]]
    assert names == [str(t) for t in range(T0, T0 + N)]
    assert sent["play"]["frames"] == [str(t) for t in range(21, T0 + N)]
    assert sent["play"]["T"] == T0 + N - 1 and sent["play"]["seconds"] == 0.8
    assert "sliders" not in sent["figure"]["layout"]
    # Frame t's red bar is the character the page's sample drew from ŷ<t>.
    text = texts(at)[0]
    frame = sent["figure"]["frames"][100]["data"][1]
    red = [c for c, m in zip(frame["text"], frame["marker"]["color"], strict=True)
           if m == "#d62728"]
    assert red == char_labels([text[T0 + 100]])
    assert 0 < float(np.sum(frame["y"])) <= 1 + 1e-5
    # What the browser receives for the page's default length: well under 1.5 MB.
    (element,) = [c for c in charts(at) if c.proto.id.endswith("-" + CHART)]
    assert len(element.proto.json.encode()) < 600_000

    token = sent["play"]["token"]
    at.button(key="sampling.play").click().run()             # the page's Pause
    assert at.session_state[f"{STEP}.playing"] is False
    assert chart_payload(at, CHART)["play"] is None
    assert at.slider(key=STEP).value == 20                   # until the browser reports
    at.button(key="sampling.play").click().run()             # play again: a new play
    assert chart_payload(at, CHART)["play"]["token"] != token


def test_the_counter_takes_the_step_the_browser_stopped_at(at):
    """When the browser stops it sets the element's state "step"; the chart's callback
    (`_follow_browser`, run before the next run) hands it to the page's counter, and that
    run draws the regular view at the step shown."""
    from rnnviz_app.widgets import _follow_browser

    at.button(key="sampling.play").click().run()
    assert at.session_state[f"{STEP}.playing"] is True
    state = {CHART: {"step": {"t": 57, "at": 1}}, STEP: at.session_state[STEP],
             f"{STEP}.playing": True}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("rnnviz_app.widgets.st.session_state", state)
        _follow_browser(CHART, STEP)
    assert state[STEP] == 57 and state[f"{STEP}.playing"] is False
    for key in (STEP, f"{STEP}.playing"):
        at.session_state[key] = state[key]
    at.run()
    assert not at.exception, at.exception
    assert at.slider(key=STEP).value == 57
    assert at.button(key="sampling.play").label == "▶ Play"
    assert chart_payload(at, CHART)["play"] is None
    title = chart_payload(at, CHART)["figure"]["layout"]["title"]["text"]
    assert title.startswith("ŷ<57>:")
    assert "x\\<58\\> drawn" in [m.label for m in at.metric]
    assert any("aria-current" in m.value for m in at.markdown)


def test_play_at_the_last_step_starts_again_at_the_first(at):
    at.slider(key=STEP).set_value(T0 + N - 1).run()
    at.button(key="sampling.play").click().run()
    assert at.session_state[STEP] == T0
    assert chart_payload(at, CHART)["play"]["frames"][0] == str(T0 + 1)


def test_one_character_has_nothing_to_play(at):
    at.slider(key="sampling.length").set_value(1).run()
    at.button(key="sampling.generate").click().run()
    assert at.button(key="sampling.play").disabled


def test_a_new_sample_stops_the_play_and_starts_at_its_first_step(at):
    at.slider(key=STEP).set_value(30).run()
    at.button(key="sampling.play").click().run()
    at.button(key="sampling.new_seed").click().run()
    assert not at.exception, at.exception
    assert at.session_state[f"{STEP}.playing"] is False
    assert at.slider(key=STEP).value == T0
    assert chart_payload(at, CHART)["play"] is None
