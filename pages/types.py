"""Types of RNNs: the course notes' four architectures, each drawn with a live example from
the shipped models (name tagging, sentiment, sampling) and, for T_x ≠ T_y, the idea of an
encoder–decoder."""

import numpy as np
import streamlit as st

import rnnviz_app as ui
from rnnviz.figures import bidirectional as bifigs
from rnnviz.figures import types as figs
from rnnviz.figures.sampling import printable

TAGGER, CLASSIFIER = "ner-bilstm", "sentiment-lstm"
CHAR_LMS = {"char-lm-rnn": "RNN", "char-lm-gru": "GRU", "char-lm-lstm": "LSTM"}
GENERATE = 40                 # characters sampled in the one-to-many example
# The course notes' translation example (no translation model ships with rnnviz).
FRENCH = ["Voulez-vous", "chanter", "avec", "moi", "?"]
ENGLISH = ["Do", "you", "want", "to", "sing", "with", "me", "?"]


@st.cache_data(max_entries=64, show_spinner=False)
def tag(text: str) -> tuple[list[str], np.ndarray]:
    """(words, P(name) per word) from the bidirectional tagger."""
    pairs = ui.load_shipped(TAGGER).tag(text)
    return [w for w, _ in pairs], np.array([p for _, p in pairs], dtype=np.float64)


@st.cache_data(max_entries=64, show_spinner=False)
def rate(text: str) -> dict:
    """Final P(stars), the running ŷ<t> and the words of a review."""
    p = ui.load_shipped(CLASSIFIER)
    probs = np.asarray(p.predict(text), dtype=np.float64)
    x, tokens = p.encode(text)
    running = (p.trace(text)["y_hat"][:, 0, :].astype(np.float32) if x.shape[2]
               else np.zeros((probs.size, 0), dtype=np.float32))
    return {"probs": probs, "running": running, "words": [t.text for t in tokens],
            "labels": list(p.labels)}


@st.cache_data(max_entries=64, show_spinner=False)
def generate(name: str, start: str, seed: int) -> tuple[str, list[str]]:
    """(prefix, sampled characters): GENERATE characters at temperature 0.7."""
    s = ui.load_shipped(name).sample(start, length=GENERATE, temperature=0.7,
                          rng=np.random.default_rng(seed))
    return s.prefix, [step.char for step in s.steps]


st.title("Types of RNNs")
st.caption(
    "The same recurrent cell, a\\<t\\> = g(W_a [a\\<t-1\\>, x\\<t\\>] + b_a), wired four ways "
    "(course notes, \"Different types of RNNs\"). Each diagram below is labelled with a real "
    "input and the real output of a model shipped with rnnviz; edit the inputs."
)

# Each section is a fragment: editing one example reruns only that section.
@st.fragment
def many_to_many() -> None:
    st.header("Many-to-many, T_x = T_y: name tagging")
    text = ui.text_box("A sentence to tag", "types.tagger_text",
                    "Yesterday, Harry Potter met Hermione Granger.")
    if not text.strip():
        st.info("Type a sentence with a person's name in it.")
        return
    if ui.missing_models(TAGGER):
        return
    words, p_name = tag(text)
    if not words:
        st.info("No words found in this text: type some words.")
        return
    left, right = st.columns([3, 2], gap="medium")
    with left:
        outputs = tuple(f"{p:.2f}" for p in p_name)
        names = tuple(bool(p > 0.5) for p in p_name)
        ui.chart(architecture("many_to_many", tuple(words), outputs, names),
                 key="types.many_to_many")
    with right:
        ui.look_for(
            "One output per input: ŷ\\<t\\> = P(word t is part of a name), here from "
            "**ner-bilstm**. Red numbers are above 0.5. T_y = T_x by construction: the "
            "network emits ŷ\\<t\\> as it passes x\\<t\\> (this tagger also reads the "
            "sentence backwards first)."
        )
        st.page_link("pages/bidirectional.py", label="Why it reads backwards too: "
                     "Bidirectional context")
    ui.chart(bifigs.fig_tagger_probs(words, {"ner-bilstm": p_name},
                                     title="ŷ<t> = P(name) for every word",
                                     colors=[bifigs.FWD]),
             key="types.tagger_probs")


@st.fragment
def many_to_one() -> None:
    st.header("Many-to-one: sentiment")
    review = ui.text_box("A movie review", "types.review_text",
                      "There is nothing to like in this movie.")
    if not review.strip():
        st.info("Type a short movie review, for example “great cast but a boring story”.")
        return
    if ui.missing_models(CLASSIFIER):
        return
    r = rate(review)
    k = int(np.argmax(r["probs"]))
    answer = f"{r['labels'][k]} ({r['probs'][k]:.2f})"
    left, right = st.columns([3, 2], gap="medium")
    with left:
        ui.chart(architecture("many_to_one", tuple(r["words"]), (answer,)),
                 key="types.many_to_one")
    with right:
        ui.look_for(
            "The network reads every word but answers once, after the last: ŷ\\<T_x\\> = "
            "P(rating | the whole review), from **sentiment-lstm**. T_y = 1. The training "
            "loss only looks at that last output, so a\\<T_x\\> has to carry everything "
            "that matters (a *but* late in the review can overturn the opening)."
        )
    left, right = st.columns(2, gap="medium")
    with left:
        ui.chart(figs.fig_star_probs(r["probs"], r["labels"]), key="types.stars")
    with right:
        if r["running"].shape[1]:
            ui.chart(figs.fig_running_stars(r["words"], r["running"], r["labels"]),
                     key="types.running_stars")
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
    prefix, chars = generate(lm_name, start, int(seed))
    first = "∅" if not prefix else (prefix if len(prefix) <= 10 else "…" + prefix[-9:])
    left, right = st.columns([3, 2], gap="medium")
    with left:
        ui.chart(architecture("one_to_many", (first,), tuple(chars)), key="types.one_to_many")
    with right:
        ui.look_for(
            "One input (or none: the start symbol), a whole sequence out. Each drawn "
            "character ŷ\\<t\\> is fed back as the next input x\\<t+1\\> (dotted lines) — "
            "that is how the course notes generate music or text."
        )
        st.page_link("pages/sampling.py", label="Every step, with temperature and top-k: "
                     "Sampling")
    st.code(printable(prefix + "".join(chars)), language=None, wrap_lines=True)


@st.cache_resource(max_entries=256, show_spinner=False)
def architecture(kind: str, x_labels: tuple, y_labels: tuple, highlight: tuple = (),
                 max_cols: int = 8):
    """A diagram for these labels (small keys), built once and shared: st.plotly_chart only
    copies a figure, and a diagram's many arrows are the costly part of building one."""
    return figs.fig_architecture(kind, x_labels, y_labels, y_highlight=highlight or None,
                                 max_cols=max_cols)


many_to_many()
many_to_one()
one_to_many()

# -- many-to-many, T_x ≠ T_y -------------------------------------------------------------------
st.header("Many-to-many, T_x ≠ T_y: encoder–decoder")
ui.chart(architecture("encoder_decoder", tuple(FRENCH), tuple(ENGLISH), max_cols=16),
         key="types.encoder_decoder")
left, right = st.columns([3, 2], gap="medium")
with left:
    ui.look_for(
        "Translation: 5 French tokens in, 8 English tokens out, so a tagger's one-output-"
        "per-input wiring cannot work. An **encoder** RNN reads the whole input and only "
        "hands over its last state a\\<T_x\\>, a summary of the sentence. A **decoder** RNN "
        "(its own parameters) starts from that state and generates the output one token at "
        "a time, feeding each word back in — the one-to-many wiring above — until it emits an "
        "end token. So T_y is decided by the decoder, not by T_x.",
        title="Encoder–decoder",
    )
with right:
    st.caption("No translation model ships with rnnviz: this diagram uses the course notes' "
               "example (“Voulez-vous chanter avec moi?”), not a live model.")
