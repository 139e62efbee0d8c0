"""▶ Play steps in the browser: the chart element plays the frames the page hands it, with no
script run per step, and the page's one step counter takes over the step where it stops.

The element counts the figures it received from Python (`data-revision` on the chart's DOM
node): while the play runs, the step shown (`data-step`) moves and that count does not.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from st_dom import EXCEPTION, MAIN, key_class, slider_value, wait_for_charts

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
