"""The What-if page in Chromium: the prediction, Δa and attribution charts are drawn with
points; a clamp value moves the prediction; a patch source too short for the step gives a
clear message while the charts stay."""

from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from st_dom import EXCEPTION, MAIN, NAV_LINK, chart_by_key, choose_radio, commit_text, has_points

FIRST_RUN_MS = 120_000
CHARTS = ("whatif.pred", "whatif.states", "whatif.attribution")


def test_whatif_page_clamps_patches_and_attributes(app_page, app_server, app_menu,
                                                   wait_for_app):
    assert "What if?" in app_menu, f"'What if?' is not in the app's menu: {list(app_menu)}"
    page = app_page
    page.goto(f"{app_server}/{app_menu['What if?']}", wait_until="domcontentloaded")
    page.wait_for_selector(f"{MAIN} [data-testid='stElementContainer']", state="attached",
                           timeout=FIRST_RUN_MS)
    wait_for_app(page, FIRST_RUN_MS)
    expect(page.locator(f"{NAV_LINK}[aria-current='page']")).to_have_text("What if?")
    expect(page.locator(EXCEPTION)).to_have_count(0)
    for key in CHARTS:
        chart = chart_by_key(page, key)
        assert chart["width"] > 0 and chart["height"] > 0, key
        assert any(has_points(t) for t in chart["traces"]), key
    bars = chart_by_key(page, "whatif.pred")["traces"]
    assert [t["name"] for t in bars] == ["intact", "changed"]
    assert len(bars[0]["y"]) == 10
    # Patch mode: a source of two characters cannot give a<4>.
    choose_radio(page, "Change", "Patch from sentence B", lambda p: wait_for_app(p, FIRST_RUN_MS))
    expect(page.locator(EXCEPTION)).to_have_count(0)
    box = page.locator(MAIN).get_by_role("textbox", name="Sentence B (the source of the "
                                         "patched values)")
    commit_text(page, box, "Hi", lambda p: wait_for_app(p, FIRST_RUN_MS))
    expect(page.get_by_text("too short to patch step").first).to_be_visible()
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert any(has_points(t) for t in chart_by_key(page, "whatif.states")["traces"])
    assert page.console_errors == []


# Where row `row` of the states chart's first panel is drawn (at step t = 2), in page
# coordinates, from Plotly's own axes (rows are categories: the units shown, in order).
_ROW_AT_JS = r"""
([sel, row]) => {
  const el = document.querySelector(sel);
  const L = el._fullLayout, r = el.getBoundingClientRect();
  return {x: r.left + L.xaxis._offset + L.xaxis.l2p(2),
          y: r.top + L.yaxis._offset + L.yaxis.l2p(row)};
}
"""


_UNITS_TAGS = f"{MAIN} .st-key-whatif-units .react-aria-ComboBox [data-tag]"


def _chosen_units(page) -> list[str]:
    tags = page.locator(_UNITS_TAGS)
    return [tags.nth(i).get_attribute("aria-label") for i in range(tags.count())]


def _chosen_units_after_click(page, want: list[str], timeout_ms: int = 15_000) -> list[str]:
    """The units chosen once the click's rerun has drawn them: the multiselect's tags equal to
    `want` within `timeout_ms` (on a loaded machine the click's message can leave the page
    after `wait_for_app` has settled), else what it shows then."""
    try:
        page.wait_for_function(
            "([sel, want]) => JSON.stringify([...document.querySelectorAll(sel)]"
            ".map((t) => t.getAttribute('aria-label'))) === JSON.stringify(want)",
            arg=[_UNITS_TAGS, want], timeout=timeout_ms, polling=100)
    except PlaywrightTimeout:   # the assertion after this call says what is shown
        pass
    return _chosen_units(page)


def test_a_click_on_a_row_of_the_states_chart_picks_its_unit(app_page, app_server, app_menu,
                                                             wait_for_app):
    page = app_page
    page.goto(f"{app_server}/{app_menu['What if?']}", wait_until="domcontentloaded")
    page.wait_for_selector(f"{MAIN} .st-key-whatif-states", state="attached",
                           timeout=FIRST_RUN_MS)
    wait_for_app(page, FIRST_RUN_MS)
    assert _chosen_units(page) == ["0"]
    changed = chart_by_key(page, "whatif.pred")["traces"][1]["y"]
    rows = chart_by_key(page, "whatif.states")["traces"][0]["y"]    # the units shown
    row = 5
    unit = int(rows[row])
    sel = ".st-key-whatif-states .js-plotly-plot"
    page.locator(sel).scroll_into_view_if_needed()
    at = page.evaluate(_ROW_AT_JS, [sel, row])
    page.mouse.move(at["x"], at["y"])
    page.mouse.click(at["x"], at["y"])
    wait_for_app(page, FIRST_RUN_MS)
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert _chosen_units_after_click(page, ["0", str(unit)]) == ["0", str(unit)]
    now = chart_by_key(page, "whatif.states")["traces"][0]["y"]    # drawn, with its rows
    outlined = page.evaluate("(sel) => document.querySelector(sel).layout.shapes"
                             ".map((s) => s.y0 + 0.5)", sel)
    assert {round(y) for y in outlined} == {0, now.index(str(unit))}   # the rows of 0, unit
    assert chart_by_key(page, "whatif.pred")["traces"][1]["y"] != changed
    # a second click on the same row removes the unit again
    page.locator(sel).scroll_into_view_if_needed()
    rows = chart_by_key(page, "whatif.states")["traces"][0]["y"]
    at = page.evaluate(_ROW_AT_JS, [sel, rows.index(str(unit))])
    page.mouse.move(at["x"], at["y"])
    page.mouse.click(at["x"], at["y"])
    wait_for_app(page, FIRST_RUN_MS)
    assert _chosen_units_after_click(page, ["0"]) == ["0"]
    wait_for_app(page, FIRST_RUN_MS)
    assert chart_by_key(page, "whatif.pred")["traces"][1]["y"] == changed
    assert page.console_errors == []
