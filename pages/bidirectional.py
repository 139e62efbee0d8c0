"""Bidirectional context: a→<t> and a←<t> side by side, the order of the two sweeps, and why
a tagger that reads the whole sentence can tell "Teddy Roosevelt" from "Teddy bears"."""

import numpy as np
import pandas as pd
import streamlit as st

import rnnviz_app as ui
from rnnviz.core import analysis
from rnnviz.figures import bidirectional as figs
from rnnviz_app.notes import BIDIRECTIONAL as NOTES

UNI, BI = "ner-lstm", "ner-bilstm"
LABELS = {UNI: "ner-lstm (unidirectional)", BI: "ner-bilstm (bidirectional)"}
DEFAULTS = {
    "bidirectional.sentence_a": "He said, Teddy Roosevelt was a great president.",
    "bidirectional.sentence_b": "He said, Teddy bears are on sale.",
}
SOURCES = {"a": "Sentence A", "b": "Sentence B", "sidebar": "The sidebar's sentence"}
SCALES = {"log": "log10", "row": "each row ÷ its max", "raw": "raw"}


def reading(name: str, text: str):
    """The shipped tagger `name` reading `text` (cached), or None without any word."""
    try:
        return ui.get_reading(ui.ModelSpec(name), text)
    except ValueError:
        return None


def tag(name: str, text: str) -> tuple[list[str], np.ndarray]:
    """(words, P(name) per word) of a shipped tagger."""
    r = reading(name, text)
    if r is None:
        return [], np.zeros(0)
    return list(r.steps.labels), np.asarray(r.trace["y_hat"][1, 0, :], dtype=np.float64)


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
    """a→<t>, a←<t> of the bidirectional tagger and the split of its 'name' score."""
    trace, params = reading(BI, text).trace, ui.get_model(ui.ModelSpec(BI)).model.params
    a_fwd, a_bwd = trace["a_fwd"][:, 0, :], trace["a_bwd"][:, 0, :]
    split = analysis.direction_split(params["Wy"], params["by"], a_fwd, a_bwd, cls=1)
    return figs.fig_directions(a_fwd, a_bwd, list(trace.tokens), split, trace["y_hat"][1, 0, :])


@st.cache_resource(max_entries=64, show_spinner=False)
def sweep_figure(tokens: tuple[str, ...]):
    return figs.fig_sweep_order(list(tokens))


@st.cache_resource(max_entries=128, show_spinner=False)
def sensitivity_figure(text: str, scale: str):
    toks, S_uni = ui.get_sensitivity(ui.ModelSpec(UNI), text)
    _, S_bi = ui.get_sensitivity(ui.ModelSpec(BI), text)
    return figs.fig_sensitivity({LABELS[UNI]: S_uni, LABELS[BI]: S_bi}, toks, scale=scale)


def _taggers() -> dict:
    """Sentences A and B tagged by both taggers; returns the two texts."""
    st.header("Is “Teddy” a name? Ask both taggers")
    st.markdown(NOTES["taggers"])
    texts, results = {}, {}
    columns = dict(zip("ab", st.columns(2, gap="large"), strict=True))
    for side, col in columns.items():
        with col:
            key = f"bidirectional.sentence_{side}"
            texts[side] = ui.text_box(f"Sentence {side.upper()}", key, DEFAULTS[key])
    if ui.missing_models(UNI, BI):
        return texts
    for side, col in columns.items():
        with col:
            if not texts[side].strip():
                st.info("Type a sentence to tag (for example one with a name in it).")
                continue
            words, p_uni = tag(UNI, texts[side])
            if not words:
                st.info("No words found in this text: type some words.")
                continue
            results[side] = (words, p_uni, tag(BI, texts[side])[1])
            ui.chart(tagger_figure(texts[side], side.upper()),
                     key=f"bidirectional.tagger_chart_{side}")
            ui.unknown_words_note(reading(BI, texts[side]).steps)
    if len(results) == 2:
        _shared_prefix(results)
    return texts


