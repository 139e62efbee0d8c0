"""Activations: what every unit of a<t> (and, per architecture, c<t>, c̃<t>, the gates) does
while the network reads the sidebar's sentence."""

import numpy as np
import pandas as pd
import streamlit as st

import rnnviz_app as ui
from rnnviz.core.trace import split_key
from rnnviz.figures import activations as figs
from rnnviz.figures.common import visible_token
from rnnviz_app.widgets import md

# Above this many heatmap cells (units × steps × quantities) only the most active units are
# drawn: keeps the page's payload well under 1.5 MB for a 128-unit LSTM on 300 characters.
MAX_HEATMAP_CELLS = 120_000

NOTES = {
    "a": "Each column is the hidden state **a\\<t\\>** just after reading the token under it; "
         "each row is one unit. Rows that change colour at spaces or punctuation react to word "
         "boundaries; rows that keep one colour over a stretch carry memory across steps.",
    "c": "The LSTM's memory cell **c\\<t\\>** is not squashed by tanh: it can grow past ±1 "
         "while Γf ≈ 1 keeps it and Γu keeps adding. Long horizontal bands are memory kept "
         "over many steps.",
    "c_tilde": "**c̃\\<t\\>** is the candidate the cell could write at step t, computed from "
               "a\\<t-1\\> and x\\<t\\>. It changes with almost every character: whether it is "
               "actually written is up to Γu.",
    "gamma_f": "**Γf** near 1 (yellow) keeps c\\<t-1\\>; near 0 (dark) erases it. Columns where "
               "many units go dark at once are where the model resets its memory (often after "
               "a space or a full stop).",
    "gamma_u": "**Γu** decides how much of c̃\\<t\\> is written into c\\<t\\>. In a GRU, Γu ≈ 0 "
               "copies c\\<t-1\\> unchanged: that is how a GRU keeps memory, and gradients, "
               "over long spans.",
    "gamma_o": "**Γo** decides how much of tanh(c\\<t\\>) is shown as a\\<t\\>. A unit can hold "
               "something in c\\<t\\> and keep it hidden (Γo ≈ 0) until it is needed.",
    "gamma_r": "**Γr** (relevance) decides how much of c\\<t-1\\> enters the candidate "
               "c̃\\<t\\>. Γr ≈ 0 lets the unit compute a fresh candidate that ignores the past.",
}
DIRECTION_NOTE = {
    "fwd": " This is the **forward** direction (→): it has read x\\<1\\>…x\\<t\\>.",
    "bwd": " This is the **backward** direction (←): it has read x\\<T_x\\>…x\\<t\\>, right "
           "to left.",
}


@st.cache_data(max_entries=8, show_spinner=False)
def _csv(spec: ui.ModelSpec, text: str) -> bytes:
    return ui.get_trace(spec, text).to_dataframe().to_csv(index=False).encode("utf-8")


@ui.cache_figure
def _onehot(spec, text):
    return figs.onehot_figure(ui.get_trace(spec, text), ui.get_model(spec).vocab.itos)


@ui.cache_figure
def _heatmap(spec, text, key, units):
    units = None if units is None else np.array(units)
    return figs.heatmap_figure(ui.get_trace(spec, text), key, units=units)


@ui.cache_figure
def _top_k(spec, text, title):
    return figs.top_k_figure(ui.get_trace(spec, text), ui.get_model(spec).output_labels,
                             targets=ui.get_steps(spec, text).targets, k=5, title=title)


@ui.cache_figure
def _saturation(spec, text):
    return figs.saturation_figure(ui.get_trace(spec, text))


@st.cache_resource(max_entries=64, show_spinner=False)
def _ranked_units(spec, text, key, k):
    return figs.suggest_units(ui.get_trace(spec, text), key, k=k)


st.title("Activations")
st.caption(
    "The network reads the sidebar's sentence one token at a time. Every chart below is "
    "one quantity of the course notes over units × time steps t = 1…T_x; hover for values."
)
ctx = ui.page_context()
spec, loaded, steps = ctx.spec, ctx.model, ctx.steps
trace = ui.get_trace(spec, ctx.text)
cfg = loaded.config
ui.nonfinite_warning(trace)

