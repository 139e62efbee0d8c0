"""Bidirectional context: a→<t> and a←<t> side by side, the order of the two sweeps, and why
a tagger that reads the whole sentence can tell "Teddy Roosevelt" from "Teddy bears"."""

import numpy as np
import pandas as pd
import streamlit as st

import rnnviz_app as ui
from rnnviz.core.analysis import sensitivity_matrix
from rnnviz.figures import bidirectional as figs

UNI, BI = "ner-lstm", "ner-bilstm"
LABELS = {UNI: "ner-lstm (unidirectional)", BI: "ner-bilstm (bidirectional)"}
DEFAULTS = {
    "bidirectional.sentence_a": "He said, Teddy Roosevelt was a great president.",
    "bidirectional.sentence_b": "He said, Teddy bears are on sale.",
}
SOURCES = {"a": "Sentence A", "b": "Sentence B", "sidebar": "The sidebar's sentence"}
SCALES = {"log": "log10", "row": "each row ÷ its max", "raw": "raw"}


@st.cache_data(max_entries=128, show_spinner=False)
def tag(name: str, text: str) -> tuple[list[str], np.ndarray]:
    """(words, P(name) per word) of a shipped tagger."""
    pairs = ui.load_shipped(name).tag(text)
    return [w for w, _ in pairs], np.array([p for _, p in pairs], dtype=np.float64)


@st.cache_data(max_entries=64, show_spinner=False)
def directions(text: str) -> dict:
    """a→<t>, a←<t> of the bidirectional tagger and the split of its 'name' score."""
    p = ui.load_shipped(BI)
    trace = p.trace(text)
    a_fwd, a_bwd = trace["a_fwd"][:, 0, :], trace["a_bwd"][:, 0, :]
    split = figs.direction_split(p.model.params["Wy"], p.model.params["by"], a_fwd, a_bwd,
                                 cls=1)
    return {"tokens": list(trace.tokens), "a_fwd": a_fwd.astype(np.float32),
            "a_bwd": a_bwd.astype(np.float32), "split": split,
            "p_name": trace["y_hat"][1, 0, :].astype(np.float64)}


@st.cache_data(max_entries=64, show_spinner=False)
def sensitivity(name: str, text: str) -> tuple[list[str], np.ndarray]:
    """(tokens, S) with S[t, t'] = ||∂ŷ<t>/∂x<t'>|| for a shipped tagger."""
    p = ui.load_shipped(name)
    x, tokens = p.encode(text)
    with np.errstate(all="ignore"):
        S = sensitivity_matrix(p.model, x)
    return [t.text for t in tokens], S.astype(np.float32)


# Figures are cached on small keys and shared by every session: st.plotly_chart only copies
# a figure, and building one (Plotly copies every label and arrow) is the costly part.
@st.cache_resource(max_entries=128, show_spinner=False)
def tagger_figure(text: str, side: str):
    words, p_uni = tag(UNI, text)
    _, p_bi = tag(BI, text)
    return figs.fig_tagger_probs(words, {LABELS[UNI]: p_uni, LABELS[BI]: p_bi},
                                 title=f"Sentence {side}: P(name) per word")


@st.cache_resource(max_entries=64, show_spinner=False)
def directions_figure(text: str):
    d = directions(text)
    return figs.fig_directions(d["a_fwd"], d["a_bwd"], d["tokens"], d["split"], d["p_name"])


@st.cache_resource(max_entries=64, show_spinner=False)
def sweep_figure(tokens: tuple[str, ...]):
    return figs.fig_sweep_order(list(tokens))


@st.cache_resource(max_entries=128, show_spinner=False)
def sensitivity_figure(text: str, scale: str):
    toks, S_uni = sensitivity(UNI, text)
    _, S_bi = sensitivity(BI, text)
    return figs.fig_sensitivity({LABELS[UNI]: S_uni, LABELS[BI]: S_bi}, toks, scale=scale)


