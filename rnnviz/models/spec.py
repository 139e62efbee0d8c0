"""Which model: a small, hashable description that keys every cache, and the models it names.

A `ModelSpec` names a shipped model ("char-lm-lstm"), random weights (name "random" with the
cell, direction, size, seed and init scale), or a model that lives in one session only (an
upload or a model trained in the app): name "session:<id>", resolved by the app.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model, RNNConfig
from rnnviz.data.corpus import CHARSET
from rnnviz.models.inuse import LanguageModel
from rnnviz.models.shipped import load_pretrained
from rnnviz.text import SPECIALS, Vocab

RANDOM = "random"
SESSION_PREFIX = "session:"
CELLS = ("rnn", "gru", "lstm")
CELL_NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
# Ranges of the random-weight settings (the sidebar's widgets use them too).
N_A_RANGE = (2, 128)
SEED_RANGE = (0, 2**31 - 1)
INIT_SCALE_RANGE = (0.1, 3.0)


@dataclass(frozen=True)
class ModelSpec:
    """Which model the sidebar selected. Hashable: it (with the text) keys the caches."""

    name: str = RANDOM           # "random", a shipped model's name, or "session:<id>"
    cell: str = "lstm"           # random weights: "rnn" | "gru" | "lstm"
    bidirectional: bool = False  # random weights: two directions
    n_a: int = 32                # random weights: hidden units per direction
    seed: int = 0                # random weights: np.random.default_rng(seed)
    init_scale: float = 1.0      # random weights: InitConfig.scale of the recurrent blocks

    @property
    def is_random(self) -> bool:
        return self.name == RANDOM

    @property
    def is_session(self) -> bool:
        return self.name.startswith(SESSION_PREFIX)

    def normalized(self) -> ModelSpec:
        """Clamp the random-weight fields to their ranges; any other model keeps only its name,
        so changing a hidden random-weight widget never invalidates its cache."""
        if not self.is_random:
            return ModelSpec(name=self.name)
        return ModelSpec(
            name=RANDOM,
            cell=self.cell if self.cell in CELLS else "lstm",
            bidirectional=bool(self.bidirectional),
            n_a=int(np.clip(int(self.n_a), *N_A_RANGE)),
            seed=int(np.clip(int(self.seed), *SEED_RANGE)),
            init_scale=round(float(np.clip(float(self.init_scale), *INIT_SCALE_RANGE)), 4),
        )

    def label(self) -> str:
        if not self.is_random:
            return self.name
        bi = "bidirectional " if self.bidirectional else ""
        return f"random {bi}{CELL_NAMES[self.cell]}, n_a = {self.n_a}, seed {self.seed}"


def random_vocab() -> Vocab:
    """The characters of the char-LM corpus (printable ASCII and newline), plus the specials:
    anything else (emoji, accents, RTL scripts) reads as <UNK>, as in the shipped LMs."""
    return Vocab([*SPECIALS, *CHARSET], kind="char")


def random_model(cell: str = "lstm", bidirectional: bool = False, n_a: int = 32, seed: int = 0,
                 init_scale: float = 1.0, dtype: str = "float32") -> LanguageModel:
    """An untrained char LM over `random_vocab()`, read from a<0> = 0 (no start token)."""
    vocab = random_vocab()
    n = len(vocab)
    cfg = RNNConfig(cell=cell, n_x=n, n_a=int(n_a), n_y=n, bidirectional=bool(bidirectional),
                    dtype=dtype)
    model = Model.init(cfg, rng=np.random.default_rng(int(seed)),
                       init=InitConfig(scale=float(init_scale)))
    bi = "bidirectional " if bidirectional else ""
    label = f"random {bi}{CELL_NAMES[cell]} (n_a = {n_a}, seed {seed}, scale {init_scale:g})"
    return LanguageModel(RANDOM, model, vocab, {"kind": "char_lm"}, label=label, source="random",
                  start_id=None)


def load(spec: ModelSpec):
    """The model a spec names: a shipped one (read-only, shared) or new random weights.
    A session model ("session:<id>") lives in the app's session and is resolved there."""
    spec = spec.normalized()
    if spec.is_session:
        raise KeyError(f"{spec.name!r} lives in one app session only")
    if not spec.is_random:
        return load_pretrained(spec.name)
    return random_model(spec.cell, spec.bidirectional, spec.n_a, spec.seed, spec.init_scale)


TRAINED_LMS = {"rnn": "char-lm-rnn", "gru": "char-lm-gru", "lstm": "char-lm-lstm"}


def comparison_models(weights: str = "random", *, n_a: int = 32, rho: float = 0.9,
                      activation: str = "tanh", forget_bias: float = 1.0,
                      seed: int = 0) -> dict[str, tuple[Model, Vocab]]:
    """RNN, GRU and LSTM to compare on the same input: {cell: (float64 network, vocabulary)}.

    weights="trained": the shipped char LMs. weights="random": the same vocabulary, n_a, seed
    and init family for all three (orthogonal recurrent blocks rescaled to spectral radius
    `rho`, the LSTM's forget bias `forget_bias`, the RNN's activation `activation`).
    Float64, so a gradient 300 steps back (1e-80) is not flushed to zero.
    """
    if weights == "trained":
        return {cell: (load_pretrained(name).network("float64"), load_pretrained(name).vocab)
                for cell, name in TRAINED_LMS.items()}
    if weights != "random":
        raise ValueError(f"weights must be 'random' or 'trained', got {weights!r}")
    vocab = random_vocab()
    init = InitConfig(scheme="orthogonal", spectral_radius=float(rho),
                      forget_bias=float(forget_bias))
    out = {}
    for cell in CELLS:
        cfg = RNNConfig(cell=cell, n_x=len(vocab), n_a=int(n_a), n_y=len(vocab),
                        activation=activation if cell == "rnn" else "tanh", dtype="float64")
        out[cell] = (Model.init(cfg, rng=np.random.default_rng(int(seed)), init=init), vocab)
    return out


__all__ = ["ModelSpec", "RANDOM", "SESSION_PREFIX", "CELLS", "CELL_NAMES", "N_A_RANGE",
           "SEED_RANGE", "INIT_SCALE_RANGE", "TRAINED_LMS", "random_vocab", "random_model",
           "load", "comparison_models"]
