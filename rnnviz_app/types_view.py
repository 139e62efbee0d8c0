"""The Types of RNNs page's examples (pages/types.py): the diagrams and what the live models
say about each example's text, built once per input and shared by every session.

Nothing on the page reads the sidebar's sentence (except a visitor's own model), so its
first visit at its defaults is the same for everyone: `warm_first_visit` builds it in the
server's background warm-up (rnnviz_app.shell), not in the first visitor's click."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz.figures import types as figs
from rnnviz.models import ModelSpec
from rnnviz_app.loaders import get_model, get_reading, shipped_models
from rnnviz_app.widgets import cache_figure

TAGGER, CLASSIFIER = ModelSpec("ner-bilstm"), ModelSpec("sentiment-lstm")
CHAR_LMS = {"char-lm-rnn": "RNN", "char-lm-gru": "GRU", "char-lm-lstm": "LSTM"}
GENERATE = 40                 # characters sampled in the one-to-many example
# The course notes' translation example (no translation model ships with rnnviz).
FRENCH = ("Voulez-vous", "chanter", "avec", "moi", "?")
ENGLISH = ("Do", "you", "want", "to", "sing", "with", "me", "?")
# The examples' texts and choices when a visitor has not changed them
TAGGER_TEXT = "Yesterday, Harry Potter met Hermione Granger."
REVIEW_TEXT = "There is nothing to like in this movie."
LM_NAME, LM_START, LM_SEED = "char-lm-lstm", "", 0


@cache_figure(max_entries=64)
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


def tagging(reading):
    """(words, P(name) per word, the many-to-many diagram) of the tagger's reading."""
    words = list(reading.steps.labels)
    p_name = np.asarray(reading.trace["y_hat"][1, 0, :], dtype=np.float64)
    diagram = architecture("many_to_many", tuple(words), tuple(f"{p:.2f}" for p in p_name),
                           tuple(bool(p > 0.5) for p in p_name))
    return words, p_name, diagram


def sentiment(model, reading):
    """(ŷ<t> at every step (classes, T_x), ŷ<T_x>, the words, the many-to-one diagram) of
    the classifier's reading."""
    running = np.asarray(reading.trace["y_hat"][:, 0, :], dtype=np.float32)
    probs, labels, words = running[:, -1].astype(np.float64), model.labels, reading.steps.labels
    k = int(np.argmax(probs))
    diagram = architecture("many_to_one", tuple(words), (f"{labels[k]} ({probs[k]:.2f})",))
    return running, probs, words, diagram


def generated(model, start: str, seed: int):
    """(prefix, sampled characters, the one-to-many diagram) of a char LM."""
    prefix, chars = generate(model, start, int(seed))
    first = "∅" if not prefix else (prefix if len(prefix) <= 10 else "…" + prefix[-9:])
    return prefix, chars, architecture("one_to_many", (first,), tuple(chars))


def encoder_decoder():
    return architecture("encoder_decoder", FRENCH, ENGLISH, max_cols=16)


def warm_first_visit() -> None:
    """The page's first visit at its defaults, for the server's background warm-up: the
    examples' readings, the generated text and the four diagrams (a missing shipped model is
    left to the page, which says so)."""
    shipped = set(shipped_models())
    if TAGGER.name in shipped:
        tagging(get_reading(TAGGER, TAGGER_TEXT))
    if CLASSIFIER.name in shipped:
        sentiment(get_model(CLASSIFIER), get_reading(CLASSIFIER, REVIEW_TEXT))
    if LM_NAME in shipped:
        generated(get_model(ModelSpec(LM_NAME)), LM_START, LM_SEED)
    encoder_decoder()


__all__ = ["TAGGER", "CLASSIFIER", "CHAR_LMS", "FRENCH", "ENGLISH", "TAGGER_TEXT",
           "REVIEW_TEXT", "LM_NAME", "LM_START", "LM_SEED", "architecture", "tagging",
           "sentiment", "generated", "encoder_decoder", "warm_first_visit"]