st.title("Bidirectional context")
st.caption(
    "A bidirectional RNN runs two RNNs with their own parameters: a→\\<t\\> reads the "
    "sentence left to right, a←\\<t\\> right to left, and every prediction sees both "
    "(course notes, \"Bidirectional RNN\"):"
)
st.latex(r"\hat{y}^{\langle t \rangle} = g\big(W_y\,[\,\overrightarrow{a}^{\langle t \rangle},"
         r"\ \overleftarrow{a}^{\langle t \rangle}\,] + b_y\big)")

# -- 1. Two sentences, two taggers -------------------------------------------------------------
st.header("Is “Teddy” a name? Ask both taggers")
st.markdown(
    "Two word-level name taggers were trained on the same sentences: **ner-lstm** reads left "
    "to right only, **ner-bilstm** reads both ways. Both output P(name) = ŷ\\<t\\> for every "
    "word. Edit either sentence."
)
texts = {}
col_a, col_b = st.columns(2, gap="large")
for side, col in (("a", col_a), ("b", col_b)):
    with col:
        key = f"bidirectional.sentence_{side}"
        texts[side] = ui.text_box(f"Sentence {side.upper()}", key, DEFAULTS[key])
have_taggers = not ui.missing_models(UNI, BI)
results = {}
if have_taggers:
    for side, col in (("a", col_a), ("b", col_b)):
        with col:
            if not texts[side].strip():
                st.info("Type a sentence to tag (for example one with a name in it).")
                continue
            words, p_uni = tag(UNI, texts[side])
            _, p_bi = tag(BI, texts[side])
            if not words:
                st.info("No words found in this text: type some words.")
                continue
            results[side] = (words, p_uni, p_bi)
            ui.chart(tagger_figure(texts[side], side.upper()),
                     key=f"bidirectional.tagger_chart_{side}")

    if len(results) == 2:
        wa, wb = results["a"][0], results["b"][0]
        shared = 0
        while shared < min(len(wa), len(wb)) and wa[shared] == wb[shared]:
            shared += 1
        left, right = st.columns([3, 2], gap="large")
        with left:
            if shared:
                t = shared - 1
                rows = []
                for name, k in ((UNI, 1), (BI, 2)):
                    pa, pb = results["a"][k][t], results["b"][k][t]
                    rows.append({"model": LABELS[name], "P(name) in A": pa, "P(name) in B": pb,
                                 "|difference|": abs(pa - pb)})
                st.markdown(f"**The last word the two sentences share** (word {shared}):")
                st.code(wa[t], language=None)
                st.dataframe(pd.DataFrame(rows), hide_index=True,
                             column_config={c: st.column_config.NumberColumn(format="%.4f")
                                            for c in ("P(name) in A", "P(name) in B",
                                                      "|difference|")})
            else:
                st.caption("The two sentences start with different words, so there is no "
                           "shared beginning to compare.")
        with right:
            ui.look_for(
                "Up to the last shared word the two sentences are identical, so the "
                "**unidirectional** tagger has read exactly the same x\\<1\\>…x\\<t\\>: its "
                "a→\\<t\\> and its P(name) are *the same number* in both sentences (difference "
                "0). It has to guess before it sees *Roosevelt* or *bears*. The "
                "**bidirectional** tagger's a←\\<t\\> has already read the rest of the "
                "sentence, so its answers differ — and are right."
            )

# -- 2. a→ and a← per token --------------------------------------------------------------------
st.header("a→\\<t\\> and a←\\<t\\>, token by token")
source = st.radio("Sentence for the charts below", list(SOURCES), key="bidirectional.detail_source",
                  format_func=SOURCES.__getitem__, horizontal=True, persist_state="session")
if source == "sidebar":
    detail, raw_len = ui.current_text()
    if raw_len > ui.MAX_CHARS:
        st.warning(f"{raw_len:,} characters: only the first {ui.MAX_CHARS} are read.")
else:
    detail = texts[source]

