"""Every page of the app's menu, at 1400 and 1024 px wide (900 high, the sidebar open), in one
page load per page:

* it loads with its charts drawn and no error: the menu marks it as the current page, no
  exception box or error alert, every chart has traces that plot values and a size on screen
  (About is prose only; every other page draws at least one chart), the console is quiet;
* it fits (a laptop, a classroom projector): nothing in the main column sticks out of it,
  every equation renders;
* inside every chart nothing collides or is cut (issue 23), on the default sentence and on a
  long one: the text boxes of each Plotly chart (title, axis titles, legend items, tick
  labels, annotations) do not overlap one another and stay inside the chart; every table
  shows all its columns without a horizontal scroll (`page_layout.measure`).

The page loads 1400 px wide on the default sentence, reads the long sentence, then the window
shrinks to 1024 px (as a visitor's would: Plotly lays its charts out again, Streamlit does not
rerun) and the two sentences are measured again in the other order: four layouts from one
page load and three script runs.

Pages are discovered from app.py's ``st.Page`` list (so a new page is covered as soon as it
is in the menu) and opened at the path the live menu links to, each in a new Streamlit session
of one browser context per worker (``open_app_warm``). With ``RNNVIZ_UPDATE_SCREENSHOTS=1``
the first screen of each page at 1400x900, on the default sentence, is written to
docs/screenshots/<page>.png for the README. Each run writes what it measured to
$RNNVIZ_CHART_TEXT_OUT/<page>-<width>.json (default: rnnviz-chart-text in the temporary
folder; not test-results/, which pytest-playwright wipes at every session start).

Counted at 1024 px, both sentences, before the chart-text check and after: Forward 16 -> 0
(with the text on points), Activations 18 -> 0, Units 130 -> 0, What if 60 -> 0, Backward
10 -> 0, Vanishing 8 -> 0, Bidirectional 20 -> 0, Sampling 12 -> 0, Types 16 -> 0, Dynamics
8 -> 0, Training 0 -> 0 before a run (after a run: tests/e2e/
test_training_flipflop_in_browser.py). A subset: `python -m pytest tests/e2e/test_pages.py
-k "units or types"`.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
from page_layout import measure
from playwright.sync_api import expect
from st_dom import (
    EXCEPTION,
    NAV_LINK,
    REPO_ROOT,
    SIDEBAR,
    declared_pages,
    has_points,
    read_charts,
    set_sentence,
    wait_for_charts,
)

PAGES = declared_pages()
# Pages that are prose only. Every other page must draw at least one chart.
CHARTLESS = {"About"}
LONG_SENTENCE = "The cats, which already ate a lot, were full."
WIDTHS = (1400, 1024)             # loaded wide (the README's screenshots), then shrunk
SCREENSHOT_DIR = REPO_ROOT / "docs" / "screenshots"
OUT = Path(os.environ.get("RNNVIZ_CHART_TEXT_OUT",
                          Path(tempfile.gettempdir()) / "rnnviz-chart-text"))


def _update_screenshots() -> bool:
    return os.environ.get("RNNVIZ_UPDATE_SCREENSHOTS") == "1"


def _check_loaded(page, title: str) -> None:
    """The page is the menu's current page, drawn without an error, each chart with values."""
    expect(page.locator(f"{NAV_LINK}[aria-current='page']")).to_have_text(title)
    expect(page.locator(EXCEPTION)).to_have_count(0)
    expect(page.locator("[data-testid='stAlertContentError']")).to_have_count(0)
    charts = read_charts(page)
    if title not in CHARTLESS:
        assert charts, f"{title}: no Plotly chart on the page"
    for chart in charts:
        assert chart["traces"], f"{title}: chart {chart['key']} has no traces"
        assert any(has_points(t) for t in chart["traces"]), (
            f"{title}: chart {chart['key']} plots no values"
        )
    if title not in CHARTLESS:
        assert any(c["width"] > 0 and c["height"] > 0 for c in charts), (
            f"{title}: no chart has a size on screen"
        )


@pytest.mark.parametrize(("script", "title"), PAGES, ids=[Path(s).stem for s, _ in PAGES])
def test_page_loads_fits_and_keeps_its_chart_text_apart(open_app_warm, app_menu, wait_for_app,
                                                        script, title):
    assert title in app_menu, f"{title!r} is not in the app's menu: {list(app_menu)}"
    wide, narrow = WIDTHS
    page = open_app_warm(app_menu[title], width=wide)
    assert page.viewport_size == {"width": wide, "height": 900}
    expect(page.locator(SIDEBAR)).to_be_visible()
    has_sentence = page.locator(f"{SIDEBAR} textarea").count() > 0
    default = page.locator(f"{SIDEBAR} textarea").first.input_value() if has_sentence else None
    found: dict[int, dict] = {wide: {}, narrow: {}}
    # (width, sentence) in the order measured: a sentence is typed only where it changes.
    plan = [(wide, default), (wide, LONG_SENTENCE), (narrow, LONG_SENTENCE), (narrow, default)]
    if not has_sentence:
        plan = [(wide, None), (narrow, None)]
    shown = default
    for width, sentence in plan:
        if page.viewport_size["width"] != width:
            page.set_viewport_size({"width": width, "height": 900})
        if sentence != shown:
            set_sentence(page, sentence, wait_for_app)
            shown = sentence
        wait_for_charts(page)
        expect(page.locator(EXCEPTION)).to_have_count(0)
        if (width, sentence) == plan[0]:
            _check_loaded(page, title)
            if _update_screenshots():
                SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT_DIR / f"{Path(script).stem}.png"))
        name = "long" if sentence == LONG_SENTENCE else "default"
        found[width][name] = measure(page)
    OUT.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        (OUT / f"{Path(script).stem}-{width}.json").write_text(json.dumps(found[width], indent=1))
    problems = [f"{w} px, {s}: {kind}: {p}" for w in WIDTHS for s, f in found[w].items()
                for kind in ("chart_text", "tables", "overflow") for p in f[kind]]
    problems += [f"{w} px, {s}: {f['katex_errors']} KaTeX error(s)"
                 for w in WIDTHS for s, f in found[w].items() if f["katex_errors"]]
    assert problems == [], "\n".join(problems[:40]) + f"\n({len(problems)} problem(s))"
    assert page.console_errors == []
    assert page.console_warnings == []
