"""Hostile text in every text box of every page never runs script and never breaks the layout.

The payload tries four ways into the page: an ``<img>`` whose error handler sets a window
flag, an ``<iframe srcdoc>`` whose script sets it on the parent, a ``<script>`` that sets it,
and a ``<style>`` that hides the whole page. The app must show all of it as text: the flag
stays unset, none of the elements exists in the page, the sidebar and the main block keep
their size, and no exception box or console error appears.
"""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect
from st_dom import (
    EXCEPTION,
    NAV_LINK,
    SENTENCE_LABEL,
    TEXT_BOXES,
    chart_by_key,
    commit_text,
    go_to_page,
    key_class,
    layout_intact,
    read_charts,
    set_sentence,
    upload_panel,
    wait_for_charts,
)

from rnnviz.figures.safe_text import visible_token

PAYLOADS = (
    '<img src=x onerror="window.__pwned=1">',
    '<iframe srcdoc="<script>parent.__pwned=1</script>">',
    "<style>body{display:none}</style>",
    "<script>window.__pwned=1</script>",
)
# One line with all four (a box gets it in one rerun), and each alone for a box whose
# character limit is shorter than the whole line.
COMBINED = "Hi " + " ".join(PAYLOADS) + " bye."

# What the payload would leave in the DOM if any of it were rendered as HTML.
INJECTED_JS = r"""() => {
  const styles = [...document.querySelectorAll('style')]
    .filter((s) => s.textContent.replace(/\s/g, '').includes('body{display:none}')).length;
  return {
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    img: document.querySelectorAll('img[src="x"]').length,
    iframe: [...document.querySelectorAll('iframe')]
      .filter((f) => (f.getAttribute('srcdoc') || '').includes('__pwned')).length,
    script: [...document.querySelectorAll('script')]
      .filter((s) => s.textContent.includes('__pwned')).length,
    style: styles,
  };
}"""


def _reveal(page: Page, box: Locator) -> None:
    """Bring a box into view the way a person would: open its tab or expander."""
    if box.is_visible():
        return
    tab = box.evaluate(
        "e => { const p = e.closest('[role=tabpanel]');"
        " return p ? p.getAttribute('aria-labelledby') : null; }"
    )
    if tab:
        page.locator(f"[id='{tab}']").click()
    box.evaluate(
        "e => { const d = e.closest('details');"
        " if (d && !d.open) d.querySelector('summary').click(); }"
    )
    expect(box).to_be_visible()


def _payloads_for(box: Locator) -> list[str]:
    limit = box.get_attribute("maxlength")
    if limit is None or int(limit) >= len(COMBINED):
        return [COMBINED]
    return [p for p in PAYLOADS if len(p) <= int(limit)] or [PAYLOADS[0][: int(limit)]]


def _harm(page: Page) -> list[str]:
    """What the hostile text did to the page, if anything (empty: nothing)."""
    problems = []
    injected = page.evaluate(INJECTED_JS)
    if injected != {"pwned": None, "img": 0, "iframe": 0, "script": 0, "style": 0}:
        problems.append(f"markup from the text took effect: {injected}")
    boxes = layout_intact(page)
    for part in ("sidebar", "main", "block"):
        b = boxes[part]
        if b is None:
            problems.append(f"{part} is gone")
        elif not (b["width"] > 0 and b["height"] > 0 and b["display"] != "none"
                  and b["visibility"] == "visible" and b["opacity"] > 0):  # fmt: skip
            problems.append(f"{part} is hidden or collapsed: {b}")
    if boxes["body"]["display"] == "none":
        problems.append("body hidden")
    if page.locator(EXCEPTION).count():
        problems.append("exception box")
    return problems


