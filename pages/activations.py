"""Activations: what every unit of a<t> (and, per architecture, c<t>, c̃<t>, the gates) does
while the network reads the sidebar's sentence."""

import streamlit as st

import rnnviz_app as ui
from rnnviz.core import analysis
from rnnviz.core.trace import split_key
from rnnviz.figures import activations as figs
from rnnviz_app import activations_view
from rnnviz_app.notes import ACTIVATIONS as NOTES
from rnnviz_app.notes import heatmap_note

# Heatmap cells (units × steps × quantities) drawn at most: by default the most active units
# within LIGHT_CELLS (an edit sends ≤ ~100 kB of heatmaps and redraws fast, issue 12); with
# "Show all units" every unit up to MAX_HEATMAP_CELLS (a 256-unit LSTM on 300 characters
# stays under 1.5 MB).
LIGHT_CELLS, MAX_HEATMAP_CELLS = 15_000, 120_000
KEY_QUANTITY, KEY_UNIT, KEY_UNIT_FOR, KEY_ALL = ("activations.quantity", "activations.unit",
                                                 "activations.unit_for", "activations.all_units")
KEY_TAB, KEY_STACK = "activations.heatmap_tab", "activations.stack"


# Figures are built from the model and the reading the page holds (ctx.model, ctx.reading);
# the shared cache keys them by the model's identity and what was read (ui.cache_figure).
def _layer(reading, layer):
    return reading.trace if layer is None else reading.trace.layer(layer)


@ui.cache_figure
def _onehot(model, reading):
    return figs.onehot_figure(reading.trace, model.vocab.itos)


@ui.cache_figure
def _budget(reading, keys, layer=None, cells=LIGHT_CELLS):
    return figs.units_within_budget(_layer(reading, layer), list(keys), cells)


@ui.cache_figure
def _heatmap(reading, key, keys, layer=None, cells=LIGHT_CELLS):
    return figs.heatmap_figure(_layer(reading, layer), key,
                               units=_budget(reading, keys, layer, cells)[key])


@ui.cache_figure
def _saturation(reading, layer=None):
    return figs.saturation_figure(_layer(reading, layer))


def _inputs(ctx, steps) -> None:
    st.header(r"1. The input: tokens and one-hot x\<t\>", anchor="input", divider="gray")
    n_unk = int(steps.unk.sum())
    # The table over the full width (its five columns fit at 1024 px), then x<t> and its note.
    ui.table(figs.tokens_table(steps), height=400)
    st.caption(
        f"T_x = {steps.T_x} steps, vocabulary |V| = n_x = {ctx.model.config.n_x}. "
        + (f"{n_unk} token(s) are not in the vocabulary and read as "
           f"{ui.md(ctx.model.unknown_input())}." if n_unk
           else "Every token is in the vocabulary."))
    ui.chart_with_note(_onehot(ctx.model, ctx.reading), key="activations.onehot",
                       note=NOTES["onehot"].format(unk=ui.md(ctx.model.unknown_input())))


def _heatmaps(ctx, trace, keys, layer=None) -> None:
    st.header("2. Hidden state and gates over time", anchor="heatmaps", divider="gray")
    cells = MAX_HEATMAP_CELLS if st.session_state.get(KEY_ALL) else LIGHT_CELLS
    shown = _budget(ctx.reading, keys, layer, cells)[keys[0]]
    n = trace[keys[0]].shape[0]
    if shown is not None or cells == MAX_HEATMAP_CELLS:
        st.toggle(f"Show all {n} units", key=KEY_ALL, help=NOTES["all_units"])
    if shown is not None:
        st.caption(NOTES["showing"].format(k=len(shown), n=n, s=ui.md(trace.symbol(keys[0]))))
    cfg = ctx.model.config
    st.caption(NOTES["architecture"].format(cfg.cell.upper(), " (bidirectional)"
                                            * cfg.bidirectional, NOTES["arch"][cfg.cell]))
    # One quantity at a time (a tab each, built only when chosen: an edit redraws one chart),
    # or every one stacked, to compare them step by step.
    if len(keys) > 1 and st.toggle("Stack every quantity", key=KEY_STACK, help=NOTES["stack"]):
        for key in keys:
            _heatmap_with_note(ctx, trace, key, keys, layer, cells)
        return
    tab, key = ui.lazy_tabs({ui.md(trace.symbol(k)): k for k in keys}, KEY_TAB)
    with tab:
        _heatmap_with_note(ctx, trace, key, keys, layer, cells)


