"""The Training page in Chromium: a run starts, its progress bar advances and its loss chart
grows while it trains (the live fragment redraws on a timer, without rerunning the page),
and Stop pauses it."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from st_dom import EXCEPTION, MAIN, chart_by_key, key_class

PROGRESS = f"{MAIN} [data-testid='stProgress']"
STEP = re.compile(r"step (\d+) / (\d+)")


def _button(page, key: str):
    return page.locator(f".st-key-{key_class(key)} button")


def _progress(page) -> tuple[str, int]:
    """(the progress bar's text, the step it reports; -1 before the first report)."""
    text = page.locator(PROGRESS).inner_text()
    found = STEP.search(text)
    return text, int(found.group(1)) if found else -1


def _loss_points(page) -> int:
    """Points of the first cell's smoothed loss curve as plotted."""
    traces = chart_by_key(page, "training.loss_chart")["traces"]
    smoothed = [t for t in traces if t["name"] in ("RNN", "GRU", "LSTM")]
    return len(smoothed[0]["x"] or [])


def test_a_run_advances_live_and_stops(open_app, app_menu):
    page = open_app(app_menu["Training"])
    expect(_button(page, "training.start")).to_be_enabled()
    _button(page, "training.start").click()

    # the live view: progress reported by the run's thread, redrawn by the fragment
    page.wait_for_function(
        "(sel) => /step [1-9]\\d* \\//.test(document.querySelector(sel)?.innerText || '')",
        arg=PROGRESS, timeout=60_000)
    loss_chart = page.locator(f".st-key-{key_class('training.loss_chart')} .js-plotly-plot")
    loss_chart.first.wait_for(timeout=30_000)
    _, first_step = _progress(page)
    first_points = _loss_points(page)
    page.wait_for_function(
        "([sel, n]) => { const m = /step (\\d+) \\//.exec("
        "document.querySelector(sel)?.innerText || ''); return m && +m[1] > n + 5; }",
        arg=[PROGRESS, first_step], timeout=60_000)
    _, later_step = _progress(page)
    assert later_step > first_step
    page.wait_for_timeout(1500)                     # one more redraw of the chart
    assert _loss_points(page) > first_points
    bar = page.locator(f"{PROGRESS} [role='progressbar']")
    assert float(bar.get_attribute("aria-valuenow") or 0) > 0

    _button(page, "training.stop").click()
    expect(page.locator(PROGRESS)).to_contain_text("paused", timeout=30_000)
    text, stopped = _progress(page)
    assert 0 < stopped < int(STEP.search(text).group(2)), text
    page.wait_for_timeout(2500)
    assert _progress(page)[1] == stopped            # nothing trains while paused
    # The page reruns once the worker has paused (the live fragment sees it): then Resume.
    expect(_button(page, "training.resume")).to_be_enabled(timeout=20_000)
    expect(loss_chart).to_have_count(1)             # redraws replace the chart
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert not page.console_errors, page.console_errors
