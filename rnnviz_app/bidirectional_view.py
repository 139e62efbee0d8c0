"""The Bidirectional page's wiring: the cached figures of any bidirectional model (a shipped
tagger or the visitor's own), the sensitivity text computed from what the chart colours, and
the section for the sidebar's model (a bidirectional upload beside a unidirectional one)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz.core import analysis
from rnnviz.figures import bidirectional as figs
from rnnviz.figures.safe_text import printable
from rnnviz_app.loaders import get_sensitivity, session_models, session_name
from rnnviz_app.notes import BIDIRECTIONAL as NOTES
from rnnviz_app.widgets import cache_figure, chart_with_note, keep_valid, md, metrics_row

OWN_SOURCES = ("imported", "trained")


@cache_figure
def directions_figure(model, reading, cls: int):
    """a→<t>, a←<t> of a bidirectional model (its top layer) reading a sentence and the split
    of class `cls`'s score of ŷ<t> into what each half of W_y reads."""
    trace = reading.trace
    W = model.model.params
    a_fwd, a_bwd = trace["a_fwd"][:, 0, :], trace["a_bwd"][:, 0, :]
    split = analysis.direction_split(W["Wy"], W["by"], a_fwd, a_bwd, cls=cls)
    return figs.fig_directions(a_fwd, a_bwd, list(trace.tokens), split,
                               trace["y_hat"][cls, 0, :], cls_name=model.output_labels[cls])


@cache_figure
def sweep_figure(tokens: tuple[str, ...]):
    return figs.fig_sweep_order(list(tokens))


@cache_figure
def sensitivity_figure(specs: tuple, labels: tuple, text: str, scale: str):
    matrices = {lab: get_sensitivity(s, text)[1] for s, lab in zip(specs, labels, strict=True)}
    return figs.fig_sensitivity(matrices, get_sensitivity(specs[0], text)[0], scale=scale)


def sensitivity_words(tokens, S_bi) -> str:
    """The sentence under the sensitivity chart, with the numbers the "row" scale colours:
    in the quoted row of the bidirectional model, the next word's share and the word's own."""
    t = figs.quoted_row(tokens, S_bi)
    if t is None:
        return NOTES["sensitivity_one_word"]
    nxt, own = figs.next_word_share(S_bi, t)
    return NOTES["sensitivity_row"].format(
        word=md(printable(tokens[t - 1])), t=t, t1=t + 1, next=md(printable(tokens[t])),
        share=nxt, own=own)


def future_metrics(named: dict) -> None:
    """Per model: the largest share right of the diagonal (0 = reads left to right only)."""
    metrics_row(*((f"{name}: largest share right of the diagonal",
                   f"{figs.future_share(S):.2f}", NOTES["future_help"])
                  for name, S in named.items()))


def counterpart(model):
    """A unidirectional model of this session that reads the same tokens for the same task
    (same kind, vocabulary and labels), or None."""
    for m in session_models().values():
        if (not m.config.bidirectional and m.kind == model.kind
                and list(m.vocab.itos) == list(model.vocab.itos)
                and list(m.output_labels) == list(model.output_labels)):
            return m
    return None


def your_model_section(ctx) -> bool:
    """The sidebar's own model (an upload, a model trained in the app) when it is one: a
    bidirectional one is shown (a→/a←, the score split, the order, the sensitivity), beside a
    unidirectional counterpart when one is loaded; a unidirectional one gets a plain sentence.
    `ctx`: the page context (`page_context(require_text=False)`). Returns whether the section
    was drawn."""
    spec, text, model, reading = ctx.spec, ctx.text, ctx.model, ctx.reading
    if model.source not in OWN_SOURCES:
        return False
    st.header(f"Your model: {model.label}")
    if not model.config.bidirectional:
        st.info(md(NOTES["yours_uni"].format(name=model.label)))
        return True
    if reading is None:                 # no sentence, or no token of it in the vocabulary
        st.info(NOTES["yours_no_tokens"])
        return True
    tokens = list(reading.steps.labels)
    labels = list(model.output_labels)
    keep_valid("bidirectional.your_class", list(range(len(labels))), min(1, len(labels) - 1),
               init=True)
    cls = st.selectbox("Class whose score is split", list(range(len(labels))),
                       key="bidirectional.your_class", format_func=lambda k: printable(labels[k]),
                       help=NOTES["class_help"])
    chart_with_note(directions_figure(model, reading, cls), key="bidirectional.your_directions",
                    note=NOTES["yours_directions"])
    chart_with_note(sweep_figure(tuple(tokens)), key="bidirectional.your_sweep",
                    note=NOTES["sweep"])
    other = counterpart(model)
    specs, names = (spec,), (f"{model.label} (bidirectional)",)
    if other is None:
        st.info(NOTES["yours_no_counterpart"])
    else:
        from rnnviz.models import ModelSpec

        specs = (ModelSpec(name=session_name(other)), spec)
        names = (f"{other.label} (unidirectional)", names[0])
    S = {n: get_sensitivity(s, text)[1] for s, n in zip(specs, names, strict=True)}
    chart_with_note(sensitivity_figure(specs, names, text, "row"),
                    key="bidirectional.your_sensitivity",
                    note=NOTES["sensitivity_yours"] + sensitivity_words(tokens, S[names[-1]]))
    future_metrics(S)
    return True


def finite(*matrices) -> bool:
    return all(np.isfinite(S).all() for S in matrices)


__all__ = ["directions_figure", "sweep_figure", "sensitivity_figure", "sensitivity_words",
           "future_metrics", "counterpart", "your_model_section", "finite", "OWN_SOURCES"]