if not detail.strip():
    st.info("The chosen sentence is empty: type one above (or in the sidebar).")
elif not ui.missing_models(BI):
    d = directions(detail) if ui.load_shipped(BI).encode(detail)[0].shape[2] else None
    if d is None:
        st.info("No words found in this text: type some words.")
    else:
        ui.chart_with_note(
            directions_figure(detail),
            key="bidirectional.directions",
            note="Columns are aligned per word: column t of the top map is a→\\<t\\> (it has "
                 "read the words up to t), of the middle one a←\\<t\\> (the words from t to "
                 "the end). ŷ\\<t\\> reads their concatenation [a→\\<t\\>, a←\\<t\\>]. The "
                 "bottom chart splits the 'name' log-odds of ŷ\\<t\\> exactly into what W_y "
                 "takes from each half: at *Teddy*, the green bar (a←) is what tells the two "
                 "sentences apart; at *Roosevelt*, both halves usually agree.",
        )

        # -- 3. The order of the two sweeps ------------------------------------------------
        st.header("In which order is everything computed?")
        ui.chart_with_note(
            sweep_figure(tuple(d["tokens"])),
            key="bidirectional.sweep",
            note="Press **▶ Play** (the animation runs in your browser). The forward sweep "
                 "computes a→\\<1\\>, a→\\<2\\>, … in order (1)…(T_x); then the backward sweep "
                 "starts at the end, a←\\<T_x\\>, and runs back to a←\\<1\\>. The number in a "
                 "cell is when it was computed. No ŷ\\<t\\> can be produced before both "
                 "sweeps have passed t, so a bidirectional RNN needs the **whole** sequence "
                 "first: fine for tagging a written sentence, not for live speech.",
        )

# -- 4. Sensitivity ----------------------------------------------------------------------------
@st.fragment
def sensitivity_section(detail: str) -> None:
    """The colour-scale radio reruns only this fragment."""
    st.header("Which inputs can change ŷ\\<t\\>?  ‖∂ŷ\\<t\\>/∂x\\<t'\\>‖")
    if not detail.strip():
        st.info("The chosen sentence is empty: type one above (or in the sidebar).")
        return
    if ui.missing_models(UNI, BI):
        return
    toks, S_uni = sensitivity(UNI, detail)
    _, S_bi = sensitivity(BI, detail)
    if not toks:
        st.info("No words found in this text: type some words.")
        return
    scale = st.radio("Colour scale", figs.SENSITIVITY_SCALES, key="bidirectional.sensitivity_scale",
                     format_func=SCALES.__getitem__, horizontal=True, persist_state="session",
                     help="A confident softmax squashes every gradient, so the norms span many "
                          "orders of magnitude: the log scale shows them all.")
    if not (np.isfinite(S_uni).all() and np.isfinite(S_bi).all()):
        st.warning("Some gradients overflowed to inf/NaN; they are drawn as 0.")
    ui.chart_with_note(
        sensitivity_figure(detail, scale),
        key="bidirectional.sensitivity",
        note="Row t, column t' is how strongly the prediction ŷ\\<t\\> reacts to a change "
             "of the input word x\\<t'\\> (the norm of the Jacobian, computed exactly by "
             "back-propagating every output). For the **unidirectional** tagger everything "
             "right of the diagonal is exactly 0 (white on the log scale): ŷ\\<t\\> cannot "
             "depend on words it has not read. The **bidirectional** tagger fills the whole "
             "matrix: in the row of *Teddy*, the word after it counts about as much as "
             "*Teddy* itself.",
    )
    c1, c2 = st.columns(2)
    c1.metric("Unidirectional: largest entry right of the diagonal",
              f"{float(np.triu(S_uni, k=1).max()) if S_uni.size else 0.0:.3g}")
    c2.metric("Bidirectional: largest entry right of the diagonal",
              f"{float(np.triu(S_bi, k=1).max()) if S_bi.size else 0.0:.3g}")


sensitivity_section(detail)
