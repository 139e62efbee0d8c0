"""▶ Play steps in the browser: the chart element plays the frames the page hands it, with no
script run per step, and the page's one step counter takes over the step where it stops.

The element counts the figures it received from Python (`data-revision` on the chart's DOM
node): while the play runs, the step shown (`data-step`) moves and that count does not.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from st_dom import EXCEPTION, MAIN, chart_title, key_class, slider_value, wait_for_charts

KEY = "forward.figure"
NODE = f".st-key-{key_class(KEY)} .rnnviz-chart"
SLIDER = "Step t (the diagram and the equations below show it)"


def _node(page, attr):
    return page.locator(NODE).first.get_attribute(attr)


def test_play_runs_in_the_browser_and_the_counter_takes_the_step_it_stopped_at(
        open_app, app_menu, wait_for_app):
    page = open_app(app_menu["Forward pass"])
    wait_for_charts(page)
    assert slider_value(page, SLIDER) == 5
    page.get_by_role("button", name="▶ Play").click()
    status = page.locator(f".st-key-{key_class(KEY)} .rnnviz-play")
    expect(status).to_have_text(re.compile(r"▶ t = 6 of \d+"), timeout=15_000)
    revision = _node(page, "data-revision")
    for expected in (7, 8):
        expect(status).to_have_text(re.compile(rf"▶ t = {expected} of \d+"), timeout=5_000)
    assert int(_node(page, "data-step")) >= 8                   # the frame shown moved on
    assert _node(page, "data-revision") == revision            # no figure from Python meanwhile
    assert page.locator(MAIN).get_by_text("The equations at t").count() == 0

    page.get_by_role("button", name="❚❚ Pause").click()
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=15_000)
    wait_for_app(page)
    # Two runs follow the Pause: the button's (its slider still at the step the play began
    # from), then the one of the step the browser reports. The slider must reach the latter.
    page.wait_for_function(
        """([label, t]) => [...document.querySelectorAll("[data-testid='stSlider']")]
             .some((s) => s.textContent.includes(label)
                   && Number(s.querySelector("input[type='range']").value) >= t)""",
        arg=["Step t (the diagram", 8], timeout=15_000)
    wait_for_app(page)
    wait_for_charts(page)
    stopped = slider_value(page, SLIDER)
    assert stopped >= 8                                         # where the browser was
    expect(page.locator(MAIN).get_by_text(f"The equations at t = {stopped:.0f}, unit 0")
           ).to_be_visible()
    title = page.evaluate(f"() => document.querySelector('{NODE}').layout.title.text")
    assert f"step t = {stopped:.0f}," in title
    assert status.count() == 0
    assert page.locator(EXCEPTION).count() == 0
    assert page.console_errors == []


SAMPLING_KEY = "sampling.topk_chart"
SAMPLING_NODE = f".st-key-{key_class(SAMPLING_KEY)} .rnnviz-chart"
# The played text's current character: bold, in the accent red (Plotly draws it as a tspan).
CURRENT_CHAR_JS = """(sel) => [...document.querySelector(sel).querySelectorAll('text tspan')]
  .filter((s) => (s.getAttribute('style') || '').includes('fill:#d62728'))
  .map((s) => s.textContent)"""


def test_sampling_play_runs_in_the_browser_and_the_step_slider_takes_the_step(
        open_app, app_menu, wait_for_app):
    page = open_app(app_menu["Sampling"])
    wait_for_charts(page)
    t0 = slider_value(page, "Step t")
    page.get_by_role("button", name="▶ Play").click()
    status = page.locator(f".st-key-{key_class(SAMPLING_KEY)} .rnnviz-play")
    expect(status).to_have_text(re.compile(rf"▶ t = {t0 + 1:.0f} of \d+"), timeout=15_000)
    node = page.locator(SAMPLING_NODE).first
    revision = node.get_attribute("data-revision")
    for expected in (t0 + 2, t0 + 3):
        expect(status).to_have_text(re.compile(rf"▶ t = {expected:.0f} of \d+"), timeout=5_000)
    assert int(node.get_attribute("data-step")) >= t0 + 3      # the frame shown moved on
    assert node.get_attribute("data-revision") == revision    # no figure from Python meanwhile
    assert page.locator(MAIN).locator("[data-testid='stSlider']").filter(
        has_text="Step t").count() == 0
    assert page.evaluate(CURRENT_CHAR_JS, SAMPLING_NODE)        # the draw marked in the text

    page.get_by_role("button", name="❚❚ Pause").click()
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=15_000)
    wait_for_app(page)
    # Two runs follow the Pause: the button's, then the one of the step the browser reports.
    page.wait_for_function(
        """([t]) => [...document.querySelectorAll("[data-testid='stSlider']")]
             .some((s) => s.textContent.includes("Step t")
                   && Number(s.querySelector("input[type='range']").value) >= t)""",
        arg=[t0 + 3], timeout=15_000)
    wait_for_app(page)
    wait_for_charts(page)
    stopped = slider_value(page, "Step t")
    assert stopped >= t0 + 3                                    # where the browser was
    assert chart_title(page, SAMPLING_KEY).startswith(f"ŷ<{stopped:.0f}>:")
    expect(page.locator(MAIN).locator("[data-testid='stMetricLabel']").filter(
        has_text=f"x<{stopped + 1:.0f}> drawn")).to_have_count(1)
    assert status.count() == 0
    assert page.locator(EXCEPTION).count() == 0
    assert page.console_errors == []
