"""An edit redraws only the charts it changes: Streamlit re-sends a component element only
when its data changed, so a chart whose payload is the same (deterministic: the same figure
gives the same JSON, `uirevision` included) is left as drawn. On the Dynamics page a sentence
edit redraws the spectrum and leaves the flip-flop's charts, which do not read the sentence."""

from __future__ import annotations

from st_dom import EXCEPTION, chart_by_key, key_class, set_sentence, wait_for_charts

PLOT = "(k) => document.querySelector(`.st-key-${k} .js-plotly-plot`)"
READS_THE_SENTENCE = "dynamics.spectrum"
DOES_NOT = ("dynamics.fixed", "dynamics.eig")


def _revision(page, key) -> int:
    return int(page.evaluate(f"(k) => ({PLOT})(k).dataset.revision", key_class(key)))


def test_an_edit_redraws_only_the_charts_it_changes(open_app, app_menu, wait_for_app):
    page = open_app(app_menu["Dynamics"])
    wait_for_charts(page)
    before = {k: _revision(page, k) for k in (READS_THE_SENTENCE, *DOES_NOT)}
    labels = chart_by_key(page, READS_THE_SENTENCE)["traces"][0]["x"]

    set_sentence(page, "Zebras yawn at noon.", wait_for_app)
    wait_for_charts(page)
    assert _revision(page, READS_THE_SENTENCE) == before[READS_THE_SENTENCE] + 1
    assert chart_by_key(page, READS_THE_SENTENCE)["traces"][0]["x"] != labels
    for key in DOES_NOT:
        assert _revision(page, key) == before[key], key
    assert page.locator(EXCEPTION).count() == 0
    assert page.console_errors == []
