"""Bidirectional context: a→<t> and a←<t> side by side, the order of the two sweeps, and why
a tagger that reads the whole sentence can tell "Teddy Roosevelt" from "Teddy bears"."""

import numpy as np
import streamlit as st

import rnnviz_app as ui
from rnnviz.core import analysis
from rnnviz.figures import bidirectional as figs
from rnnviz_app.notes import BIDIRECTIONAL as NOTES

UNI, BI = "ner-lstm", "ner-bilstm"
LABELS = {UNI: "ner-lstm (unidirectional)", BI: "ner-bilstm (bidirectional)"}


def _probs(text: str) -> dict:                  # {tagger: P(name) per word}
    return {LABELS[name]: ui.get_tags(name, text)[1] for name in (UNI, BI)}


@ui.cache_figure
def tagger_figure(text: str, side: str):
    return figs.fig_tagger_probs(ui.get_tags(UNI, text)[0], _probs(text),
                                 title=f"Sentence {side}: P(name) per word")


@ui.cache_figure
def directions_figure(text: str):
    """a→<t>, a←<t> of the bidirectional tagger and the split of its 'name' score."""
    trace, W = ui.get_trace(ui.ModelSpec(BI), text), ui.get_model(ui.ModelSpec(BI)).model.params
    a_fwd, a_bwd = trace["a_fwd"][:, 0, :], trace["a_bwd"][:, 0, :]
    split = analysis.direction_split(W["Wy"], W["by"], a_fwd, a_bwd, cls=1)
    return figs.fig_directions(a_fwd, a_bwd, list(trace.tokens), split, trace["y_hat"][1, 0, :])


@ui.cache_figure
def sweep_figure(tokens: tuple[str, ...]):
    return figs.fig_sweep_order(list(tokens))


@ui.cache_figure
def sensitivity_figure(text: str, scale: str):
    toks, S_uni = ui.get_sensitivity(ui.ModelSpec(UNI), text)
    _, S_bi = ui.get_sensitivity(ui.ModelSpec(BI), text)
    return figs.fig_sensitivity({LABELS[UNI]: S_uni, LABELS[BI]: S_bi}, toks, scale=scale)


def _taggers() -> dict:
    """Sentences A and B tagged by both taggers; returns the two texts."""
    st.header("Is “Teddy” a name? Ask both taggers")
    st.markdown(NOTES["taggers"])
    texts, words, probs = {}, {}, {}
    columns = dict(zip("ab", st.columns(2, gap="large"), strict=True))
    for side, col in columns.items():
        with col:
            texts[side] = ui.text_box(f"Sentence {side.upper()}", f"bidirectional.sentence_{side}",
                                      NOTES["sentences"][side])
    if ui.missing_models(UNI, BI):
        return texts
    for side, col in columns.items():
        with col:
            if not texts[side].strip():
                st.info(NOTES["type_one"])
                continue
            words[side] = ui.get_tags(UNI, texts[side])[0]
            if not words[side]:
                st.info(NOTES["no_words"])
                continue
            probs[side] = _probs(texts[side])
            ui.chart(tagger_figure(texts[side], side.upper()),
                     key=f"bidirectional.tagger_chart_{side}")
            ui.unknown_words_note(ui.get_steps(ui.ModelSpec(BI), texts[side]))
    if len(probs) == 2:
        _shared_prefix(words, probs)
    return texts


def _shared_prefix(words: dict, probs: dict) -> None:
    """Both taggers at the last word the two sentences share."""
    shared, rows = analysis.shared_prefix_table(words["a"], words["b"], probs["a"], probs["b"],
                                                what="P(name)")
    left, right = st.columns([3, 2], gap="large")
    with left:
        if not shared:
            st.caption(NOTES["no_shared"])
        else:
            st.markdown(f"**The last word the two sentences share** (word {shared}):")
            st.code(words["a"][shared - 1], language=None)
            ui.number_table(rows, {c: "%.4f" for c in rows[0] if c != "model"})
    with right:
        ui.look_for(NOTES["shared"])


def _directions(detail: str) -> None:
    st.header("a→\\<t\\> and a←\\<t\\>, token by token")
    if not detail.strip():
        st.info(NOTES["empty"])
        return
    if ui.missing_models(BI):
        return
    if not (tokens := ui.get_tags(BI, detail)[0]):
        st.info(NOTES["no_words"])
        return
    ui.chart_with_note(directions_figure(detail), key="bidirectional.directions",
                       note=NOTES["directions"])
    st.header("In which order is everything computed?")
    ui.chart_with_note(sweep_figure(tuple(tokens)), key="bidirectional.sweep", note=NOTES["sweep"])


@st.fragment
def sensitivity_section(detail: str) -> None:
    """The colour-scale radio reruns only this fragment."""
    st.header("Which inputs can change ŷ\\<t\\>?  ‖∂ŷ\\<t\\>/∂x\\<t'\\>‖")
    if not detail.strip():
        st.info(NOTES["empty"])
        return
    if ui.missing_models(UNI, BI):
        return
    toks, S_uni = ui.get_sensitivity(ui.ModelSpec(UNI), detail)
    _, S_bi = ui.get_sensitivity(ui.ModelSpec(BI), detail)
    if not toks:
        st.info(NOTES["no_words"])
        return
    scale = st.radio("Colour scale", figs.SENSITIVITY_SCALES, key="bidirectional.sensitivity_scale",
                     format_func=NOTES["scales"].get, horizontal=True, help=NOTES["scale_help"],
                     persist_state="session")
    if not (np.isfinite(S_uni).all() and np.isfinite(S_bi).all()):
        st.warning("Some gradients overflowed to inf/NaN; they are drawn as 0.")
    ui.chart_with_note(sensitivity_figure(detail, scale), key="bidirectional.sensitivity",
                       note=NOTES["sensitivity"])
    ui.metrics_row(*((f"{name}: largest entry right of the diagonal",
                      f"{analysis.future_sensitivity(S):.3g}") for name, S in
                     (("Unidirectional", S_uni), ("Bidirectional", S_bi))))


def render() -> None:
    ui.ensure_frame()
    st.title("Bidirectional context")
    st.caption(NOTES["caption"])
    st.latex(NOTES["equation"])
    st.caption(NOTES["models"])
    texts = _taggers()
    source = st.radio("Sentence for the charts below", list(NOTES["sources"]),
                      key="bidirectional.detail_source", format_func=NOTES["sources"].__getitem__,
                      horizontal=True, persist_state="session")
    detail = ui.sidebar_text("read") if source == "sidebar" else texts[source]
    _directions(detail)
    sensitivity_section(detail)


render()
