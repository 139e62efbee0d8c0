"""What the pages show of the visitor's own model (imported or trained in the app), beside
the shipped examples: which of the notes' RNN types it is (`rnn_type`, Types of RNNs)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz.figures.safe_text import printable
from rnnviz_app.loaders import get_model, get_reading
from rnnviz_app.sidebar import current_spec, current_text
from rnnviz_app.widgets import look_for, md

OWN_SOURCES = ("imported", "trained")
TYPE_NAMES = {"char_lm": ("many_to_many", "many-to-many, T_x = T_y: a language model (ŷ<t> "
                          "is the next token)"),
              "tagger": ("many_to_many", "many-to-many, T_x = T_y: a tagger (one label per "
                         "token)"),
              "classifier": ("many_to_one", "many-to-one: a classifier (one label per text, "
                             "from ŷ<T_x>)")}


def rnn_type(model, reading) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """(diagram kind, x labels, y labels) of `model` reading a text: the notes' type of RNN it
    is, with its own tokens and its own most likely output at each step (at T_x only for a
    classifier)."""
    kind = TYPE_NAMES[model.kind][0]
    y_hat = np.asarray(reading.trace["y_hat"][:, 0, :])
    best = [model.output_labels[int(k)] for k in np.argmax(y_hat, axis=0)]
    words = tuple(printable(w) for w in reading.steps.labels)
    if kind == "many_to_one":
        return kind, words, (f"{best[-1]} ({float(y_hat[:, -1].max()):.2f})",)
    return kind, words, tuple(printable(b) for b in best)


def types_section(architecture, chart) -> None:
    """Types of RNNs: the visitor's own model's type, drawn with its tokens and predictions
    (`architecture(kind, x, y)` builds the page's diagram; `chart` draws it). Nothing for a
    shipped or random model."""
    spec = current_spec()
    model = get_model(spec)
    if model.source not in OWN_SOURCES:
        return
    st.header(f"Your model: {TYPE_NAMES[model.kind][1]}")
    text = current_text()[0]
    try:
        reading = get_reading(spec, text)
    except ValueError:
        st.info("Your model finds no tokens in the sidebar's sentence: type one there.")
        return
    kind, xs, ys = rnn_type(model, reading)
    chart(architecture(kind, xs, ys), key="types.your_model")
    look_for(f"{md(model.label)} reads the sidebar's sentence one token at a time; "
             + ("only ŷ<T_x> is its answer." if kind == "many_to_one"
                else "it answers at every step, T_y = T_x."))


__all__ = ["rnn_type", "types_section", "TYPE_NAMES", "OWN_SOURCES"]
