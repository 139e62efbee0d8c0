"""Streamlit glue shared by every page: the sidebar, session state and cached loaders.

Only this package, ``app.py`` and ``pages/`` import Streamlit; ``rnnviz`` never does.

A page is a few lines::

    import streamlit as st
    import ui

    ctx = ui.page_context()            # sidebar choice + sentence; stops with a hint if empty
    trace = ui.get_trace(ctx.spec, ctx.text)          # cached, read-only arrays
    st.plotly_chart(some_figure(trace, ...), key="mypage.chart")
    ui.look_for("**What to look for.** ...")          # the box beside each chart

API (stable; other pages rely on it)
-----------------------------------
Sidebar and state (``ui.sidebar``, ``ui.state``)
    ``ui.render_sidebar()``   called once per run by app.py, before the page runs.
    ``ui.ensure_frame()``     a page that does not call page_context() should call this first:
        it makes sure app.py's navigation and sidebar ran (see ui.sidebar.ensure_frame).
    ``ui.page_context(require_text=True) -> PageContext``
        ``.spec`` (ModelSpec), ``.model`` (LoadedModel), ``.text`` (the sentence after
        truncation to ``MAX_CHARS``), ``.raw_length``, ``.truncated``. Shows the truncation
        notice; with ``require_text`` and an empty sentence it shows ``st.info`` and calls
        ``st.stop()``.
    ``ui.current_spec() -> ModelSpec``  and  ``ui.current_text() -> (text, raw_length)``
        without any output, for pages that lay out their own notices.
    ``ui.ModelSpec``  frozen, hashable: ``name`` ("random" or a shipped name such as
        "char-lm-lstm"), ``cell`` ("rnn"|"gru"|"lstm"), ``bidirectional``, ``n_a``, ``seed``,
        ``init_scale``. For a shipped model only ``name`` matters (the rest is normalised).
    Constants: ``MAX_CHARS`` (300: longer sentences are cut, with a visible notice),
        ``DEFAULT_SENTENCE``, ``RANDOM`` ("random"), ``DEFAULT_PRETRAINED`` ("char-lm-lstm"),
        widget keys ``KEY_MODEL``, ``KEY_CELL``, ``KEY_BIDIRECTIONAL``, ``KEY_N_A``,
        ``KEY_SEED``, ``KEY_INIT_SCALE``, ``KEY_SENTENCE`` (= "sidebar.sentence").

Cached loaders (``ui.loaders``; arguments are small keys, results are shared by all sessions
and must be treated as read-only: their arrays have ``flags.writeable = False``)
    ``ui.shipped_models() -> list[str]``  the shipped models that load (may be empty).
    ``ui.get_model(spec) -> LoadedModel``
    ``ui.get_steps(spec, text) -> Steps``  what each step t reads and predicts.
    ``ui.get_trace(spec, text) -> Trace``
    ``ui.get_backward(spec, text, at="all") -> Backward``  (loss, grads, btrace, y, and the
        ``steps``/``trace`` the loss was computed on: for a char LM the course's pair
        x = sentence[:-1], y<t> = x<t+1>; see ``LoadedModel.training_steps``).
    ``ui.load_shipped(name)``           a shipped model, or None when it is missing.
    ``ui.missing_models(*names)``       st.info + True when one of those models is missing.

The model adapter (``ui.models``, no Streamlit inside, unit-testable)
    ``LoadedModel``: ``.name``, ``.label``, ``.kind`` ("char_lm"|"tagger"|"classifier"),
    ``.model`` (rnnviz Model), ``.vocab`` (rnnviz Vocab), ``.pretrained`` (the object from
    ``rnnviz.load_pretrained`` or None), ``.output_labels`` (one display label per class of
    ŷ), ``.card_markdown``, ``.steps(text) -> Steps``, ``.trace(text) -> Trace``.
    ``Steps``: ``.x`` (n_x, 1, T_x), ``.labels`` (token per step), ``.ids``, ``.unk`` (bool per
    step), ``.spans`` ((start, end) into the text, or None for a start symbol), ``.targets``
    (next-token ids for a char LM, the model's own argmax otherwise; -1 = no target),
    ``.target_note`` (how the targets were chosen, for the page).

Small widgets (``ui.widgets``)
    ``ui.look_for(markdown)``           the "what to look for" note beside a chart.
    ``@ui.cache_figure``                st.cache_resource for a page's figure builders, called
                                        with small arguments (spec, text, options).
    ``ui.chart(fig, key)``              st.plotly_chart with the app's config (no logo).
    ``ui.chart_with_note(fig, key, note)`` the chart and its note side by side (3:1).
    ``ui.nonfinite_warning(trace_or_bool, what)`` st.warning when values overflowed.
    ``ui.safe_markdown_html(html)``     st.markdown(unsafe_allow_html=True) for HTML built by
                                        ``rnnviz.figures`` escapers only (never raw user text).
    ``ui.widgets.md(text)``             escape < and > so a<t> survives Markdown.
    ``ui.text_box(label, key, default)`` a text box kept across pages, cut to MAX_CHARS with a
                                        notice.
    ``ui.keep_valid(key, options, default)`` call before a selectbox/radio whose options can
                                        change between runs (the browser resends stale values).

Importing ``rnnviz_app`` limits NumPy's OpenBLAS to one thread (``ui.runtime``): many sessions of
small matrices run faster without BLAS threads fighting for the cores.
"""

from rnnviz_app.loaders import (
    get_backward,
    get_model,
    get_steps,
    get_trace,
    load_shipped,
    missing_models,
    shipped_models,
)
from rnnviz_app.models import Backward, LoadedModel, Steps
from rnnviz_app.runtime import limit_blas_threads
from rnnviz_app.sidebar import (
    PageContext,
    current_spec,
    current_text,
    ensure_frame,
    page_context,
    render_sidebar,
)
from rnnviz_app.state import (
    DEFAULT_PRETRAINED,
    DEFAULT_SENTENCE,
    KEY_BIDIRECTIONAL,
    KEY_CELL,
    KEY_INIT_SCALE,
    KEY_MODEL,
    KEY_N_A,
    KEY_SEED,
    KEY_SENTENCE,
    MAX_CHARS,
    RANDOM,
    ModelSpec,
)
from rnnviz_app.widgets import (
    cache_figure,
    chart,
    chart_with_note,
    keep_valid,
    look_for,
    nonfinite_warning,
    safe_markdown_html,
    text_box,
)

# One BLAS thread per process: many sessions of small matrices (see ui.runtime).
limit_blas_threads(1)

__all__ = [
    "Backward", "LoadedModel", "Steps", "PageContext", "ModelSpec",
    "render_sidebar", "ensure_frame", "page_context", "current_spec", "current_text",
    "shipped_models", "load_shipped", "missing_models",
    "get_model", "get_steps", "get_trace", "get_backward",
    "look_for", "cache_figure", "chart", "chart_with_note", "keep_valid", "nonfinite_warning",
    "safe_markdown_html", "text_box",
    "MAX_CHARS", "DEFAULT_SENTENCE", "DEFAULT_PRETRAINED", "RANDOM",
    "KEY_MODEL", "KEY_CELL", "KEY_BIDIRECTIONAL", "KEY_N_A", "KEY_SEED", "KEY_INIT_SCALE",
    "KEY_SENTENCE",
]  # fmt: skip
