"""The Sampling page's figures and scoring sections: a sample's steps, P(the sidebar's
sentence) and which of two sentences a char LM prefers (the course notes' "The apple and
pair/pear salad"). A model that cannot read a sentence (an imported vocabulary without an
unknown token) says so instead of scoring it.

The sample and the pair do not depend on the sidebar's sentence: at their defaults they are
everyone's first visit, built by `warm_first_visit` in the server's background warm-up
(rnnviz_app.shell), not in the first visitor's click."""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from rnnviz.figures import sampling as figs
from rnnviz_app.loaders import get_preferences, get_sample, get_score, lm_choices, load_shipped
from rnnviz_app.notes import SAMPLING as NOTES
from rnnviz_app.sidebar import sidebar_text
from rnnviz_app.widgets import (
    cache_figure,
    chart_with_note,
    md,
    metrics_row,
    table,
    text_pair,
)

CHAR_LMS = {"char-lm-rnn": "RNN", "char-lm-gru": "GRU", "char-lm-lstm": "LSTM"}


class Settings(NamedTuple):
    """A sample's settings, in `get_sample`'s order."""

    name: str
    prefix: str
    temperature: float
    top_k: int
    length: int
    seed: int


DEFAULT = Settings("char-lm-lstm", "Return the ", 0.7, 0, 200, 0)   # the page's widgets'


# Figures on small keys, shared by every session: building them is the costly part of a rerun.
@st.cache_resource(max_entries=256, show_spinner=False)
def step_figures(settings: tuple, step: int) -> tuple:
    """(sampled text, top-k, hidden state) at one step of the sample of `settings`."""
    text_html, topk, hidden = figs.step_figures(get_sample(*settings), step, settings[3])
    return text_html, topk.freeze(), hidden.freeze()


@cache_figure
def played_figure(settings: tuple, step: int):
    """Every step of the sample of `settings` as frames, the base data at `step`: ▶ Play
    steps them in the browser (no script run per step)."""
    return figs.played_steps(get_sample(*settings), step, settings[3])


@st.cache_resource(max_entries=128, show_spinner=False)
def logprob_figure(name: str, texts: tuple[tuple[str, str], ...]):
    """Per-character log-probabilities of one or two (label, text) pairs."""
    scores = {text: get_score(name, text) for _, text in texts}   # tokens scored_from..T
    return figs.fig_logprob_compare([(label, list(text)[int(scores[text]["scored_from"]) - 1:],
                                      scores[text]["per_char"]) for label, text in texts]).freeze()


def scores_or_warning(name: str, texts: dict[str, str]) -> dict | None:
    """{label: get_score(name, text)} for each labelled text, or None after a warning that
    names what the model cannot read."""
    try:
        return {label: get_score(name, text) for label, text in texts.items()}
    except ValueError as err:
        st.warning(NOTES["unreadable"].format(model=md(lm_choices(CHAR_LMS).get(name, name)),
                                              why=md(str(err))))
        return None


def score(name: str) -> None:
    """P(the sidebar's sentence) under the chosen LM: four numbers and the per-character
    chart."""
    st.header("Score a sentence: P(sentence)")
    st.caption(NOTES["score_caption"])
    text = sidebar_text("scored")
    if not text:
        st.info(NOTES["empty"])
        return
    scores = scores_or_warning(name, {"sentence": text})
    if scores is None:
        return
    sc = scores["sentence"]
    # Two by two: "3.62 × 10⁻⁴²" needs half the column at 1024 px.
    metrics_row(("log P(sentence)", f"{sc['log_prob']:.2f} nats"),
                ("P(sentence)", figs.format_prob(sc["log_prob"])))
    metrics_row(("bits per character", f"{sc['bits_per_char']:.2f}"),
                ("perplexity per character", f"{sc['perplexity']:.2f}"))
    chart_with_note(logprob_figure(name, (("sidebar sentence", text),)),
                    key="sampling.score_chart", note=NOTES["score"])


@st.fragment
def compare(name: str) -> None:
    """Two sentences side by side; editing them reruns only this fragment."""
    st.header("Which sentence does the model prefer?")
    st.caption(NOTES["compare_caption"])
    text_a, text_b = text_pair(NOTES["pair"], "to compare")
    if not (text_a and text_b):
        return
    scores = scores_or_warning(name, {"A": text_a, "B": text_b})
    if scores is None:
        return
    pref = figs.preference(scores["A"]["log_prob"], scores["B"]["log_prob"])
    model = lm_choices(CHAR_LMS)[name]
    if pref["winner"] == "tie":
        st.info(NOTES["tie"].format(model=model))
    else:
        st.success(NOTES["prefers"].format(model=model, loser="A" if pref["winner"] == "B"
                                           else "B", **pref))
    if len(text_a) != len(text_b):
        st.caption(NOTES["lengths"])
    chart_with_note(logprob_figure(name, (("A", text_a), ("B", text_b))),
                    key="sampling.compare_chart", note=NOTES["compare"])
    st.markdown("**All three models on the same pair**")
    table(figs.preference_rows(get_preferences(CHAR_LMS, text_a, text_b)),
          dict.fromkeys(("log P(A)", "log P(B)", "bits/char A", "bits/char B"), "%.2f"))


def warm_first_visit() -> None:
    """The page's first visit at its defaults, for the server's background warm-up: the
    default sample and its first step's figures, the default pair's scores under every
    shipped char LM and its chart (a missing shipped LM is left to the page)."""
    if load_shipped(DEFAULT.name) is None:
        return
    settings = tuple(DEFAULT)
    get_sample(*settings)
    step_figures(settings, 1)
    text_a, text_b = NOTES["pair"].values()
    get_preferences(CHAR_LMS, text_a, text_b)
    logprob_figure(DEFAULT.name, (("A", text_a), ("B", text_b)))


__all__ = ["compare", "logprob_figure", "score", "scores_or_warning", "step_figures",
           "played_figure", "DEFAULT", "Settings", "warm_first_visit"]
