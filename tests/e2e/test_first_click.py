"""A menu click before the first page has finished drawing loses nothing the visitor has.

Streamlit draws a widget whose value came from session state with that value only in the
run that set it. A visitor who clicked the menu while the first page was still drawing got
an empty sentence box (and the model box on its first option) while the page read the
default; the next interaction sent the empty box back and the sentence was gone ("Type a
sentence…"). The sidebar writes its values back in every run (`sidebar._keep_widget_state`).
"""

from playwright.sync_api import expect
from st_dom import EXCEPTION, NAV_LINK, selectbox_value, sentence_box

from rnnviz_app.state import DEFAULT_PRETRAINED, DEFAULT_SENTENCE


def test_a_click_on_the_menu_during_the_first_run_keeps_the_sentence_and_the_model(
        new_app_page, fresh_server, wait_for_app):
    page = new_app_page(None)
    page.goto(fresh_server, wait_until="domcontentloaded")
    # As soon as the menu is there: the first run (Activations) is still drawing.
    page.locator(NAV_LINK, has_text="What if?").first.click(timeout=60_000)
    page.wait_for_selector(".st-key-whatif-pred .js-plotly-plot", timeout=60_000)
    wait_for_app(page)
    expect(sentence_box(page)).to_have_value(DEFAULT_SENTENCE)
    assert selectbox_value(page, "Model").startswith(DEFAULT_PRETRAINED)
    # The next interaction sends the browser's widget values: they must be the page's.
    slider = page.locator("[data-testid='stMain'] [data-testid='stSlider']").filter(
        has_text="Clamp value v").locator("input[type='range'], [role='slider']").first
    slider.focus()
    slider.press("ArrowRight")
    wait_for_app(page)
    expect(page.get_by_text("Type a sentence")).to_have_count(0)
    expect(sentence_box(page)).to_have_value(DEFAULT_SENTENCE)
    assert selectbox_value(page, "Model").startswith(DEFAULT_PRETRAINED)
    expect(page.locator(".st-key-whatif-pred .js-plotly-plot")).to_have_count(1)
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []
