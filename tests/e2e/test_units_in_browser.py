"""The Units page in Chromium: its first run reads the held-out corpus (seconds on a quiet
machine, up to a minute on a busy one), then each tab draws its charts when opened, the
painted text is on screen, switching the corpus to the sentence finds the query span, and
the charts of the tabs a visit does not open keep their text apart."""

from __future__ import annotations

from page_layout import check_tabs
from playwright.sync_api import expect
from st_dom import (
    EXCEPTION,
    MAIN,
    NAV_LINK,
    chart_by_key,
    choose_radio,
    has_points,
    key_class,
    open_tab,
    read_charts,
)

from rnnviz_app.units_view import (
    COMPARE_TAB,
    INTERPRETABLE_TAB,
    PAINT_TAB,
    SATURATION_TAB,
    SEARCH_TAB,
)

FIRST_RUN_MS = 240_000
TAB_CHARTS = ((INTERPRETABLE_TAB, "units.best_r"), (SEARCH_TAB, "units.selected"),
              (COMPARE_TAB, "units.compare"), (SATURATION_TAB, "units.saturation"))


def test_units_page_draws_its_charts(app_page, app_server, app_menu, wait_for_app):
    assert "Units" in app_menu, f"'Units' is not in the app's menu: {list(app_menu)}"
    page = app_page
    page.goto(f"{app_server}/{app_menu['Units']}", wait_until="domcontentloaded")
    page.wait_for_selector(f"{MAIN} [data-testid='stElementContainer']", state="attached",
                           timeout=FIRST_RUN_MS)
    wait_for_app(page, FIRST_RUN_MS, settle_ms=0)
    expect(page.locator(f"{NAV_LINK}[aria-current='page']")).to_have_text("Units")
    expect(page.locator(EXCEPTION)).to_have_count(0)
    wait = lambda p: wait_for_app(p, FIRST_RUN_MS)          # noqa: E731
    for tab, key in TAB_CHARTS:
        if tab != INTERPRETABLE_TAB:
            open_tab(page, tab, wait)
        chart = chart_by_key(page, key)
        assert chart["width"] > 0 and chart["height"] > 0, key
        assert any(has_points(t) for t in chart["traces"]), key
        assert [c["key"] for c in read_charts(page)] == [key_class(key)], tab
        if tab == INTERPRETABLE_TAB:
            bars = chart["traces"]
            assert len(bars) == 3 and all(len(t["y"]) == 9 for t in bars)  # 3 LMs × 9 features
    # The sentence painted by one unit: one coloured span per character, hover says the value.
    open_tab(page, PAINT_TAB, wait)
    painted = page.locator(f"{MAIN} span[title*='c<t>[']")
    expect(painted.first).to_be_visible()
    # The corpus is now the sentence: the selected span is among the matches.
    open_tab(page, SEARCH_TAB, wait)
    choose_radio(page, "Corpus", "the sidebar sentence", wait)
    expect(page.locator(EXCEPTION)).to_have_count(0)
    expect(page.get_by_text("match(es)").first).to_be_visible()
    # An upload that is not UTF-8 gets a clear message, and the page keeps working.
    choose_radio(page, "Corpus", "my own text (paste or upload)", wait)
    page.locator(f"{MAIN} input[type='file']").set_input_files(
        files=[{"name": "latin1.txt", "mimeType": "text/plain", "buffer": b"caf\xe9 " * 100}])
    wait_for_app(page, FIRST_RUN_MS)
    expect(page.get_by_text("is not UTF-8 text").first).to_be_visible()
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []


def test_the_other_tabs_charts_keep_their_text_apart_at_1400_and_1024(open_app_warm, app_menu,
                                                                      wait_for_app):
    """test_pages.py measures the tab a visit opens (interpretable units); the others here:
    in every chart nothing collides or is cut, nothing sticks out of the column, and no HTML
    table (painted text, matches) needs a sideways scroll."""
    page = open_app_warm(app_menu["Units"])
    check_tabs(page, {PAINT_TAB: set(), SEARCH_TAB: {"units.selected"},
                      COMPARE_TAB: {"units.compare"}, SATURATION_TAB: {"units.saturation"}},
               wait_for_app)
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []
