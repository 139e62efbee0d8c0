"""Every page is right at 1024 px wide with the sidebar open (a laptop, a classroom projector):
nothing in the main column sticks out of it, every equation renders, the console is quiet."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from st_dom import EXCEPTION, declared_pages, wait_for_charts

PAGES = declared_pages()
CHARTLESS = {"About"}

# Elements whose right edge passes the main column's (scrolled into view or not). Plotly
# clips its own drawing; inside an equation only the equation's own box counts (KaTeX draws
# stretchy braces as wide SVG paths that it clips, and its MathML copy is not drawn).
_OVERFLOW_JS = r"""
() => {
  const main = document.querySelector("[data-testid='stMainBlockContainer']");
  const right = main.getBoundingClientRect().right;
  const out = [];
  for (const el of main.querySelectorAll("*")) {
    if (el.closest(".js-plotly-plot, [data-testid='stDataFrame']")) continue;
    if (el.parentElement && el.parentElement.closest(".katex")) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && r.right > right + 1) {
      out.push(`${el.tagName}.${String(el.className).slice(0, 40)} right=${Math.round(r.right)}`
               + ` > ${Math.round(right)}: ${(el.innerText || "").slice(0, 40)}`);
    }
  }
  return out.slice(0, 10);
}
"""


@pytest.mark.parametrize(("script", "title"), PAGES, ids=[Path(s).stem for s, _ in PAGES])
def test_page_fits_1024_px_with_the_sidebar_open(open_app_at_width, app_menu, script, title):
    page = open_app_at_width(app_menu[title], 1024)
    expect(page.locator("[data-testid='stSidebar']")).to_be_visible()
    if title not in CHARTLESS:
        wait_for_charts(page)
    page.wait_for_timeout(500)            # KaTeX and Plotly finish their layout
    expect(page.locator(EXCEPTION)).to_have_count(0)
    errors = page.locator(".katex-error")
    assert errors.count() == 0, errors.first.inner_text()
    assert page.evaluate(_OVERFLOW_JS) == []
    assert page.console_errors == []
    assert page.console_warnings == []
