"""Task C in Chromium: a short flip-flop race on the Training page (the same worker and live
view as the other tasks), its charts' text measured as in test_pages.py (nothing
collides or is cut, at 1400 px and again once the window shrinks to 1024 px), and the way to
its fixed points on the Dynamics page."""

from __future__ import annotations

from page_layout import measure
from playwright.sync_api import expect
from st_dom import EXCEPTION, MAIN, chart_by_key, key_class, wait_for_charts

PROGRESS = f"{MAIN} [data-testid='stProgress']"


def test_a_flipflop_run_draws_clean_charts_and_opens_on_the_dynamics_page(
        open_app_at_width, app_menu, wait_for_app):
    page = open_app_at_width(app_menu["Training"], 1400)
    main = page.locator(MAIN)
    main.get_by_role("radiogroup", name="Task").get_by_text(
        "C: 3-bit flip-flop (memory)", exact=True).click()
    wait_for_app(page)
    expect(main.get_by_text("Three input channels carry sparse pulses")).to_be_visible()
    for label in ("Steps (every cell)", "n_a (hidden units, every cell)"):
        thumb = main.get_by_role("slider", name=label)
        thumb.focus()
        thumb.press("Home")                              # the smallest: a short run
        wait_for_app(page)
    page.locator(f".st-key-{key_class('training.start')} button").click()
    button = page.locator(f".st-key-{key_class('training.to_dynamics_button')} button")
    expect(button).to_be_visible(timeout=180_000)       # the run ended and the page reran
    wait_for_charts(page)
    expect(page.locator(PROGRESS)).to_contain_text("done")
    expect(main.get_by_text("Accuracy on fresh pulse sequences:")).to_be_visible()
    for key in ("training.loss_chart", "training.metric_chart", "training.da_chart",
                "training.da_heatmap"):
        assert chart_by_key(page, key)["traces"], key
    for width in (1400, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        found = measure(page)
        problems = found["chart_text"] + found["tables"] + found["overflow"]
        assert problems == [], (width, problems)
        assert found["katex_errors"] == 0, width

    button.click()
    expect(page.get_by_role("heading", name="Dynamics", exact=True)).to_be_visible(
        timeout=60_000)
    network = main.get_by_role("radiogroup", name="Network")
    for cell in ("RNN", "GRU", "LSTM"):                  # below the three LMs' spectra
        expect(network.get_by_text(f"{cell} (trained here)", exact=True)).to_be_visible(
            timeout=120_000)
    network.get_by_text("LSTM (trained here)", exact=True).click()
    wait_for_app(page)
    wait_for_charts(page)
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []
