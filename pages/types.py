"""Types of RNNs: the course notes' four architectures, each drawn with a live example from
the shipped models (name tagging, sentiment, sampling) and, for T_x ≠ T_y, the idea of an
encoder–decoder."""

import streamlit as st

import rnnviz_app as ui
from rnnviz.figures import types as figs
from rnnviz.figures.safe_text import printable
from rnnviz_app import types_view as view
from rnnviz_app import your_model
from rnnviz_app.notes import TYPES as NOTES


# Each section is a fragment: editing one example reruns only that section.
@st.fragment
def many_to_many() -> None:
    st.header("Many-to-many, T_x = T_y: name tagging")
    text = ui.text_box("A sentence to tag", "types.tagger_text", view.TAGGER_TEXT)
    if not text.strip():
        st.info("Type a sentence with a person's name in it.")
        return
    if ui.missing_models(view.TAGGER.name):
        return
    try:
        reading = ui.get_reading(view.TAGGER, text)
    except ValueError:
        st.info("No words found in this text: type some words.")
        return
    words, p_name, diagram = view.tagging(reading)
    # Diagrams over the full width (a word's label has room), their notes beside the chart
    # of the outputs below.
    ui.chart(diagram, key="types.many_to_many")
    ui.unknown_words_note(reading.steps)
    ui.chart_with_note(figs.fig_name_probs(words, p_name), key="types.tagger_probs",
                       note=NOTES["many_to_many"], ratio=(3, 2))
    st.page_link("pages/bidirectional.py", label="Why it reads backwards too: "
                 "Bidirectional context")


@st.fragment
def many_to_one() -> None:
    st.header("Many-to-one: sentiment")
    review = ui.text_box("A movie review", "types.review_text", view.REVIEW_TEXT)
    if not review.strip():
        st.info("Type a short movie review, for example “great cast but a boring story”.")
        return
    if ui.missing_models(view.CLASSIFIER.name):
        return
    model = ui.get_model(view.CLASSIFIER)
    try:
        reading = ui.get_reading(view.CLASSIFIER, review)
    except ValueError:
        st.info("No words found in this review: type some words.")
        return
    running, probs, words, diagram = view.sentiment(model, reading)
    labels = model.labels
    ui.chart(diagram, key="types.many_to_one")
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
        lm_name = st.radio("Character model", list(view.CHAR_LMS),
                           index=list(view.CHAR_LMS).index(view.LM_NAME), key="types.lm_model",
                           persist_state="session", horizontal=True,
                           format_func=view.CHAR_LMS.__getitem__)
    with c2:
        start = ui.text_box("First input x\\<1\\> (empty = the start symbol)", "types.lm_start",
                            view.LM_START)
    with c3:
        seed = st.number_input("Seed", 0, 2**31 - 1, view.LM_SEED, step=1, key="types.lm_seed",
                               persist_state="session")
    if ui.missing_models(lm_name):
        return
    prefix, chars, diagram = view.generated(ui.get_model(ui.ModelSpec(lm_name)), start, seed)
    ui.chart(diagram, key="types.one_to_many")
    ui.look_for(NOTES["one_to_many"])
    st.page_link("pages/sampling.py", label="Every step, with temperature and top-k: "
                 "Sampling")
    ui.text(printable(prefix + "".join(chars)))


def render() -> None:
    ui.ensure_frame()
    st.title("Types of RNNs")
    st.caption(NOTES["caption"])
    your_model.types_section(view.architecture, ui.chart)  # an uploaded model's own type
    many_to_many()
    many_to_one()
    one_to_many()
    st.header("Many-to-many, T_x ≠ T_y: encoder–decoder")
    ui.chart(view.encoder_decoder(), key="types.encoder_decoder")
    left, right = st.columns([3, 2], gap="medium")
    with left:
        ui.look_for(NOTES["encoder_decoder"], title="Encoder–decoder")
    with right:
        st.caption("No translation model ships with rnnviz: this diagram uses the course notes' "
                   "example (“Voulez-vous chanter avec moi?”), not a live model.")


render()