# -- 1. the input ------------------------------------------------------------------------------
st.header(r"1. The input: tokens and one-hot x\<t\>", anchor="input", divider="gray")
n_unk = int(steps.unk.sum())
c1, c2 = st.columns([2, 3], gap="medium")
with c1:
    table = pd.DataFrame({
        "t": np.arange(1, steps.T_x + 1),
        "token": [visible_token(s) for s in steps.labels],
        "index in V": steps.ids,
        "in vocabulary": np.where(steps.unk, "<UNK>", "yes"),
        "target y<t>": [visible_token(s) if s else "" for s in steps.target_labels],
    })
    st.dataframe(table, hide_index=True, height=min(400, 38 + 35 * steps.T_x),
                 key="activations.tokens")
    st.caption(
        f"T_x = {steps.T_x} steps, vocabulary |V| = n_x = {cfg.n_x}. "
        + (f"{n_unk} token(s) are not in the vocabulary and read as <UNK> (index 0)."
           if n_unk else "Every token is in the vocabulary.")
    )
with c2:
    ui.chart(_onehot(spec, ctx.text), key="activations.onehot")
    ui.look_for(
        "x\\<t\\> is a column of n_x zeros with a single 1 at the token's index in the "
        "vocabulary (the course's one-hot encoding). Only the rows this sentence uses are "
        "drawn. A token the vocabulary does not know lights up row 0, **\\<UNK\\>**: every "
        "unknown character looks the same to the network."
    )

# -- 2. heatmaps -----------------------------------------------------------------------------
st.header("2. Hidden state and gates over time", anchor="heatmaps", divider="gray")
keys = figs.heatmap_keys(trace)
n_units = trace[keys[0]].shape[0]
units = None
cells = sum(trace[k].shape[0] for k in keys) * steps.T_x
if cells > MAX_HEATMAP_CELLS:
    keep = max(8, int(MAX_HEATMAP_CELLS / (len(keys) * steps.T_x)))
    ranked = [u for u, _ in _ranked_units(spec, ctx.text, keys[0], keep)]
    units = np.sort(np.array(ranked))
    st.caption(f"Showing {len(units)} of {n_units} units per chart (the ones whose "
               f"{md(trace.symbol(keys[0]))} varies most), to keep the page light.")
arch = {"rnn": r"an RNN has only a\<t\>",
        "gru": r"a GRU adds Γu, Γr and c̃\<t\> (its c\<t\> is a\<t\>)",
        "lstm": r"an LSTM adds c\<t\>, c̃\<t\> and the gates Γf, Γu, Γo"}[cfg.cell]
st.caption(f"Architecture: {cfg.cell.upper()}" + (" (bidirectional)" if cfg.bidirectional
                                                    else "") + f" — {arch}.")
for key in keys:
    base, direction = split_key(key)
    note = NOTES.get(base, "") + (DIRECTION_NOTE[direction] if direction else "")
    if base == "a":
        note += (" With random weights, expect a pattern that mostly follows the current "
                 "character." if spec.is_random else
                 " This model is trained: look for units that stay on through a word, or "
                 "flip at every space.")
    key_units = units
    if units is not None and trace[key].shape[0] != n_units:
        key_units = None if trace[key].shape[0] <= 16 else units[units < trace[key].shape[0]]
    key_units = None if key_units is None else tuple(int(u) for u in key_units)
    ui.chart_with_note(_heatmap(spec, ctx.text, key, key_units),
                       key=f"activations.heatmap.{key}", note=note)

# -- 3. one unit, Karpathy-style -------------------------------------------------------------
st.header("3. Read the sentence through one unit", anchor="unit", divider="gray")
choices = [k for k in keys if trace[k].shape[0] > 0]
c1, c2 = st.columns([1, 2])
with c1:
    ui.keep_valid("activations.quantity", choices, choices[0])
    qkey = st.selectbox("Quantity", choices, format_func=trace.symbol,
                        key="activations.quantity")
    n_q = trace[qkey].shape[0]
    suggested = _ranked_units(spec, ctx.text, qkey, 5)
    options = list(range(n_q))
    ui.keep_valid("activations.unit", options, suggested[0][0])
    st.session_state.setdefault("activations.unit", suggested[0][0])
    unit = st.selectbox("Unit", options, key="activations.unit",
                        help="The suggested units below change most over this sentence.")
    st.markdown("**Most interesting units** (largest change over the sentence):")
    st.markdown("\n".join(f"- unit **{u}**: {why}" for u, why in suggested))
