"""The chart element keeps its chart: an edit updates the Plotly chart in place.

`st.plotly_chart` destroyed and re-created every chart whose data changed; the app's element
(`rnnviz_app.charts`) applies new figures with Plotly.react to the chart it mounted. A tag
put on the chart's DOM node survives a sentence edit while the data changes; a zoom survives
an edit that keeps the axes. (User text in its tick labels and hover:
tests/e2e/test_hostile_input.py.)
"""

from __future__ import annotations

from st_dom import (
    EXCEPTION,
    MODEL_LABEL,
    SIDEBAR,
    chart_by_key,
    key_class,
    read_charts,
    select_option,
    set_sentence,
    wait_for_charts,
)

HEATMAP = "activations.heatmap.a"
TOPK = "activations.topk"
RANDOM_LABEL = "Random weights (choose below)"
PLOT = "(k) => document.querySelector(`.st-key-${k} .js-plotly-plot`)"


def _plot(page, key, js):
    return page.evaluate(f"(k) => {{ const el = ({PLOT})(k); return ({js}); }}", key_class(key))


def test_an_edit_updates_the_chart_in_place(open_app, app_menu, wait_for_app):
    page = open_app(app_menu["Activations"])
    wait_for_charts(page)
    _plot(page, HEATMAP, "el.dataset.tag = 'the same node'")
    before = chart_by_key(page, HEATMAP)["traces"][0]["z"]

    set_sentence(page, "Zebras yawn at noon.", wait_for_app)
    wait_for_charts(page)
    assert _plot(page, HEATMAP, "el.dataset.tag") == "the same node"
    after = chart_by_key(page, HEATMAP)
    assert after["traces"][0]["z"] != before
    assert len(after["traces"][0]["z"][0]) == len("Zebras yawn at noon.")
    assert page.locator(EXCEPTION).count() == 0
    assert page.console_errors == []


def test_a_zoom_survives_an_edit_that_keeps_the_axes(open_app, app_menu, wait_for_app):
    page = open_app(app_menu["Activations"])
    select_option(page, MODEL_LABEL, RANDOM_LABEL, wait_for_app, SIDEBAR)
    wait_for_charts(page)
    # Move the view as a person does: drag across the plot (this chart pans sideways).
    initial = _plot(page, TOPK, "el.layout.xaxis.range")
    drag = page.locator(f".st-key-{key_class(TOPK)} .nsewdrag").first
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.6, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=8)
    page.mouse.up()
    page.wait_for_function(
        f"(r) => ({PLOT})('{key_class(TOPK)}').layout.xaxis.range[1] !== r", arg=initial[1])
    zoomed = _plot(page, TOPK, "el.layout.xaxis.range")
    before = chart_by_key(page, TOPK)["traces"][0]["z"]

    # Another seed: other weights, other predictions, the same steps and ranks on the axes.
    seed = page.locator(SIDEBAR).get_by_label("Seed", exact=True)
    seed.fill("7")
    seed.press("Enter")
    wait_for_app(page)
    wait_for_charts(page)
    assert chart_by_key(page, TOPK)["traces"][0]["z"] != before
    assert _plot(page, TOPK, "el.layout.xaxis.range") == zoomed

    # A new sentence changes the axes: the view starts over.
    set_sentence(page, "Another sentence entirely.", wait_for_app)
    wait_for_charts(page)
    assert _plot(page, TOPK, "el.layout.xaxis.range") != zoomed


# The order in which the charts finish drawing the figures of one rerun: a MutationObserver on
# their `data-drawn` (the element sets it when a figure is drawn).
DRAW_ORDER_JS = r"""() => {
  window.__drawOrder = [];
  const obs = new MutationObserver((muts) => {
    for (const m of muts) {
      const key = m.target.parentElement.closest("[class*='st-key-']").className
        .match(/st-key-[^ ]+/)[0].slice("st-key-".length);
      window.__drawOrder.push(key);
    }
  });
  document.querySelectorAll("[data-testid='stMain'] .rnnviz-chart")
    .forEach((c) => obs.observe(c, {attributes: true, attributeFilter: ["data-drawn"]}));
}"""
SATURATION = "activations.saturation"
FAR_ABOVE = ("activations.onehot", "activations.heatmap.a")


def _waiting(page, key) -> bool:
    return _plot(page, key, "el.dataset.waiting === el.dataset.revision "
                            "&& el.classList.contains('rnnviz-stale')")


def test_the_chart_on_screen_is_drawn_first_and_the_far_ones_when_scrolled_near(
        open_app, app_menu, wait_for_app):
    """Scrolled down to the last chart, an edit draws that chart; the charts far above it
    wait, dimmed, with their size kept, and draw the new sentence once scrolled back near
    (rnnviz/web/chart.js: drawNext, park, wake)."""
    page = open_app(app_menu["Activations"])
    wait_for_charts(page)
    heights = {k: _plot(page, k, "el.getBoundingClientRect().height") for k in FAR_ABOVE}
    page.locator(f".st-key-{key_class(SATURATION)}").scroll_into_view_if_needed()
    page.evaluate(DRAW_ORDER_JS)
    set_sentence(page, "Zebras yawn at noon.", wait_for_app)
    wait_for_charts(page, all_drawn=False)
    page.wait_for_timeout(500)                      # an idle wait would have drawn them by now
    order = page.evaluate("() => window.__drawOrder")
    assert key_class(SATURATION) in order, order
    for key in FAR_ABOVE:
        assert key_class(key) not in order, order
        assert _waiting(page, key), key
        assert _plot(page, key, "el.getBoundingClientRect().height") == heights[key], key
    # back near the top: they draw the new sentence, and are no longer dimmed
    page.locator(f".st-key-{key_class('activations.heatmap.a')}").scroll_into_view_if_needed()
    wait_for_charts(page, all_drawn=False)
    page.wait_for_function(
        "(k) => { const el = document.querySelector(`.st-key-${k} .rnnviz-chart`);"
        " return el.dataset.drawn === el.dataset.revision; }",
        arg=key_class("activations.heatmap.a"), timeout=30_000)
    assert not _waiting(page, "activations.heatmap.a")
    drawn = {c["key"]: c for c in read_charts(page, None)}
    assert len(drawn[key_class("activations.heatmap.a")]["traces"][0]["z"][0]) == len(
        "Zebras yawn at noon.")
    # every chart drew the new sentence (the helper scrolls to those still waiting)
    wait_for_charts(page)
    assert len(chart_by_key(page, "activations.onehot")["traces"][0]["x"]) == len(
        "Zebras yawn at noon.")
    assert page.console_errors == []


def test_a_page_without_charts_has_plotly_loaded_by_the_frame(open_app, app_menu):
    """The frame's first element (in the sidebar, hidden, no space taken) makes the browser
    load plotly.js at once, so a first visit does not wait for its first chart to ask."""
    page = open_app(app_menu["About"])
    assert page.locator("[data-testid='stMain'] .stBidiComponent").count() == 0
    page.wait_for_function("() => !!(window.Plotly && window.Plotly.react)", timeout=30_000)
    box = page.locator(".st-key-rnnviz_plotly_preload")
    assert box.count() == 1 and box.bounding_box() is None          # display: none
    assert page.console_errors == []


def test_a_chart_that_leaves_the_page_is_purged(open_app, app_menu, wait_for_app):
    """A page switch removes the page's charts: each is purged (Plotly's window resize
    listener, which holds the chart and its data, is gone), while an edit keeps its chart
    drawn and listening."""
    page = open_app(app_menu["Activations"])
    wait_for_charts(page)
    _plot(page, HEATMAP, "(window.__old = el, true)")
    assert page.evaluate("() => typeof window.__old._responsiveChartHandler") == "function"
    set_sentence(page, "Zebras yawn at noon.", wait_for_app)
    wait_for_charts(page)
    assert page.evaluate("() => window.__old.isConnected && !!window.__old._fullLayout")
    assert page.evaluate("() => typeof window.__old._responsiveChartHandler") == "function"

    page.locator("[data-testid='stSidebarNavLink']", has_text="About").first.click()
    wait_for_app(page)
    page.wait_for_function("() => !window.__old.isConnected", timeout=30_000)
    page.wait_for_function("() => window.__old._responsiveChartHandler === undefined",
                           timeout=10_000)
    assert page.evaluate("() => window.__old._fullLayout === undefined")
    assert page.locator(EXCEPTION).count() == 0
    assert page.console_errors == []