def test_hostile_text_in_every_box_of_every_page_is_only_text(open_app, wait_for_app):
    """One visitor walks every page from the menu and types the payload into every text box.

    The sidebar's sentence is shared, so after the first page every page also draws the
    hostile sentence. Problems are collected page by page and reported together.
    """
    page = open_app()
    upload_panel(page)      # its form is sent once opened, then on every page (its boxes too)
    titles = [t.strip() for t in page.locator(NAV_LINK).all_inner_texts()]
    assert titles, "no menu"
    problems: dict[str, list[str]] = {}
    typed = 0
    boxes_seen: set[tuple[str, str]] = set()
    for title in titles:
        found = problems.setdefault(title, [])
        try:
            go_to_page(page, title, wait_for_app)
            wait_for_charts(page)
            n_boxes = page.locator(TEXT_BOXES).count()
            for i in range(n_boxes):
                # Located again each time: a rerun may redraw the page (and add or drop boxes).
                box = page.locator(TEXT_BOXES).nth(i)
                if box.count() == 0:
                    break
                if box.is_disabled():
                    continue
                _reveal(page, box)
                label = box.get_attribute("aria-label") or f"text box {i}"
                in_sidebar = box.evaluate("e => !!e.closest(\"[data-testid='stSidebar']\")")
                boxes_seen.add(("sidebar" if in_sidebar else title, label))
                for payload in _payloads_for(box):
                    if box.input_value() != payload:
                        commit_text(page, box, payload, wait_for_app)
                        wait_for_charts(page)
                        typed += 1
                    # The box keeps the text exactly as typed: nothing stripped or rewritten.
                    if page.locator(TEXT_BOXES).nth(i).input_value() != payload:
                        found.append(f"box {label!r} does not hold the text as typed")
                    found += [f"box {label!r}, {payload!r}: {p}" for p in _harm(page)]
            for chart in read_charts(page):
                if not chart["traces"]:
                    found.append(f"chart {chart['key']} lost its traces")
        except Exception as exc:  # a timeout on one page: report it, go on with the next
            found.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
            found += _harm(page)
    if page.console_errors:
        problems["console"] = page.console_errors
    assert {t: p for t, p in problems.items() if p} == {}
    # The sidebar's box, then each page's own boxes (the sidebar's keeps its text).
    assert typed >= 1 + len(boxes_seen - {("sidebar", SENTENCE_LABEL)}), boxes_seen


# The chart element (rnnviz_app.charts): a sentence's tokens reach a chart's tick labels and its
# hover as data; Plotly draws them as SVG text. Move the mouse over a cell (as a person would)
# and read what the hover label and the ticks show.
HEATMAP = "activations.heatmap.a"
HOVER_JS = r"""([k, want]) => {
  const layer = document.querySelector(`.st-key-${k} .rnnviz-chart .hoverlayer`);
  return !!layer && layer.textContent.includes(want);
}"""
CHART_TEXT_JS = r"""(k) => {
  const el = document.querySelector(`.st-key-${k} .rnnviz-chart`);
  return {
    hover: el.querySelector('.hoverlayer').textContent,
    ticks: [...el.querySelectorAll('.xtick text')].map((t) => t.textContent),
    html: [...el.querySelectorAll('.hoverlayer *, .xtick *')]
      .filter((n) => n.namespaceURI !== 'http://www.w3.org/2000/svg').length,
  };
}"""


def _hover_step(page: Page, key: str, col: int, n_cols: int, want: str) -> dict:
    plot = page.locator(f".st-key-{key_class(key)} .nsewdrag").first
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    page.mouse.move(box["x"] + (col + 0.5) * box["width"] / n_cols, box["y"] + 8)
    page.wait_for_function(HOVER_JS, arg=[key_class(key), want], timeout=10_000)
    return page.evaluate(CHART_TEXT_JS, key_class(key))


def test_a_token_of_markup_is_text_in_the_chart_ticks_and_hover(open_app, app_menu,
                                                                wait_for_app):
    page = open_app(app_menu["Activations"])
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    text = "<img src=x onerror=alert(1)>"
    set_sentence(page, text, wait_for_app)
    wait_for_charts(page)
    assert len(chart_by_key(page, HEATMAP)["traces"][0]["z"][0]) == len(text)
    # Step 1 is the character "<", step 4 the "g" of "img": each shown in its hover as text
    # (the wait times out if the hover label does not say so).
    shown = [_hover_step(page, HEATMAP, col, len(text), want)
             for col, want in ((0, "t=1 <"), (3, "t=4 g"))]
    ticks = "".join(shown[0]["ticks"])
    assert "<" in ticks and "=" in ticks and ">" in ticks
    assert [s["html"] for s in shown] == [0, 0]     # only SVG text nodes, no HTML element
    # The tokens table (`ui.table`, escaped HTML): each row's cell is its character, as text.
    table = page.evaluate("""() => {
      const t = document.querySelector("[data-testid='stMain'] .rnnviz-table table");
      return {tokens: [...t.querySelectorAll('tbody tr')].map((r) => r.children[1].textContent),
              elements: t.querySelectorAll('td *, th *').length};
    }""")
    assert table == {"tokens": [visible_token(c) for c in text], "elements": 0}
    assert page.evaluate(INJECTED_JS)["img"] == 0
    assert dialogs == []
    assert page.locator(EXCEPTION).count() == 0
    assert page.console_errors == []
