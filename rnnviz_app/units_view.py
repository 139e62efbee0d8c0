"""The Units page's wiring: which quantity of which layer, whether the corpus suits the model,
and the sections of its tabs with their cached figures. Select and search (LSTMVis) takes the
span of the sentence, the units on over it, and where else in the corpus they switch on
together, most telling first. It starts on a word of the sentence where a unit is on
(`rnnviz.units.telling_span`) and, when none is, offers the nearest threshold and the units on
over most of the span, with their values (`rnnviz.units.nearest_on`)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz import units as U
from rnnviz.core.trace import symbol
from rnnviz.figures import units as figs
from rnnviz.figures.safe_text import visible_token as visible
from rnnviz.units.heldout_summary import SATURATION_CHARS
from rnnviz_app.loaders import (
    CHAR_LMS,
    get_best_units,
    get_pattern_matches,
    get_saturation,
    missing_models,
)
from rnnviz_app.notes import UNITS as NOTES
from rnnviz_app.whatif_view import whatif_button
from rnnviz_app.widgets import (
    best_unit_picker,
    cache_figure,
    chart_with_note,
    keep_valid,
    layer_picker,
    look_for,
    md,
    preset_pair,
    safe_markdown_html,
    span_slider,
    table,
)

SPAN_KEY, THRESHOLD_KEY = "units.span", "units.threshold"
SPAN_FOR = "units.span_for"        # the (model, quantity, sentence) the span was chosen for
THRESHOLD_GRID = (0.05, -1.0, 1.0)  # the threshold slider's step, lowest and highest value
CORPUS_KEY = "units.corpus"
# The page's five questions, a tab each, built only when open (`widgets.lazy_tabs`): a visit
# and an edit build one section's charts, not five.
KEY_TAB = "units.tab"
INTERPRETABLE_TAB, PAINT_TAB, SEARCH_TAB, COMPARE_TAB, SATURATION_TAB = (
    "Interpretable units", "Painted by one unit", "Select and search", "Two sentences",
    "Gate saturation")
TABS = {INTERPRETABLE_TAB: "interpretable", PAINT_TAB: "paint", SEARCH_TAB: "search",
        COMPARE_TAB: "compare", SATURATION_TAB: "saturation"}
PAINT_CHARS = 600                  # characters of corpus painted at once
UNKNOWN_SHARE = 0.02               # above this share of unknown tokens, the corpus does not suit
_NOT_UNITS = ("x", "z_y", "y_hat")


def layer_quantities(model, layer: int | None) -> tuple[list[str], str]:
    """(the trace keys of layer `layer` of the model, the one read by default). The top layer
    (and a one-layer model: layer None) has the plain keys, layer l below it "key@l"."""
    keys = [k for k in U.trace_keys(model) if k not in _NOT_UNITS]
    top = layer is None or layer == int(model.config.layers)
    mine = [k for k in keys if "@" not in k] if top else [k for k in keys
                                                          if k.endswith(f"@{layer}")]
    default = U.default_quantity(model) + ("" if top else f"@{layer}")
    return mine, default if default in mine else mine[0]


def layer_of(model, quantity: str) -> int | None:
    """The layer (1-based) whose units `quantity` holds; None for a one-layer model."""
    L = int(model.config.layers)
    return None if L == 1 else int(quantity.split("@")[1]) if "@" in quantity else L


def quantity_picker(model, where) -> str:
    """The layer (a stacked model) and the quantity of its units the page reads."""
    with where:
        layer = layer_picker(model, "units.layer")
        keys, default = layer_quantities(model, layer)
        keep_valid("units.quantity", keys, default, init=True)
        return st.selectbox("Quantity", keys, format_func=symbol, key="units.quantity")


def own_text_first(spec) -> None:
    """A model of this session (uploaded, trained here) did not learn from the shipped
    models' held-out text: its Corpus choice starts on the user's own text."""
    if spec.is_session:
        st.session_state.setdefault(CORPUS_KEY, "own")


def corpus_fit(ctx, share: float) -> None:
    """Say when the corpus does not suit the model: a share of its tokens the model does not
    know (`share`, `CorpusFacts.unknown_share`), or the shipped models' held-out text read by
    a model of this session."""
    choice = str(st.session_state.get(CORPUS_KEY, "heldout"))
    if share > UNKNOWN_SHARE:
        st.warning(NOTES["unknown"].format(share=share, unk=ctx.model.unknown_input()))
    elif ctx.spec.is_session and choice.startswith("heldout"):
        st.info(NOTES["session_heldout"])


def _start_span(spec, sentence, quantity: str) -> None:
    """On the first visit, and whenever the model, the quantity or the sentence changes,
    start on a word of the sentence where some unit is on at the threshold shown (a span the
    learner chose stays while they change only the threshold or the search)."""
    reading = (repr(spec), quantity, sentence.text)
    span, T = st.session_state.get(SPAN_KEY), sentence.N
    fits = isinstance(span, (tuple, list)) and len(span) == 2 and 1 <= span[0] <= span[1] <= T
    if fits and st.session_state.get(SPAN_FOR) == reading:
        return
    st.session_state[SPAN_FOR] = reading
    threshold = float(st.session_state.get(THRESHOLD_KEY, U.DEFAULT_THRESHOLD))
    found = U.telling_span(sentence[quantity], threshold, candidates=U.word_spans(sentence))
    if found is not None:
        st.session_state[SPAN_KEY] = found


def _nothing_on(V, start: int, end: int, threshold: float) -> None:
    near = U.nearest_on(V, start, end, threshold, grid=THRESHOLD_GRID)
    text = NOTES["none_on"]
    if near["threshold"] is not None:
        text += NOTES["none_on_nearest"].format(
            threshold=near["threshold"], units=", ".join(
                f"{int(r.unit)} (lowest in the span {r.lowest:+.3f}"
                + ("" if np.isnan(r.outside) else f", highest just outside {r.outside:+.3f}")
                + ")" for r in near["values"].itertuples()))
    if len(near["most"]):
        text += NOTES["none_on_most"].format(units=", ".join(
            f"{int(r.unit)} ({r.fraction:.0%} of the steps, mean {r.mean:+.3f})"
            for r in near["most"].itertuples()))
    st.info(text)
    if near["threshold"] is not None:
        st.button(NOTES["none_on_set"].format(threshold=near["threshold"]),
                  key="units.nearest_threshold", on_click=_set_threshold,
                  args=(near["threshold"],))


def _set_threshold(value: float) -> None:
    st.session_state[THRESHOLD_KEY] = float(value)


def select_and_search(ctx, corpus, corpus_key: str, sentence, quantity: str) -> None:
    """The search tab: select a span of the sentence, search the corpus for its units."""
    _start_span(ctx.spec, sentence, quantity)
    c1, c2 = st.columns([3, 1])
    start, end = span_slider("Span of the sentence (token positions t)", SPAN_KEY, sentence.N,
                             where=c1)
    step, lowest, highest = THRESHOLD_GRID
    threshold = c2.slider("Threshold (on = value ≥ threshold)", lowest, highest,
                          U.DEFAULT_THRESHOLD, step, key=THRESHOLD_KEY)
    labels = [sentence.label(t) for t in range(1, sentence.N + 1)]
    units = U.select_units(sentence, start, end, threshold, quantity)
    safe_markdown_html(figs.selected_html(labels, start, end))
    s = md(symbol(quantity))
    st.markdown(NOTES["selected_title"].format(n=units.size, symbol=s, threshold=threshold,
                                               start=start, end=end) if units.size else
                NOTES["selected_none_title"].format(symbol=s, threshold=threshold,
                                                    start=start, end=end))
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
        return
    st.caption(NOTES["score"])
    left, right = st.columns([3, 2], gap="medium")
    with left:
        safe_markdown_html(figs.matches_html(corpus.text, res, limit=20))
    with right:
        texts = U.matched_texts(corpus, res)
        st.markdown(NOTES["matched_texts"])
        table(texts.assign(text=[visible(t) for t in texts.text]), {"score": "%.2f"},
              height=400)
        look_for(NOTES["search"])


@cache_figure
def _best_fig():
    return figs.best_r_figure(get_best_units())


@cache_figure
def _saturation_fig():
    return figs.saturation_scatter(get_saturation())


# The two sentences are read by the model the page holds (ctx.model), keyed by its identity.
@cache_figure(max_entries=16)
def _comparison(model, text_a, text_b, quantity):
    """`quantity` of the two sentences side by side (`rnnviz.units.compare_texts`)."""
    return U.compare_texts(model, text_a, text_b, quantity)


@cache_figure
def _compare_fig(model, text_a, text_b, quantity):
    return figs.comparison_figure(_comparison(model, text_a, text_b, quantity))


# -- the page's sections (tabs) other than select and search ---------------------------------


def interpretable(ctx, N: int, scores, quantity):
    """The first tab: the best units per feature over the N steps of the corpus."""
    top = U.top_units_table(scores, 3)
    note = NOTES["interpretable"].format(symbol=md(symbol(quantity)), N=N)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        table(top, height=420)
    with right:
        look_for(note)
        constant = U.constant_features(scores)
        if constant:
            st.caption(NOTES["constant"].format(features=", ".join(constant)))
        with st.expander(NOTES["features_title"]):
            st.markdown("\n".join(f"- **{f}**: {U.FEATURE_NOTES.get(f, 'your pattern')}"
                                   for f in dict.fromkeys(top.feature)))
    if missing_models(*CHAR_LMS):
        return
    st.markdown(f"**{NOTES['best_title']}**")
    if ctx.spec.name not in CHAR_LMS:
        st.caption(NOTES["best_yours"])
    best = get_best_units()
    line = best[best.feature == "line_position"]
    parts = ", ".join(f"**{r.model}** unit {int(r.unit)} of {md(symbol(r.quantity))} "
                      f"(r = {r.score:+.2f})" for r in line.itertuples())
    gated = U.gated_beats_rnn(best, CHAR_LMS[0], CHAR_LMS[1:])
    chart_with_note(_best_fig(), key="units.best_r", note=NOTES["finding"].format(parts=parts)
                       + NOTES["finding_gated" if gated else "finding_open"]
                       + NOTES["finding_hover"])


def paint(ctx, corpus, scores, quantity, sentence):
    best = dict(U.top_units(scores)[["feature", "unit"]].itertuples(index=False))
    c1, c2, c3 = st.columns([2, 1, 2])
    unit = best_unit_picker(best, corpus[quantity].shape[0], "units.paint_feature",
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
        safe_markdown_html(figs.painted_text_html(text, spans, values, label=label,
                                                     first_t=start + 1))
        safe_markdown_html(figs.colour_legend_html(vmax, label + (" − 0.5" if gate else "")))
    with right:
        look_for(NOTES["paint"].format(unit=unit, symbol=md(symbol(quantity)),
                                          centre="0.5 (open / closed)" if gate else "0")
                    + (NOTES["paint_strongest"].format(feature=strongest[0], r=strongest[1])
                       if strongest else "") + NOTES["paint_examples"])


def two_sentences(ctx, quantity):
    a, b = preset_pair(U.PRESETS, "units")
    st.markdown(f"**{NOTES['compare_title'].format(symbol=md(symbol(quantity)))}**")
    chart_with_note(_compare_fig(ctx.model, a, b, quantity), key="units.compare",
                       note=NOTES["compare"])
    top = _comparison(ctx.model, a, b, quantity).top.head(8)
    table(top, {"mean_abs_diff": "%.3f"})


def saturation():
    if not missing_models(*CHAR_LMS):
        st.markdown(f"**{md(NOTES['saturation_title'])}**")
        chart_with_note(_saturation_fig(), key="units.saturation",
                           note=NOTES["saturation"].format(n=SATURATION_CHARS))
