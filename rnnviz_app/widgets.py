"""Small Streamlit helpers that keep every page consistent."""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from rnnviz_app.state import MAX_CHARS, clip_text

# No Plotly logo, no "send to cloud"; keep zoom, pan, hover and the PNG download.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "sendDataToCloud"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def cache_figure(fn):
    """Decorator for a page's figure builders: `@ui.cache_figure def _fig(spec, text, opt)`.

    Arguments must be small (ModelSpec, str, numbers, tuples). The figure is shared by all
    sessions (st.cache_resource), so it is frozen (`rnnviz.figures.common.Figure.freeze`):
    its JSON-ready dict is built once instead of on every rerun.
    """

    @functools.wraps(fn)
    def build(*args, **kwargs):
        fig = fn(*args, **kwargs)
        freeze = getattr(fig, "freeze", None)
        if freeze is not None:
            freeze()
        return fig

    return st.cache_resource(max_entries=256, show_spinner=False)(build)


def keep_valid(key: str, options, default) -> None:
    """Before drawing a selectbox/radio/multiselect whose options can change between runs:
    reset its value if it is no longer one of `options`.

    When the options change (another model, a longer sentence), the browser still sends the
    old choice, which Streamlit then returns as a plain string; this catches it.
    """
    if key not in st.session_state:
        return
    value = st.session_state[key]
    if isinstance(default, (list, tuple)):
        ok = isinstance(value, (list, tuple)) and all(v in options for v in value)
    else:
        ok = value in options
    if not ok:
        st.session_state[key] = default


def md(text: str) -> str:
    """Notation for Markdown: `a<t>` would be swallowed as an HTML tag, so escape < and >."""
    return str(text).replace("<", "\\<").replace(">", "\\>")


def chart(fig, key: str, **kwargs):
    """st.plotly_chart with the app's config; `key` must be unique and stable."""
    return st.plotly_chart(fig, key=key, config=PLOTLY_CONFIG, **kwargs)


def look_for(markdown: str, title: str = "What to look for") -> None:
    """The short note beside a chart: what the picture shows and why it matters."""
    with st.container(border=True):
        st.markdown(f"**{title}**\n\n{markdown}")


def chart_with_note(fig, key: str, note: str, ratio=(3, 1)) -> None:
    """A chart with its "what to look for" note in a narrow column on the right."""
    left, right = st.columns(list(ratio), gap="medium")
    with left:
        chart(fig, key)
    with right:
        look_for(note)


def nonfinite_warning(values, what: str = "The network's values") -> bool:
    """st.warning (and True) when `values` (a Trace, or a bool mask over t) hold inf/NaN."""
    mask = values.nonfinite if hasattr(values, "nonfinite") else np.asarray(values, dtype=bool)
    if not mask.any():
        return False
    first = int(np.argmax(mask)) + 1
    st.warning(
        f"{what} overflowed to inf/NaN at {int(mask.sum())} of {mask.size} steps (first at "
        f"t = {first}). Those steps are left blank in the charts: lower the init scale or "
        "the spectral radius to get finite numbers."
    )
    return True


def safe_markdown_html(html: str) -> None:
    """Show HTML built by `rnnviz.figures` (every user character is an escaped entity).

    Never pass text that came from a user without escaping it with
    `rnnviz.figures.common.escape_all` first.
    """
    st.markdown(html, unsafe_allow_html=True)


def text_box(label: str, key: str, default: str) -> str:
    """A text box kept across pages; returns its text cut to MAX_CHARS (with a notice)."""
    raw = st.text_input(label, value=default, key=key, persist_state="session",
                        help=f"Up to {MAX_CHARS} characters are read.")
    text, n = clip_text(raw)
    if n > MAX_CHARS:
        st.warning(f"{n:,} characters: only the first {MAX_CHARS} are read.")
    return text


def unknown_words_note(steps) -> None:
    """A caption naming the tokens the model reads as <UNK> (it has never seen them), so a
    confident output on an unknown word is not mistaken for knowledge."""
    unknown = sorted({w for w, u in zip(steps.labels, steps.unk, strict=True) if u})
    if unknown:
        words = ", ".join(literal(w) for w in unknown)
        st.caption(f"Outside the model's vocabulary, read as \\<UNK\\> (every unknown word "
                   f"looks the same to it): {words}.")


def literal(text: str) -> str:
    """User text shown as itself in Markdown: every ASCII punctuation character is
    backslash-escaped, so no tag, link or emphasis can take effect."""
    return "".join("\\" + c if c.isascii() and not c.isalnum() and not c.isspace() else c
                   for c in str(text))