def _shared_prefix(results: dict) -> None:
    """Both taggers at the last word the two sentences share."""
    wa, wb = results["a"][0], results["b"][0]
    shared = 0
    while shared < min(len(wa), len(wb)) and wa[shared] == wb[shared]:
        shared += 1
    left, right = st.columns([3, 2], gap="large")
    with left:
        if not shared:
            st.caption("The two sentences start with different words, so there is no shared "
                       "beginning to compare.")
        else:
            t = shared - 1
            rows = [{"model": LABELS[name], "P(name) in A": results["a"][k][t],
                     "P(name) in B": results["b"][k][t],
                     "|difference|": abs(results["a"][k][t] - results["b"][k][t])}
                    for name, k in ((UNI, 1), (BI, 2))]
            st.markdown(f"**The last word the two sentences share** (word {shared}):")
            st.code(wa[t], language=None)
            st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
                c: st.column_config.NumberColumn(format="%.4f")
                for c in ("P(name) in A", "P(name) in B", "|difference|")})
    with right:
        ui.look_for(NOTES["shared"])


def _directions(detail: str) -> None:
    st.header("a→\\<t\\> and a←\\<t\\>, token by token")
    if not detail.strip():
        st.info("The chosen sentence is empty: type one above (or in the sidebar).")
        return
    if ui.missing_models(BI):
        return
    if reading(BI, detail) is None:
        st.info("No words found in this text: type some words.")
        return
    ui.chart_with_note(directions_figure(detail), key="bidirectional.directions",
                       note=NOTES["directions"])
    st.header("In which order is everything computed?")
    ui.chart_with_note(sweep_figure(reading(BI, detail).steps.labels),
                       key="bidirectional.sweep", note=NOTES["sweep"])


@st.fragment
def sensitivity_section(detail: str) -> None:
    """The colour-scale radio reruns only this fragment."""
    st.header("Which inputs can change ŷ\\<t\\>?  ‖∂ŷ\\<t\\>/∂x\\<t'\\>‖")
    if not detail.strip():
        st.info("The chosen sentence is empty: type one above (or in the sidebar).")
        return
    if ui.missing_models(UNI, BI):
        return
    toks, S_uni = ui.get_sensitivity(ui.ModelSpec(UNI), detail)
    _, S_bi = ui.get_sensitivity(ui.ModelSpec(BI), detail)
    if not toks:
        st.info("No words found in this text: type some words.")
        return
    scale = st.radio("Colour scale", figs.SENSITIVITY_SCALES, key="bidirectional.sensitivity_scale",
                     format_func=SCALES.__getitem__, horizontal=True, persist_state="session",
                     help="A confident softmax squashes every gradient, so the norms span many "
                          "orders of magnitude: the log scale shows them all.")
    if not (np.isfinite(S_uni).all() and np.isfinite(S_bi).all()):
        st.warning("Some gradients overflowed to inf/NaN; they are drawn as 0.")
    ui.chart_with_note(sensitivity_figure(detail, scale), key="bidirectional.sensitivity",
                       note=NOTES["sensitivity"])
    c1, c2 = st.columns(2)
    c1.metric("Unidirectional: largest entry right of the diagonal",
              f"{float(np.triu(S_uni, k=1).max()) if S_uni.size else 0.0:.3g}")
    c2.metric("Bidirectional: largest entry right of the diagonal",
              f"{float(np.triu(S_bi, k=1).max()) if S_bi.size else 0.0:.3g}")


def render() -> None:
    ui.ensure_frame()
    st.title("Bidirectional context")
    st.caption(NOTES["caption"])
    st.latex(r"\hat{y}^{\langle t \rangle} = g\big(W_y\,[\,\overrightarrow{a}^{\langle t "
             r"\rangle},\ \overleftarrow{a}^{\langle t \rangle}\,] + b_y\big)")
    st.caption("This page uses the two shipped name taggers, whatever the sidebar's model: "
               "they were trained on the same data, one reading left to right only.")
    texts = _taggers()
    source = st.radio("Sentence for the charts below", list(SOURCES),
                      key="bidirectional.detail_source", format_func=SOURCES.__getitem__,
                      horizontal=True, persist_state="session")
    if source == "sidebar":
        detail, raw_len = ui.current_text()
        if raw_len > ui.MAX_CHARS:
            st.warning(f"{raw_len:,} characters: only the first {ui.MAX_CHARS} are read.")
    else:
        detail = texts[source]
    _directions(detail)
    sensitivity_section(detail)


render()
