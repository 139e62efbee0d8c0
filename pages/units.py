"""Units: what does unit k do? Interpretable units over a corpus (Karpathy et al., 2015), the
text painted by one unit, select-and-search (LSTMVis), two sentences side by side, gate
saturation: a tab each, only the open one built (`units_view.TABS`)."""

import numpy as np
import streamlit as st

import rnnviz_app as ui
from rnnviz import units as U
from rnnviz.core.trace import symbol
from rnnviz.figures import units as figs
from rnnviz.units.heldout_summary import SATURATION_CHARS
from rnnviz_app.loaders import CHAR_LMS
from rnnviz_app.notes import UNITS as NOTES
from rnnviz_app.units_view import (
    KEY_TAB,
    TABS,
    corpus_fit,
    layer_of,
    own_text_first,
    quantity_picker,
    select_and_search,
)
from rnnviz_app.whatif_view import whatif_button

PAINT_CHARS = 600                  # characters of corpus painted at once


@ui.cache_figure
def _best_fig():
    return figs.best_r_figure(ui.get_best_units())


@ui.cache_figure
def _saturation_fig():
    return figs.saturation_scatter(ui.get_saturation())


# The two sentences are read by the model the page holds (ctx.model), keyed by its identity.
@ui.cache_figure(max_entries=16)
def _comparison(model, text_a, text_b, quantity):
    """`quantity` of the two sentences side by side (`rnnviz.units.compare_texts`)."""
    return U.compare_texts(model, text_a, text_b, quantity)


@ui.cache_figure
def _compare_fig(model, text_a, text_b, quantity):
    return figs.comparison_figure(_comparison(model, text_a, text_b, quantity))


def _interpretable(ctx, corpus, scores, quantity):
    top = U.top_units_table(scores, 3)
    note = NOTES["interpretable"].format(symbol=ui.md(symbol(quantity)), N=corpus.N)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        ui.table(top, height=420)
    with right:
        ui.look_for(note)
        constant = U.constant_features(scores)
        if constant:
            st.caption(NOTES["constant"].format(features=", ".join(constant)))
        with st.expander(NOTES["features_title"]):
            st.markdown("\n".join(f"- **{f}**: {U.FEATURE_NOTES.get(f, 'your pattern')}"
                                   for f in dict.fromkeys(top.feature)))
    if ui.missing_models(*CHAR_LMS):
        return
    st.markdown(f"**{NOTES['best_title']}**")
    if ctx.spec.name not in CHAR_LMS:
        st.caption(NOTES["best_yours"])
    best = ui.get_best_units()
    line = best[best.feature == "line_position"]
    parts = ", ".join(f"**{r.model}** unit {int(r.unit)} of {ui.md(symbol(r.quantity))} "
                      f"(r = {r.score:+.2f})" for r in line.itertuples())
    gated = U.gated_beats_rnn(best, CHAR_LMS[0], CHAR_LMS[1:])
    ui.chart_with_note(_best_fig(), key="units.best_r", note=NOTES["finding"].format(parts=parts)
                       + NOTES["finding_gated" if gated else "finding_open"]
                       + NOTES["finding_hover"])


