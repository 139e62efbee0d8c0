"""Every page of the app's menu loads in the browser with its charts drawn and no error.

Pages are discovered from app.py's ``st.Page`` list (so a new page is covered as soon as it
is in the menu) and opened at the path the live menu links to. A screenshot of each page goes
to test-results/ (the ``open_app_warm`` fixture); with ``RNNVIZ_UPDATE_SCREENSHOTS=1`` the first
screen of each page (1400x900) is also written to docs/screenshots/<page>.png for the README.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect
from st_dom import (
    EXCEPTION,
    NAV_LINK,
    REPO_ROOT,
    declared_pages,
    has_points,
    read_charts,
    wait_for_charts,
)

PAGES = declared_pages()
# Pages that are prose only. Every other page must draw at least one chart.
CHARTLESS = {"About"}
SCREENSHOT_DIR = REPO_ROOT / "docs" / "screenshots"


def _update_screenshots() -> bool:
    return os.environ.get("RNNVIZ_UPDATE_SCREENSHOTS") == "1"


@pytest.mark.parametrize(("script", "title"), PAGES, ids=[Path(s).stem for s, _ in PAGES])
def test_page_loads_with_its_charts_drawn(open_app_warm, app_menu, script, title):
    assert title in app_menu, f"{title!r} is not in the app's menu: {list(app_menu)}"
    page = open_app_warm(app_menu[title])
    wait_for_charts(page)

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
    assert page.console_errors == []

    if _update_screenshots():
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{Path(script).stem}.png"))
