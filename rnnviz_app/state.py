"""Widget keys and defaults of the shared sidebar (no Streamlit here, no logic beyond clipping).

The sidebar (``rnnviz_app.sidebar``) reads and writes ``st.session_state`` with these keys;
everything else receives a `rnnviz.models.ModelSpec` and a string.
"""

from __future__ import annotations

from rnnviz.models.spec import (  # noqa: F401  (re-exported for the sidebar and the tests)
    CELL_NAMES,
    CELLS,
    INIT_SCALE_RANGE,
    N_A_RANGE,
    RANDOM,
    SEED_RANGE,
    ModelSpec,
)

# Sentences longer than this are cut (with a notice): every page stays fast and its
# payload small, and a character model of a few hundred steps is already a long read.
MAX_CHARS = 300
# Docstring-like, so the shipped char LMs (trained on stdlib docstrings) read it well.
DEFAULT_SENTENCE = "Return the number of items in the list."
DEFAULT_PRETRAINED = "char-lm-lstm"

# Widget keys: unique and stable, so tests and pages can address them.
KEY_MODEL = "sidebar.model"
KEY_CELL = "sidebar.cell"
KEY_BIDIRECTIONAL = "sidebar.bidirectional"
KEY_N_A = "sidebar.n_a"
KEY_SEED = "sidebar.seed"
KEY_INIT_SCALE = "sidebar.init_scale"
KEY_SENTENCE = "sidebar.sentence"
KEY_CARD = "sidebar.card"          # the model card's expander (open or closed)
# Session state (not a widget): name -> ModelInUse of the models that live in this session.
KEY_SESSION_MODELS = "rnnviz.session_models"
# Session state: the last model choice that loaded (the sidebar goes back to it when a choice
# cannot be loaded).
KEY_LAST_GOOD = "rnnviz.last_good_model"

RANDOM_DEFAULTS = {
    KEY_CELL: "lstm",
    KEY_BIDIRECTIONAL: False,
    KEY_N_A: 32,
    KEY_SEED: 0,
    KEY_INIT_SCALE: 1.0,
}


def clip_text(text: str | None, limit: int = MAX_CHARS) -> tuple[str, int]:
    """(text cut to `limit` characters, original length). None counts as empty."""
    text = text or ""
    return text[:limit], len(text)
