"""The models that ship inside the package (rnnviz/pretrained/: .npz weights + .json card +
.md card), each trained by this repository's code (`python -m rnnviz.train NAME`)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from rnnviz.core.model import Model
from rnnviz.data.heldout import PRETRAINED_DIR  # one definition: the held-out text ships there too
from rnnviz.models.inuse import CLASSES, ModelInUse
from rnnviz.text import Vocab

PRETRAINED = ("char-lm-rnn", "char-lm-gru", "char-lm-lstm", "ner-lstm", "ner-bilstm",
              "sentiment-lstm", "char-lm-gru-2layer")


def list_pretrained() -> list[str]:
    """Names of the shipped models that are present (in a fixed order)."""
    return [n for n in PRETRAINED if (PRETRAINED_DIR / f"{n}.npz").exists()]


@lru_cache(maxsize=None)
def shipped_kind(name: str) -> str:
    """The kind ("char_lm", "tagger", "classifier") a shipped model's card records, read from
    its JSON card without loading the weights (the sidebar names every choice with it)."""
    if name not in PRETRAINED:
        raise KeyError(f"unknown pretrained model {name!r}; choose from {list(PRETRAINED)}")
    return json.loads((PRETRAINED_DIR / f"{name}.json").read_text())["kind"]


def from_checkpoint(path: str | Path, name: str | None = None) -> ModelInUse:
    """The model in use saved at `path` (.npz + .json card, optional .md card), read-only."""
    path = Path(path)
    model, card = Model.load(path)
    md = path.with_suffix(".md")
    cls = CLASSES[card["kind"]]
    return cls(name or card.get("name", path.stem), model, Vocab.from_dict(card["vocab"]), card,
               md.read_text() if md.exists() else "").freeze()


@lru_cache(maxsize=None)
def load_pretrained(name: str) -> ModelInUse:
    """A shipped model by name (no network access). Cached per process and read-only: use
    `p.model.copy()` for a writable network."""
    if name not in PRETRAINED:
        raise KeyError(f"unknown pretrained model {name!r}; choose from {list(PRETRAINED)}")
    path = PRETRAINED_DIR / f"{name}.npz"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run `python -m rnnviz.train {name}`")
    return from_checkpoint(path, name)
