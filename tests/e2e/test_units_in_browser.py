"""The Units page in Chromium: its first run reads the held-out corpus with the three char LMs
(seconds on a quiet machine, up to a minute on a busy one), then every chart is drawn, the
painted text is on screen, and switching the corpus to the sentence finds the query span."""

from __future__ import annotations

from playwright.sync_api import expect
from st_dom import EXCEPTION, MAIN, NAV_LINK, chart_by_key, choose_radio, has_points

FIRST_RUN_MS = 240_000
CHARTS = ("units.best_r", "units.selected", "units.compare", "units.saturation")


def test_units_page_draws_its_charts(app_page, app_server, app_menu, wait_for_app):
    assert "Units" in app_menu, f"'Units' is not in the app's menu: {list(app_menu)}"
    page = app_page
    page.goto(f"{app_server}/{app_menu['Units']}", wait_until="domcontentloaded")
    page.wait_for_selector(f"{MAIN} [data-testid='stElementContainer']", state="attached",
                           timeout=FIRST_RUN_MS)
    wait_for_app(page, FIRST_RUN_MS, settle_ms=0)
    expect(page.locator(f"{NAV_LINK}[aria-current='page']")).to_have_text("Units")
    expect(page.locator(EXCEPTION)).to_have_count(0)
    for key in CHARTS:
        chart = chart_by_key(page, key)
        assert chart["width"] > 0 and chart["height"] > 0, key
        assert any(has_points(t) for t in chart["traces"]), key
    bars = chart_by_key(page, "units.best_r")["traces"]
    assert len(bars) == 3 and all(len(t["y"]) == 9 for t in bars)     # 3 LMs × 9 features
    # The sentence painted by one unit: one coloured span per character, hover says the value.
    painted = page.locator(f"{MAIN} span[title*='c<t>[']")
    expect(painted.first).to_be_visible()
    # The corpus is now the sentence: the selected span is among the matches.
    choose_radio(page, "Corpus", "the sidebar sentence",
                 lambda p: wait_for_app(p, FIRST_RUN_MS))
    expect(page.locator(EXCEPTION)).to_have_count(0)
    expect(page.get_by_text("match(es)").first).to_be_visible()
    # An upload that is not UTF-8 gets a clear message, and the page keeps working.
    choose_radio(page, "Corpus", "my own text (paste or upload)",
                 lambda p: wait_for_app(p, FIRST_RUN_MS))
    page.locator(f"{MAIN} input[type='file']").set_input_files(
        files=[{"name": "latin1.txt", "mimeType": "text/plain", "buffer": b"caf\xe9 " * 100}])
    wait_for_app(page, FIRST_RUN_MS)
    expect(page.get_by_text("is not UTF-8 text").first).to_be_visible()
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []
