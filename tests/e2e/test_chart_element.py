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


def test_the_chart_on_screen_is_drawn_first(open_app, app_menu, wait_for_app):
    """Scrolled down to the last chart, an edit draws that chart before the charts above it,
    which wait until the browser is idle (rnnviz/web/chart.js: drawNext)."""
    page = open_app(app_menu["Activations"])
    wait_for_charts(page)
    page.locator(f".st-key-{key_class(SATURATION)}").scroll_into_view_if_needed()
    page.evaluate(DRAW_ORDER_JS)
    set_sentence(page, "Zebras yawn at noon.", wait_for_app)
    wait_for_charts(page)
    order = page.evaluate("() => window.__drawOrder")
    above = [key_class(k) for k in ("activations.onehot", "activations.heatmap.a")]
    assert set(above) <= set(order) and key_class(SATURATION) in order, order
    assert order.index(key_class(SATURATION)) < min(order.index(k) for k in above), order
    # every chart drew the new sentence
    assert len(chart_by_key(page, "activations.heatmap.a")["traces"][0]["z"][0]) == len(
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
