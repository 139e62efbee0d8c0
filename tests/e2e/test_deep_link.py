"""A deep link opened first on a fresh server gets the app's frame (menu and sidebar).

With a `pages/` folder beside app.py, Streamlit's legacy multipage mode runs the page
script alone for the first request after start-up; `rnnviz_app.shell.ensure_frame` must
then run the frame itself (see its module docstring). Only a server whose very first request
is the deep link shows it, hence a server of the test's own.
"""

from playwright.sync_api import expect
from st_dom import (
    EXCEPTION,
    NAV_LINK,
    declared_pages,
    metric,
    selectbox_value,
    sentence_box,
    set_sentence,
)


def test_first_request_to_a_deep_link_gets_the_sidebar_and_menu(open_fresh, wait_for_app):
    page = open_fresh("backward")
    title = page.get_by_role("heading", name="Backward pass (BPTT)", level=1)
    expect(title).to_be_visible()
    # One copy of the page: the frameless first run drew nothing of its own.
    expect(title).to_have_count(1)
    expect(sentence_box(page)).to_be_visible()
    assert selectbox_value(page, "Model").startswith("char-lm-lstm")
    expect(page.locator(NAV_LINK)).to_have_count(len(declared_pages()))
    expect(page.locator(f"{NAV_LINK}[aria-current='page']")).to_have_text("Backward pass (BPTT)")
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []
    # The sidebar's sentence drives this page: a new one reruns it, frame and all.
    set_sentence(page, "Hello there, world.", wait_for_app)
    assert metric(page, "Steps T_x") == str(len("Hello there, world.") - 1)
    expect(title).to_have_count(1)
