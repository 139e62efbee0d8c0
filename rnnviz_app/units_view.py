"""Section 3 of the Units page, select and search (LSTMVis): the span of the sentence, the
units on over it, and where else in the corpus they switch on together. It starts on a span
where a unit is on (`rnnviz.units.telling_span`) and, when none is, offers the nearest
threshold and the units on over most of the span (`rnnviz.units.nearest_on`)."""

from __future__ import annotations

import streamlit as st

from rnnviz import units as U
from rnnviz.core.trace import symbol
from rnnviz.figures import units as figs
from rnnviz_app.loaders import get_pattern_matches
from rnnviz_app.notes import UNITS as NOTES
from rnnviz_app.widgets import (
    chart_with_note,
    keep_valid,
    look_for,
    md,
    safe_markdown_html,
    span_slider,
)

SPAN_KEY, THRESHOLD_KEY = "units.span", "units.threshold"


def _start_span(sentence, quantity: str) -> None:
    """On the first visit (or when the span no longer fits the sentence), start on a span
    where some unit is on at the threshold shown."""
    span, T = st.session_state.get(SPAN_KEY), sentence.N
    if isinstance(span, (tuple, list)) and len(span) == 2 and 1 <= span[0] <= span[1] <= T:
        return
    threshold = float(st.session_state.get(THRESHOLD_KEY, U.DEFAULT_THRESHOLD))
    found = U.telling_span(sentence[quantity], threshold)
    if found is not None:
        st.session_state[SPAN_KEY] = found


def _nothing_on(V, start: int, end: int, threshold: float) -> None:
    near = U.nearest_on(V, start, end, threshold)
    text = NOTES["none_on"]
    if near["threshold"] is not None:
        text += NOTES["none_on_nearest"].format(
            threshold=near["threshold"], units=", ".join(str(int(u)) for u in near["units"]))
    if len(near["most"]):
        text += NOTES["none_on_most"].format(units=", ".join(
            f"{int(r.unit)} ({r.fraction:.0%})" for r in near["most"].itertuples()))
    st.info(text)


def select_and_search(ctx, corpus, corpus_key: str, sentence, quantity: str) -> None:
    """Section 3: select a span of the sentence, search the corpus for its units."""
    st.header("3. Select and search", anchor="search", divider="gray")
    _start_span(sentence, quantity)
    c1, c2 = st.columns([3, 1])
    start, end = span_slider("Span of the sentence (token positions t)", SPAN_KEY, sentence.N,
                             where=c1)
    threshold = c2.slider("Threshold (on = value ≥ threshold)", -1.0, 1.0,
                          U.DEFAULT_THRESHOLD, 0.05, key=THRESHOLD_KEY)
    labels = [sentence.label(t) for t in range(1, sentence.N + 1)]
    units = U.select_units(ctx.model, sentence, start, end, threshold, quantity)
    safe_markdown_html(figs.selected_html(labels, start, end))
    chart_with_note(figs.units_over_time_figure(sentence[quantity], labels, units, start, end,
                                                threshold, quantity), key="units.selected",
                    note=NOTES["selected"].format(symbol=md(symbol(quantity))))
    if units.size == 0:
        _nothing_on(sentence[quantity], start, end, threshold)
        return
    options = [int(u) for u in units]
    keep_valid("units.search_units", options, options, init=True)
    c1, c2 = st.columns([2, 2])
    chosen = c1.multiselect("Search for these units", options, key="units.search_units")
    ends = c2.radio("A match ends where", ["any", "all"], key="units.ends",
                    format_func=NOTES["ends"].get, horizontal=True)
    if not chosen:
        st.info(NOTES["pick_one"])
        return
    res = get_pattern_matches(ctx.spec, corpus_key, quantity, tuple(int(u) for u in chosen),
                              float(threshold), ends, corpus.text)
    st.markdown(NOTES["matches"].format(n=len(res), units=len(chosen), N=corpus.N))
    if len(res) == 0:
        st.info(NOTES["no_match"])
    else:
        safe_markdown_html(figs.matches_html(corpus.text, res, limit=20))
    look_for(NOTES["search"])