def _paint(ctx, corpus, scores, quantity, sentence):
    best = dict(U.top_units(scores)[["feature", "unit"]].itertuples(index=False))
    c1, c2, c3 = st.columns([2, 1, 2])
    unit = ui.best_unit_picker(best, corpus[quantity].shape[0], "units.paint_feature",
                               "units.unit", (c1, c2))
    whatif_button(unit, "units.whatif", layer=layer_of(ctx.model, quantity))
    over = c3.radio("Paint", ["sentence", "corpus"], key="units.paint_over", horizontal=True,
                    format_func=NOTES["paint_over"].get)
    label, gate = f"{symbol(quantity)}[{unit}]", quantity.startswith("gamma")
    if over == "corpus" and corpus.N > 1:
        start = st.slider("Start of the stretch (step)", 1, max(1, corpus.N - 1), 1,
                          key="units.paint_at") - 1
        text, spans, values = U.corpus_window(corpus, quantity, unit, start, PAINT_CHARS)
    else:
        start, text, spans, values = 0, ctx.text, sentence.spans, sentence[quantity][unit]
    values = values - (0.5 if gate else 0.0)       # gates: red = open (> 0.5), blue = closed
    vmax = float(np.abs(values[np.isfinite(values)]).max(initial=0.0)) or 1.0   # legend scale
    strongest = U.strongest_feature(scores, unit)
    left, right = st.columns([3, 1], gap="medium")
    with left:
        ui.safe_markdown_html(figs.painted_text_html(text, spans, values, label=label,
                                                     first_t=start + 1))
        ui.safe_markdown_html(figs.colour_legend_html(vmax, label + (" − 0.5" if gate else "")))
    with right:
        ui.look_for(NOTES["paint"].format(unit=unit, symbol=ui.md(symbol(quantity)),
                                          centre="0.5 (open / closed)" if gate else "0")
                    + (NOTES["paint_strongest"].format(feature=strongest[0], r=strongest[1])
                       if strongest else "") + NOTES["paint_examples"])


def _two_sentences(ctx, quantity):
    a, b = ui.preset_pair(U.PRESETS, "units")
    st.markdown(f"**{NOTES['compare_title'].format(symbol=ui.md(symbol(quantity)))}**")
    ui.chart_with_note(_compare_fig(ctx.model, a, b, quantity), key="units.compare",
                       note=NOTES["compare"])
    top = _comparison(ctx.model, a, b, quantity).top.head(8)
    ui.table(top, {"mean_abs_diff": "%.3f"})


def _saturation():
    if not ui.missing_models(*CHAR_LMS):
        st.markdown(f"**{ui.md(NOTES['saturation_title'])}**")
        ui.chart_with_note(_saturation_fig(), key="units.saturation",
                           note=NOTES["saturation"].format(n=SATURATION_CHARS))


def render():
    ui.ensure_frame()
    st.title("Units: what does unit k do?")
    st.caption(NOTES["caption"])
    ctx = ui.page_context()
    c1, c2 = st.columns([1, 3])
    quantity = quantity_picker(ctx.model, c1)
    own_text_first(ctx.spec)
    with c2:
        name, corpus_key, text = ui.corpus_picker("units.corpus", ctx.model.kind, ctx.text)
    try:
        with st.spinner(f"Reading {name} ({len(text):,} characters)…"):
            corpus = ui.get_corpus_trace(ctx.spec, corpus_key, quantity, text)
    except ValueError as e:
        st.error(f"This corpus cannot be read: {e}")
        st.stop()
    st.caption(f"Corpus: {name}, {corpus.N:,} steps" + NOTES["method"].get(corpus.method, "")
               .format(streams=corpus.streams, warmup=corpus.warmup) + ".")
    corpus_fit(ctx, corpus)
    regex = st.text_input("Custom feature: a regular expression (tokens inside a match = 1)",
                          key="units.regex", max_chars=200)
    try:
        scores = ui.get_unit_scores(ctx.spec, corpus_key, quantity, regex or "", text)
    except ValueError as e:
        st.error(str(e))
        scores = ui.get_unit_scores(ctx.spec, corpus_key, quantity, "", text)
    tab, section = ui.lazy_tabs(TABS, KEY_TAB)
    with tab:
        if section == "interpretable":
            _interpretable(ctx, corpus, scores, quantity)
        elif section == "paint":
            _paint(ctx, corpus, scores, quantity,
                   ui.get_sentence_trace(ctx.spec, ctx.text, quantity))
        elif section == "search":
            select_and_search(ctx, corpus, corpus_key,
                              ui.get_sentence_trace(ctx.spec, ctx.text, quantity), quantity)
        elif section == "compare":
            _two_sentences(ctx, "a" if "@" not in quantity else "a@" + quantity.split("@")[1])
        else:
            _saturation()


render()
