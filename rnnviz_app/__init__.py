"""The Streamlit shell of rnnviz: the frame, the shared sidebar, cached loaders and widgets.

Only this package, ``app.py`` and ``pages/`` import Streamlit; ``rnnviz`` never does. The
models, their spec and the route from text to trace live in ``rnnviz.models``. Importing this
package changes nothing in the process: the first script run sets the server up
(``rnnviz_app.shell``).

This module's names are what the pages use (``import rnnviz_app as ui``), and nothing more; a
page's own wiring lives in its view module (``rnnviz_app.<page>_view``). A page is one
``render()`` function::

    import streamlit as st
    import rnnviz_app as ui

    @ui.cache_figure                       # shared by sessions, keyed by model and reading
    def _figure(model, reading, unit):
        return some_figure(reading.trace, unit)

    def render():
        ui.ensure_frame()
        ctx = ui.page_context()            # sidebar choice + sentence; stops with a hint if empty
        ui.chart_with_note(_figure(ctx.model, ctx.reading, 0), key="mypage.chart", note="...")

    render()

Frame (``rnnviz_app.shell``): ``run_app()`` (app.py), ``ensure_frame()``.
Sidebar (``rnnviz_app.sidebar``): ``page_context(require_text=True)`` -> ``.spec``
(rnnviz.models.ModelSpec), ``.model`` (ModelInUse), ``.text``, ``.raw_length``, ``.steps``,
``.reading``; ``current_spec()``, ``current_text()``, ``sidebar_text``.
Loaders (``rnnviz_app.loaders``; small keys, shared read-only results): the model, its reading
and backward pass (``get_model``, ``get_reading``, ``get_trace``,
``get_backward``, ``get_da_split``, ``get_sensitivity``), the
shipped models (``shipped_models``, ``load_shipped``, ``load_lm``, ``missing_models``,
``lm_choices``, ``add_session_model``), sampling (``get_sample``) and the Units page's corpus
readings (``get_heldout``, ``get_corpus_facts``, ``get_corpus_trace``, ``get_unit_scores``,
``get_best_units``, ``get_sentence_trace``, ``get_saturation``).
Widgets (``rnnviz_app.widgets``): the chart element (``chart``, ``chart_with_note``), the
step counter (``step_controls``, ``play_button``, ``browser_play``), ``cache_figure`` and
the small pieces every page shares.
"""

from rnnviz.models import ModelSpec
from rnnviz_app.loaders import (
    add_session_model,
    get_backward,
    get_best_units,
    get_corpus_facts,
    get_corpus_trace,
    get_da_split,
    get_heldout,
    get_model,
    get_reading,
    get_sample,
    get_saturation,
    get_sensitivity,
    get_sentence_trace,
    get_trace,
    get_unit_scores,
    lm_choices,
    load_lm,
    load_shipped,
    missing_models,
    shipped_models,
)
from rnnviz_app.shell import ensure_frame, run_app
from rnnviz_app.sidebar import current_spec, current_text, page_context, sidebar_text
from rnnviz_app.widgets import (
    PLAY_SECONDS,
    best_unit_picker,
    browser_play,
    cache_figure,
    chart,
    chart_with_note,
    corpus_picker,
    download_trace,
    equations,
    keep_valid,
    layer_picker,
    lazy_tabs,
    literal,
    lm_picker,
    look_for,
    md,
    metrics_row,
    nonfinite_warning,
    play_button,
    preset_pair,
    safe_markdown_html,
    span_slider,
    step_controls,
    table,
    text,
    text_box,
    unknown_words_note,
)

__all__ = [
    "ModelSpec",
    "add_session_model", "get_backward", "get_best_units",
    "get_corpus_facts", "get_corpus_trace", "get_da_split", "get_heldout", "get_model",
    "get_reading", "get_sample",
    "get_saturation", "get_sensitivity", "get_sentence_trace",
    "get_trace", "get_unit_scores", "lm_choices", "load_lm", "load_shipped", "missing_models",
    "shipped_models",
    "ensure_frame", "run_app",
    "current_spec", "current_text", "page_context", "sidebar_text",
    "PLAY_SECONDS", "best_unit_picker", "browser_play", "cache_figure", "chart",
    "chart_with_note", "corpus_picker", "download_trace", "equations", "keep_valid",
    "layer_picker", "lazy_tabs", "literal", "lm_picker", "look_for", "md", "metrics_row",
    "nonfinite_warning", "play_button", "preset_pair", "safe_markdown_html",
    "span_slider", "step_controls", "table", "text", "text_box", "unknown_words_note",
]  # fmt: skip
