"""The Streamlit shell of rnnviz: the frame, the shared sidebar, cached loaders and widgets.

Only this package, ``app.py`` and ``pages/`` import Streamlit; ``rnnviz`` never does. The
models, their spec and the route from text to trace live in ``rnnviz.models``.

A page is one ``render()`` function::

    import streamlit as st
    import rnnviz_app as ui

    def render():
        ctx = ui.page_context()            # sidebar choice + sentence; stops with a hint if empty
        trace = ui.get_trace(ctx.spec, ctx.text)          # cached, read-only arrays
        ui.chart_with_note(some_figure(trace), key="mypage.chart", note="...")

    render()

Frame (``rnnviz_app.shell``): ``run_app()`` (app.py), ``PAGES`` (the page table),
``ensure_frame()`` (called by ``page_context``; a page that does not call it calls this first).

Sidebar (``rnnviz_app.sidebar``): ``page_context(require_text=True) -> PageContext`` with
``.spec`` (rnnviz.models.ModelSpec), ``.model`` (ModelInUse), ``.text`` (cut to MAX_CHARS),
``.raw_length``, ``.steps``; ``current_spec()``, ``current_text()``.

Loaders (``rnnviz_app.loaders``; small keys, shared read-only results): ``get_model(spec)``,
``get_reading(spec, text, for_loss=False)`` (steps + trace, one forward pass per (spec, text)),
``get_steps``, ``get_trace``, ``get_backward(spec, text, at, targets=None)`` (targets: a
tagger's or classifier's chosen labels), ``get_btrace(spec, text, at, layer, targets)``;
``get_csv``, ``get_da_split``,
``get_dw_contributions``, ``get_gradient_check``, ``get_sample``, ``get_score``,
``get_sensitivity``, ``get_tags``, ``get_preferences``, ``lm_choices``; for the Units page
``get_heldout``, ``get_corpus_trace``, ``get_unit_scores``, ``get_pattern_matches``,
``get_sentence_trace``, ``get_comparison``, ``get_best_units``, ``get_saturation``;
``shipped_models()``, ``load_shipped(name)``, ``missing_models(*names)``;
``add_session_model(model)`` / ``session_models()`` for models that live in one session (uploads,
trained in the app).

Widgets (``rnnviz_app.widgets``): ``look_for``, ``chart``, ``chart_with_note``,
``table_with_note``, ``cache_figure``, ``keep_valid``, ``nonfinite_warning``,
``safe_markdown_html``, ``text_box``, ``sidebar_text``, ``number_table``, ``lm_picker``,
``preset_pair``, ``upload_or_paste``, ``corpus_picker``, ``best_unit_picker``, ``span_slider``,
``md``.

Importing ``rnnviz_app`` limits NumPy's OpenBLAS to one thread (``rnnviz_app.runtime``) and
keeps freed memory in the process (``rnnviz.keep_freed_memory``): the server is rnnviz's own.
"""

from rnnviz.models import Backward, ModelInUse, ModelSpec, Reading, Steps
from rnnviz_app.loaders import (
    add_session_model,
    get_backward,
    get_best_units,
    get_btrace,
    get_comparison,
    get_corpus_trace,
    get_csv,
    get_da_split,
    get_dw_contributions,
    get_gradient_check,
    get_heldout,
    get_model,
    get_pattern_matches,
    get_preferences,
    get_reading,
    get_sample,
    get_saturation,
    get_score,
    get_sensitivity,
    get_sentence_trace,
    get_steps,
    get_tags,
    get_trace,
    get_unit_scores,
    lm_choices,
    load_lm,
    load_shipped,
    missing_models,
    session_models,
    shipped_models,
)
from rnnviz_app.shell import PAGES, ensure_frame, run_app
from rnnviz_app.sidebar import (
    PageContext,
    current_spec,
    current_text,
    page_context,
    render_sidebar,
    sidebar_text,
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
)
from rnnviz_app.widgets import (
    PLAY_SECONDS,
    best_unit_picker,
    browser_play,
    cache_figure,
    chart,
    chart_with_note,
    corpus_picker,
    download_trace,
    equation,
    keep_valid,
    layer_picker,
    lazy_tabs,
    literal,
    lm_picker,
    look_for,
    md,
    metrics_row,
    nonfinite_warning,
    number_table,
    play_button,
    preset_pair,
    safe_markdown_html,
    span_slider,
    step_controls,
    table_with_note,
    text_box,
    text_pair,
    unknown_words_note,
    upload_or_paste,
)

__all__ = [
    "Backward", "ModelInUse", "Reading", "Steps", "PageContext", "ModelSpec",
    "run_app", "PAGES", "render_sidebar", "ensure_frame", "page_context", "current_spec",
    "current_text", "shipped_models", "load_lm", "load_shipped", "missing_models",
    "add_session_model", "session_models", "get_model", "get_reading", "get_steps",
    "get_trace", "get_backward", "get_btrace",
    "get_csv", "get_da_split", "get_dw_contributions", "get_gradient_check", "get_sample",
    "get_score", "get_sensitivity", "get_tags", "get_preferences", "lm_choices",
    "get_heldout", "get_corpus_trace", "get_unit_scores", "get_pattern_matches",
    "get_sentence_trace", "get_comparison", "get_best_units", "get_saturation",
    "look_for", "cache_figure", "chart", "chart_with_note", "download_trace", "equation",
    "keep_valid", "layer_picker", "lazy_tabs",
    "literal", "md", "metrics_row",
    "nonfinite_warning", "number_table", "play_button", "browser_play",
    "sidebar_text",
    "lm_picker", "preset_pair", "best_unit_picker", "corpus_picker", "span_slider",
    "upload_or_paste", "table_with_note",
    "PLAY_SECONDS", "safe_markdown_html", "step_controls",
    "text_box", "text_pair", "unknown_words_note",
    "MAX_CHARS", "DEFAULT_SENTENCE", "DEFAULT_PRETRAINED", "RANDOM",
    "KEY_MODEL", "KEY_CELL", "KEY_BIDIRECTIONAL", "KEY_N_A", "KEY_SEED", "KEY_INIT_SCALE",
    "KEY_SENTENCE",
]  # fmt: skip
