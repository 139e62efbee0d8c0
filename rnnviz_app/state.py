"""Widget keys, defaults and the hashable model choice that keys every cache.

No Streamlit here: the sidebar (``ui.sidebar``) reads and writes ``st.session_state`` with
these keys; everything else receives a ``ModelSpec`` and a string.
"""

from __future__ import annotations

from dataclasses import dataclass

# Sentences longer than this are cut (with a notice): every page stays fast and its
# payload small, and a character model of a few hundred steps is already a long read.
MAX_CHARS = 300
# Docstring-like, so the shipped char LMs (trained on stdlib docstrings) read it well.
DEFAULT_SENTENCE = "Return the number of items in the list."
RANDOM = "random"
DEFAULT_PRETRAINED = "char-lm-lstm"
CELLS = ("rnn", "gru", "lstm")
CELL_NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}

# Widget keys: unique and stable, so tests and pages can address them.
KEY_MODEL = "sidebar.model"
KEY_CELL = "sidebar.cell"
KEY_BIDIRECTIONAL = "sidebar.bidirectional"
KEY_N_A = "sidebar.n_a"
KEY_SEED = "sidebar.seed"
KEY_INIT_SCALE = "sidebar.init_scale"
KEY_SENTENCE = "sidebar.sentence"

# Ranges of the random-weight controls (the sidebar's widgets and ModelSpec both use them).
N_A_RANGE = (2, 128)
SEED_RANGE = (0, 2**31 - 1)
INIT_SCALE_RANGE = (0.1, 3.0)

RANDOM_DEFAULTS = {
    KEY_CELL: "lstm",
    KEY_BIDIRECTIONAL: False,
    KEY_N_A: 32,
    KEY_SEED: 0,
    KEY_INIT_SCALE: 1.0,
}


@dataclass(frozen=True)
class ModelSpec:
    """Which model the sidebar selected. Hashable: it (with the text) keys the caches."""

    name: str = RANDOM           # "random" or a shipped model's name
    cell: str = "lstm"           # random weights: "rnn" | "gru" | "lstm"
    bidirectional: bool = False  # random weights: two directions
    n_a: int = 32                # random weights: hidden units per direction
    seed: int = 0                # random weights: np.random.default_rng(seed)
    init_scale: float = 1.0      # random weights: InitConfig.scale of the recurrent blocks

    @property
    def is_random(self) -> bool:
        return self.name == RANDOM

    def normalized(self) -> ModelSpec:
        """Clamp the random-weight fields to their ranges; a shipped model keeps only its name,
        so changing a hidden random-weight widget never invalidates its cache."""
        if not self.is_random:
            return ModelSpec(name=self.name)
        cell = self.cell if self.cell in CELLS else "lstm"
        return ModelSpec(
            name=RANDOM,
            cell=cell,
            bidirectional=bool(self.bidirectional),
            n_a=int(min(max(int(self.n_a), N_A_RANGE[0]), N_A_RANGE[1])),
            seed=int(min(max(int(self.seed), SEED_RANGE[0]), SEED_RANGE[1])),
            init_scale=round(
                float(min(max(float(self.init_scale), INIT_SCALE_RANGE[0]), INIT_SCALE_RANGE[1])),
                4,
            ),
        )

    def label(self) -> str:
        if not self.is_random:
            return self.name
        bi = "bidirectional " if self.bidirectional else ""
        return f"random {bi}{CELL_NAMES[self.cell]}, n_a = {self.n_a}, seed {self.seed}"


def clip_text(text: str | None, limit: int = MAX_CHARS) -> tuple[str, int]:
    """(text cut to `limit` characters, original length). None counts as empty."""
    text = text or ""
    return text[:limit], len(text)
