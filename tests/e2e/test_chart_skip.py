"""An edit redraws only the charts it changes: Streamlit re-sends a component element only
when its data changed, so a chart whose payload is the same (deterministic: the same figure
gives the same JSON, `uirevision` included) is left as drawn. On the Dynamics page the main
spectrum reads the whole sentence and the three LMs side by side its first SIDE_CHARS
characters: an edit past them redraws the first and leaves the second."""

from __future__ import annotations

from st_dom import EXCEPTION, chart_by_key, key_class, set_sentence, wait_for_charts

from rnnviz_app.dynamics_view import SIDE_CHARS

PLOT = "(k) => document.querySelector(`.st-key-${k} .js-plotly-plot`)"
READS_THE_SENTENCE = "dynamics.spectrum"
DOES_NOT = ("dynamics.side",)
HEAD = "The same first characters, read by the three char LMs side by side: "[:SIDE_CHARS]


def _revision(page, key) -> int:
    return int(page.evaluate(f"(k) => ({PLOT})(k).dataset.revision", key_class(key)))


def test_an_edit_redraws_only_the_charts_it_changes(open_app, app_menu, wait_for_app):
    assert len(HEAD) == SIDE_CHARS
    page = open_app(app_menu["Dynamics"])
    set_sentence(page, HEAD + "zebras yawn.", wait_for_app)
    wait_for_charts(page)
    before = {k: _revision(page, k) for k in (READS_THE_SENTENCE, *DOES_NOT)}
    labels = chart_by_key(page, READS_THE_SENTENCE)["traces"][0]["x"]
    side = chart_by_key(page, DOES_NOT[0])["traces"][0]["y"]

    set_sentence(page, HEAD + "cats sleep at noon.", wait_for_app)
    wait_for_charts(page)
    assert _revision(page, READS_THE_SENTENCE) == before[READS_THE_SENTENCE] + 1
    assert chart_by_key(page, READS_THE_SENTENCE)["traces"][0]["x"] != labels
    for key in DOES_NOT:
        assert _revision(page, key) == before[key], key
    assert chart_by_key(page, DOES_NOT[0])["traces"][0]["y"] == side
    assert page.locator(EXCEPTION).count() == 0
    assert page.console_errors == []
