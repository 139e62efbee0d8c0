"""Types of RNNs: the course notes' four architectures, each drawn with a live example from
the shipped models (name tagging, sentiment, sampling) and, for T_x ≠ T_y, the idea of an
encoder–decoder."""

import numpy as np
import streamlit as st

import rnnviz_app as ui
from rnnviz.figures import types as figs
from rnnviz.figures.safe_text import printable
from rnnviz_app import your_model
from rnnviz_app.notes import TYPES as NOTES

TAGGER, CLASSIFIER = ui.ModelSpec("ner-bilstm"), ui.ModelSpec("sentiment-lstm")
CHAR_LMS = {"char-lm-rnn": "RNN", "char-lm-gru": "GRU", "char-lm-lstm": "LSTM"}
GENERATE = 40                 # characters sampled in the one-to-many example
# The course notes' translation example (no translation model ships with rnnviz).
FRENCH = ["Voulez-vous", "chanter", "avec", "moi", "?"]
ENGLISH = ["Do", "you", "want", "to", "sing", "with", "me", "?"]


@ui.cache_figure(max_entries=64)
def generate(model, start: str, seed: int) -> tuple[str, tuple[str, ...]]:
    """(prefix, sampled characters) of the char LM `model` (keyed by its identity):
    GENERATE characters at temperature 0.7."""
    s = model.sample(start, length=GENERATE, temperature=0.7, rng=np.random.default_rng(seed))
    return s.prefix, tuple(step.char for step in s.steps)


@st.cache_resource(max_entries=256, show_spinner=False)
def architecture(kind: str, x_labels: tuple, y_labels: tuple, highlight: tuple = (),
                 max_cols: int = 8):
    """A diagram for these labels (small keys), built once and shared: drawing only copies a
    figure, and a diagram's many arrows are the costly part of building one."""
    return figs.fig_architecture(kind, x_labels, y_labels, y_highlight=highlight or None,
                                 max_cols=max_cols).freeze()


# Each section is a fragment: editing one example reruns only that section.
@st.fragment
def many_to_many() -> None:
    st.header("Many-to-many, T_x = T_y: name tagging")
    text = ui.text_box("A sentence to tag", "types.tagger_text",
                       "Yesterday, Harry Potter met Hermione Granger.")
    if not text.strip():
        st.info("Type a sentence with a person's name in it.")
        return
    if ui.missing_models(TAGGER.name):
        return
    try:
        reading = ui.get_reading(TAGGER, text)
    except ValueError:
        st.info("No words found in this text: type some words.")
        return
    words = list(reading.steps.labels)
    p_name = np.asarray(reading.trace["y_hat"][1, 0, :], dtype=np.float64)
    # Diagrams over the full width (a word's label has room), their notes beside the chart
    # of the outputs below.
    ui.chart(architecture("many_to_many", tuple(words), tuple(f"{p:.2f}" for p in p_name),
                          tuple(bool(p > 0.5) for p in p_name)), key="types.many_to_many")
    ui.unknown_words_note(reading.steps)
    ui.chart_with_note(figs.fig_name_probs(words, p_name), key="types.tagger_probs",
                       note=NOTES["many_to_many"], ratio=(3, 2))
    st.page_link("pages/bidirectional.py", label="Why it reads backwards too: "
                 "Bidirectional context")


@st.fragment
def many_to_one() -> None:
    st.header("Many-to-one: sentiment")
    review = ui.text_box("A movie review", "types.review_text",
                         "There is nothing to like in this movie.")
    if not review.strip():
        st.info("Type a short movie review, for example “great cast but a boring story”.")
        return
    if ui.missing_models(CLASSIFIER.name):
        return
    model = ui.get_model(CLASSIFIER)
    try:
        reading = ui.get_reading(CLASSIFIER, review)
    except ValueError:
        st.info("No words found in this review: type some words.")
        return
    running = np.asarray(reading.trace["y_hat"][:, 0, :], dtype=np.float32)
    probs, labels, words = running[:, -1].astype(np.float64), model.labels, reading.steps.labels
    k = int(np.argmax(probs))
    ui.chart(architecture("many_to_one", tuple(words), (f"{labels[k]} ({probs[k]:.2f})",)),
             key="types.many_to_one")
    ui.unknown_words_note(reading.steps)
    ui.look_for(NOTES["many_to_one"])
    left, right = st.columns(2, gap="medium")
    with left:
        ui.chart(figs.fig_star_probs(probs, labels), key="types.stars")
    with right:
        ui.chart(figs.fig_running_stars(list(words), running, labels), key="types.running_stars")
    st.caption("Right: ŷ\\<t\\> is computed at every step, although only ŷ\\<T_x\\> is "
               "the answer. Read as a running opinion it shows which words moved the rating.")


@st.fragment
def one_to_many() -> None:
    st.header("One-to-many: generating text")
    c1, c2, c3 = st.columns([2, 2, 1], gap="medium")
    with c1:
        lm_name = st.radio("Character model", list(CHAR_LMS), index=2, key="types.lm_model",
                           persist_state="session", horizontal=True,
                           format_func=CHAR_LMS.__getitem__)
    with c2:
        start = ui.text_box("First input x\\<1\\> (empty = the start symbol)", "types.lm_start",
                         "")
    with c3:
        seed = st.number_input("Seed", 0, 2**31 - 1, 0, step=1, key="types.lm_seed",
                               persist_state="session")
    if ui.missing_models(lm_name):
        return
    prefix, chars = generate(ui.get_model(ui.ModelSpec(lm_name)), start, int(seed))
    first = "∅" if not prefix else (prefix if len(prefix) <= 10 else "…" + prefix[-9:])
    ui.chart(architecture("one_to_many", (first,), tuple(chars)), key="types.one_to_many")
    ui.look_for(NOTES["one_to_many"])
    st.page_link("pages/sampling.py", label="Every step, with temperature and top-k: "
                 "Sampling")
    ui.text(printable(prefix + "".join(chars)))


def render() -> None:
    ui.ensure_frame()
    st.title("Types of RNNs")
    st.caption(NOTES["caption"])
    your_model.types_section(architecture, ui.chart)       # an uploaded model's own type
    many_to_many()
    many_to_one()
    one_to_many()
    st.header("Many-to-many, T_x ≠ T_y: encoder–decoder")
    ui.chart(architecture("encoder_decoder", tuple(FRENCH), tuple(ENGLISH), max_cols=16),
             key="types.encoder_decoder")
    left, right = st.columns([3, 2], gap="medium")
    with left:
        ui.look_for(NOTES["encoder_decoder"], title="Encoder–decoder")
    with right:
        st.caption("No translation model ships with rnnviz: this diagram uses the course notes' "
                   "example (“Voulez-vous chanter avec moi?”), not a live model.")


render()
