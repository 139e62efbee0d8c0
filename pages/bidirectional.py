"""Bidirectional context: a→<t> and a←<t> side by side, the order of the two sweeps, and why
a tagger that reads the whole sentence can tell "Teddy Roosevelt" from "Teddy bears"; first,
the sidebar's own model when it is an upload (`rnnviz_app.bidirectional_view`)."""

import numpy as np
import streamlit as st

import rnnviz_app as ui
from rnnviz.core import analysis
from rnnviz.figures import bidirectional as figs
from rnnviz_app import bidirectional_view as view
from rnnviz_app.notes import BIDIRECTIONAL as NOTES

UNI, BI = "ner-lstm", "ner-bilstm"
LABELS = {UNI: "ner-lstm (unidirectional)", BI: "ner-bilstm (bidirectional)"}


def _readings(text: str) -> dict:
    """Both taggers reading `text` ({name: Reading}); {} when it has no words."""
    try:
        return {name: ui.get_reading(ui.ModelSpec(name), text) for name in (UNI, BI)}
    except ValueError:
        return {}


def _probs(readings: dict) -> dict:             # {tagger: P(name) per word}
    return {LABELS[name]: np.asarray(r.trace["y_hat"][1, 0, :], dtype=np.float64)
            for name, r in readings.items()}


# Built from the two readings the page holds, keyed by what was read (ui.cache_figure).
@ui.cache_figure
def tagger_figure(uni, bi):
    """P(name) per word of ner-lstm (`uni`) and ner-bilstm (`bi`) reading one sentence."""
    return figs.fig_tagger_probs(list(uni.steps.labels), _probs({UNI: uni, BI: bi}), title="")


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
            readings = _readings(texts[side])
            if not readings:
                st.info(NOTES["no_words"])
                continue
            words[side] = list(readings[UNI].steps.labels)
            probs[side] = _probs(readings)
            st.markdown(f"**Sentence {side.upper()}: P(name) per word**")
            ui.chart(tagger_figure(readings[UNI], readings[BI]),
                     key=f"bidirectional.tagger_chart_{side}")
            ui.unknown_words_note(readings[BI].steps)
    if len(probs) == 2:
        _shared_prefix(words, probs)
    return texts


def _shared_prefix(words: dict, probs: dict) -> None:
    """Both taggers at the last word the two sentences share."""
    shared, rows = analysis.shared_prefix_table(words["a"], words["b"], probs["a"], probs["b"],
                                                what="P(name)")
    if not shared:
        st.caption(NOTES["no_shared"])
    else:
        st.markdown(f"**The last word the two sentences share** (word {shared}):")
        ui.text(words["a"][shared - 1])
        # the whole column: its four columns of numbers need about 430 px
        ui.table(rows, {c: "%.4f" for c in rows[0] if c != "model"})
    ui.look_for(NOTES["shared"])


def _directions(detail: str) -> None:
    st.header("a→\\<t\\> and a←\\<t\\>, token by token")
    if not detail.strip():
        st.info(NOTES["empty"])
        return
    if ui.missing_models(BI):
        return
    try:
        reading = ui.get_reading(ui.ModelSpec(BI), detail)
    except ValueError:
        st.info(NOTES["no_words"])
        return
    tokens = reading.steps.labels
    ui.chart_with_note(view.directions_figure(ui.get_model(ui.ModelSpec(BI)), reading, 1),
                       key="bidirectional.directions", note=NOTES["directions"])
    st.header("In which order is everything computed?")
    ui.chart_with_note(view.sweep_figure(tuple(tokens)), key="bidirectional.sweep",
                       note=NOTES["sweep"])


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
    scale = st.radio("Colour scale", figs.SENSITIVITY_SCALES,
                     key="bidirectional.sensitivity_scale", format_func=NOTES["scales"].get,
                     horizontal=True, help=NOTES["scale_help"], persist_state="session")
    if not view.finite(S_uni, S_bi):
        st.warning("Some gradients overflowed to inf/NaN; they are drawn as 0.")
    specs = (ui.ModelSpec(UNI), ui.ModelSpec(BI))
    ui.chart_with_note(view.sensitivity_figure(specs, (LABELS[UNI], LABELS[BI]), detail, scale),
                       key="bidirectional.sensitivity",
                       note=NOTES["sensitivity"] + view.sensitivity_words(toks, S_bi))
    view.future_metrics({"Unidirectional": S_uni, "Bidirectional": S_bi})


def render() -> None:
    ui.ensure_frame()
    st.title("Bidirectional context")
    st.caption(NOTES["caption"])
    st.latex(NOTES["equation"])
    ctx = ui.page_context(require_text=False)
    if not view.your_model_section(ctx):
        st.caption(NOTES["models"])
    else:
        st.header("The shipped pair: ner-lstm and ner-bilstm")
        st.caption(NOTES["models_after_yours"])
    texts = _taggers()
    source = st.radio("Sentence for the charts below", list(NOTES["sources"]),
                      key="bidirectional.detail_source", format_func=NOTES["sources"].__getitem__,
                      horizontal=True, persist_state="session")
    detail = ui.sidebar_text("read") if source == "sidebar" else texts[source]
    _directions(detail)
    sensitivity_section(detail)


render()
