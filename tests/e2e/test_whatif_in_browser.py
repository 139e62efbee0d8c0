"""The What-if page in Chromium: the prediction, Δa and attribution charts are drawn with
points; a clamp value moves the prediction; a patch source too short for the step gives a
clear message while the charts stay."""

from __future__ import annotations

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
