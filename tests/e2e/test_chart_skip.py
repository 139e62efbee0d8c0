"""An edit redraws only the charts it changes: Streamlit re-sends a component element only
when its data changed, so a chart whose payload is the same (deterministic: the same figure
gives the same JSON, `uirevision` included) is left as drawn. On the Dynamics page's
side-by-side tab the three LMs read the sentence's first SIDE_CHARS characters: an edit past
them leaves the chart as drawn, an edit within them redraws it (the main spectrum, which reads
the whole sentence, is redrawn by both: checked on its own tab)."""

from __future__ import annotations

from st_dom import EXCEPTION, chart_by_key, key_class, open_tab, set_sentence, wait_for_charts

from rnnviz_app.dynamics_view import SIDE_CHARS, SIDE_TAB, SPECTRUM_TAB

PLOT = "(k) => document.querySelector(`.st-key-${k} .js-plotly-plot`)"
HEAD = "The same first characters, read by the three char LMs side by side: "[:SIDE_CHARS]


def _revision(page, key) -> int:
    return int(page.evaluate(f"(k) => ({PLOT})(k).dataset.revision", key_class(key)))


def test_an_edit_redraws_only_the_charts_it_changes(open_app, app_menu, wait_for_app):
    assert len(HEAD) == SIDE_CHARS
    page = open_app(app_menu["Dynamics"])
    set_sentence(page, HEAD + "zebras yawn.", wait_for_app)
    wait_for_charts(page)
    before = _revision(page, "dynamics.spectrum")
    labels = chart_by_key(page, "dynamics.spectrum")["traces"][0]["x"]
    set_sentence(page, HEAD + "cats sleep at noon.", wait_for_app)
    wait_for_charts(page)
    assert _revision(page, "dynamics.spectrum") == before + 1
    assert chart_by_key(page, "dynamics.spectrum")["traces"][0]["x"] != labels

    open_tab(page, SIDE_TAB, wait_for_app)
    before = _revision(page, "dynamics.side")
    side = chart_by_key(page, "dynamics.side")["traces"][0]["y"]
    set_sentence(page, HEAD + "zebras yawn.", wait_for_app)         # past the first 60
    wait_for_charts(page)
    assert _revision(page, "dynamics.side") == before
    assert chart_by_key(page, "dynamics.side")["traces"][0]["y"] == side
    set_sentence(page, "Other first characters. " + HEAD, wait_for_app)   # within them
    wait_for_charts(page)
    assert _revision(page, "dynamics.side") == before + 1
    assert chart_by_key(page, "dynamics.side")["traces"][0]["y"] != side
    open_tab(page, SPECTRUM_TAB, wait_for_app)
    assert page.locator(EXCEPTION).count() == 0
    assert page.console_errors == []
