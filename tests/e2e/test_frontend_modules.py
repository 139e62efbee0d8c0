"""Streamlit's element modules are loaded before a page's first visit asks for them.

Streamlit's frontend imports the code of an element type (a radio, a slider, KaTeX, ...) the
first time a page shows one, so every page's first visit used to fetch, compile and run the
modules of the element types no page before it had shown (Backward: KaTeX, 265 kB; Forward:
the multiselect, slider and metric with moment and numbro). The chart element imports them
once the first page's charts are drawn (`rnnviz_app.charts.frontend_modules`,
`rnnviz/web/chart.js`).

Landed on About (no chart: nothing is imported yet), then on the default page (the sidebar
and its charts), once the element says the modules are loaded, a visit to every page of the
menu fetches no JavaScript at all: the test fails when a page shows an element type whose
module is not in `FRONTEND_MODULES`.
"""

from __future__ import annotations

from st_dom import EXCEPTION, declared_pages

STATIC_JS = "/static/js/"
MODULES_STATE = "() => document.documentElement.dataset.rnnvizModules"


def _go(page, title: str, wait_for_app) -> None:
    page.locator("[data-testid='stSidebarNavLink']", has_text=title).first.click()
    wait_for_app(page)
    page.wait_for_selector(
        f"[data-testid='stSidebarNavLink'][aria-current='page']:has-text('{title}')")
    assert page.locator(EXCEPTION).count() == 0, title


def test_every_page_finds_streamlits_modules_loaded(open_app, app_menu, wait_for_app):
    page = open_app(app_menu["About"])
    page.wait_for_function(f"() => ({MODULES_STATE})() === 'waiting'", timeout=60_000)
    page.wait_for_timeout(1000)
    assert page.evaluate(MODULES_STATE) == "waiting"          # no chart drawn: not yet
    _go(page, "Activations", wait_for_app)
    page.wait_for_function(f"() => ({MODULES_STATE})() === 'loaded'", timeout=60_000)
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if STATIC_JS in r.url else None)
    for _, title in declared_pages():
        _go(page, title, wait_for_app)
        page.wait_for_timeout(300)          # an element mounted after the run still imports
        assert [u.rsplit("/", 1)[-1] for u in fetched] == [], title
    assert page.console_errors == []