with c2:
    values = np.asarray(trace[qkey][unit, 0, :], dtype=np.float64)
    sym_text = trace.symbol(qkey)
    gate = split_key(qkey)[0].startswith("gamma")
    # Gates live in [0, 1]: colour by the distance from 0.5 (red = open, blue = closed).
    centred = values - 0.5 if gate else values
    finite = np.abs(centred[np.isfinite(centred)])
    vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    ui.safe_markdown_html(figs.unit_text_html(
        ctx.text, steps.spans, centred, symbol_text=sym_text + (" − 0.5" if gate else ""),
        unit=unit, labels=list(steps.labels), vmax=vmax))
    ui.safe_markdown_html(figs.colour_legend_html(vmax, sym_text + (" − 0.5" if gate else "")))
    ui.look_for(
        f"Each token's background is unit {unit}'s {md(sym_text)} right after reading it: "
        "red above, blue below " + ("0.5 (open / closed)" if gate else "0") + ", scaled to "
        "this unit's largest value so that even a quiet unit shows its pattern. Hover a token "
        "for the exact value. In trained character models (Karpathy et al., 2015) a few units "
        "track quotes, line length or the inside of brackets; most are harder to read."
    )

# -- 4. predictions --------------------------------------------------------------------------
st.header("4. What the model predicts next", anchor="predictions", divider="gray")
what = {"char_lm": "next character", "tagger": "tag of this word",
        "classifier": "class of the sentence so far"}[loaded.kind]
ui.chart_with_note(
    _top_k(spec, ctx.text, f"Top-5 of ŷ&lt;t&gt;: the {what}, at each step"),
    key="activations.topk",
    note=("Column t lists the 5 most likely values of ŷ\\<t\\> after reading x\\<1\\>…x\\<t\\>; "
          "darker = more probable (� is \\<UNK\\>, ⊣ is \\<EOS\\>, the end of the text). An "
          "orange square marks the true next token when it is among the five. "
          + ("A trained char LM is confident inside words and unsure after a space or at the "
             "start of a word." if not spec.is_random else
             "Random weights give flat, near-uniform guesses (about 1/n_y each).")
          if loaded.kind == "char_lm" else
          "Column t lists the 5 most likely classes of ŷ\\<t\\>. " + steps.target_note),
)

# -- 5. saturation ---------------------------------------------------------------------------
st.header("5. Gate saturation", anchor="saturation", divider="gray")
ui.chart_with_note(
    _saturation(spec, ctx.text), key="activations.saturation",
    note=("One dot per unit. Right: the gate is mostly closed (< 0.1); top: mostly open "
          "(> 0.9); on the dotted diagonal it is always one or the other, never in between. "
          + ("In trained models (Karpathy et al., 2015) some gates stay open (> 0.9) for long "
             "stretches: high dots on the Γf panel are units that remember. Dots far right are "
             "gates that are almost always closed."
             if not spec.is_random else
             "Random weights sit near the origin: no gate has learned to open or close yet.")
          if cfg.cell != "rnn" else
          "An RNN has no gates; this shows how often tanh saturates near ±1, where its "
          "derivative (1 − a²) is almost 0 and the gradient through that unit vanishes."),
)

# -- 6. download -----------------------------------------------------------------------------
st.header("6. Download the trace", anchor="download", divider="gray")
text = ctx.text
st.download_button(
    "Download every quantity as CSV (t, token, unit, quantity, symbol, value)",
    data=lambda: _csv(spec, text), file_name="rnnviz-trace.csv", mime="text/csv",
    on_click="ignore", key="activations.download",
)
st.caption(r"One row per (t, unit, quantity): x\<t\>, every gate and pre-activation, "
           r"c\<t\>, a\<t\> and ŷ\<t\>, with t counted from 1 as in the course notes.")