def _heatmap_with_note(ctx, trace, key, keys, layer, cells) -> None:
    base = split_key(key)[0]
    closed = figs.closed_share(trace, key, ctx.steps.labels) if base == "gamma_f" else None
    ui.chart_with_note(_heatmap(ctx.reading, key, keys, layer, cells),
                       key=f"activations.heatmap.{key}",
                       note=heatmap_note(key, ctx.spec.is_random, closed))


def _one_unit(ctx, trace, steps, keys, layer=None) -> None:
    st.header("3. Read the sentence through one unit", anchor="unit", divider="gray")
    choices = [k for k in keys if trace[k].shape[0] > 0]
    c1, c2 = st.columns([1, 2])
    with c1:
        ui.keep_valid(KEY_QUANTITY, choices, choices[0])
        qkey = st.selectbox("Quantity", choices, format_func=trace.symbol, key=KEY_QUANTITY)
        suggested = analysis.suggest_units(trace, qkey, k=5)
        options = list(range(trace[qkey].shape[0]))
        # A new quantity (or sentence) starts at its own first suggestion.
        if st.session_state.get(KEY_UNIT_FOR) != (qkey, ctx.spec, ctx.text, layer):
            st.session_state[KEY_UNIT_FOR] = (qkey, ctx.spec, ctx.text, layer)
            st.session_state[KEY_UNIT] = suggested[0][0]
        ui.keep_valid(KEY_UNIT, options, suggested[0][0])
        unit = st.selectbox("Unit", options, key=KEY_UNIT,
                            help="The suggested units below change most over this sentence.")
        st.markdown("**Most interesting units** (largest change over the sentence):")
        st.markdown("\n".join(f"- unit **{u}**: {why}" for u, why in suggested))
    with c2:
        painted, legend = figs.unit_text_view(trace, qkey, unit, ctx.text, steps.spans,
                                              steps.labels)
        ui.safe_markdown_html(painted)
        ui.safe_markdown_html(legend)
        gate = split_key(qkey)[0].startswith("gamma")
        ui.look_for(NOTES["unit"].format(unit=unit, symbol=ui.md(trace.symbol(qkey)),
                                         centre="0.5 (open / closed)" if gate else "0"))


def render() -> None:
    ui.ensure_frame()
    st.title("Activations")
    st.caption(NOTES["caption"])
    ctx = ui.page_context()
    steps, trace = ctx.steps, ctx.reading.trace
    ui.nonfinite_warning(trace)
    _inputs(ctx, steps)
    # A stacked model: sections 2, 3 and 5 show the chosen layer (ŷ always reads the top).
    layer = ui.layer_picker(ctx.model, "activations.layer")
    trace = trace if layer is None else trace.layer(layer)
    keys = tuple(figs.heatmap_keys(trace))
    _heatmaps(ctx, trace, keys, layer)
    _one_unit(ctx, trace, steps, keys, layer)

    activations_view.predictions(ctx)
    random = ctx.spec.is_random

    st.header("5. Gate saturation", anchor="saturation", divider="gray")
    ui.chart_with_note(
        _saturation(ctx.reading, layer), key="activations.saturation",
        note=(NOTES["saturation"] + NOTES["saturation_random" if random
                                          else "saturation_trained"]
              if ctx.model.config.cell != "rnn" else NOTES["saturation_rnn"]))

    st.header("6. Download the trace", anchor="download", divider="gray")
    ui.download_trace(ctx.spec, ctx.text, key="activations.download")


render()
