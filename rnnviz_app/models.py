"""One interface over the shipped models and random-weight models (no Streamlit here).

A page never needs to know whether the sidebar picked ``char-lm-lstm`` or "random GRU":
``LoadedModel.steps(text)`` says what the network reads at each step t and what it should
predict there; ``LoadedModel.trace(text)`` runs the forward pass.

Char LMs. Step t reads character t and ŷ<t> is the distribution of character t+1, so the
last step has no target (nothing follows the sentence; the shipped LMs never learned an end
symbol). For a loss, `training_steps` uses the language-model pair of the seed, x = the
sentence without its last character and y<t> = x<t+1>: every step has a target, the last
step predicts the last character. A shipped LM starts from the state it reaches after
reading its start symbol (``p.start``), as in training; a random model from a<0> = 0.

Taggers and classifiers. There are no labels for a sentence the user types, so the
backward pass uses the model's own most likely class as the target (``target_note`` says
so); a classifier (many-to-one head) has a target at T_x only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model, RNNConfig
from rnnviz.data.corpus import CHARSET
from rnnviz.text import EOS, SPECIALS, UNK, UNK_ID, Vocab

START_LABEL = "⟨start⟩"
KINDS = ("char_lm", "tagger", "classifier")


def random_vocab() -> Vocab:
    """The characters of the char-LM corpus (printable ASCII and newline), plus the specials:
    anything else (emoji, accents, RTL scripts) reads as <UNK>, as in the shipped LMs."""
    return Vocab([*SPECIALS, *CHARSET], kind="char")


@dataclass(frozen=True)
class Steps:
    """What a model reads and predicts at each step t = 1..T_x (index t-1)."""

    x: np.ndarray                      # (n_x, 1, T_x) one-hot input, model dtype
    ids: np.ndarray                    # (T_x,) vocabulary index read at step t
    labels: tuple[str, ...]            # the token read at step t, as typed (⟨start⟩ for a BOS)
    spans: tuple[tuple[int, int] | None, ...]  # where that token is in the text
    unk: np.ndarray                    # (T_x,) True where the token is not in the vocabulary
    targets: np.ndarray                # (T_x,) class the step should predict; -1 = none
    target_labels: tuple[str, ...]     # display label of each target ("" where none)
    target_note: str                   # one sentence on how the targets were chosen

    @property
    def T_x(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True)
class Backward:
    """One BPTT run: the loss, parameter gradients and the per-step BackwardTrace."""

    loss: float
    grads: dict
    btrace: Any
    y: np.ndarray           # the targets passed to Model.backward
    at: str                 # "all" (L = Σ_t L<t>) or "last" (L<T_x> only)
    steps: Steps | None = None    # what the loss was computed on (`training_steps`)
    trace: Any = None             # the forward pass of those steps


def freeze(*objs) -> None:
    """Mark every array inside traces, tapes, dicts and models read-only (shared caches)."""
    stack = list(objs)
    seen = set()
    while stack:
        o = stack.pop()
        if id(o) in seen or o is None:
            continue
        seen.add(id(o))
        if isinstance(o, np.ndarray):
            o.flags.writeable = False
        elif isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, (list, tuple)):
            stack.extend(v for v in o if isinstance(v, (np.ndarray, dict, list, tuple)))
        elif isinstance(o, Model):
            stack.append(o.params)
        elif dataclasses.is_dataclass(o) and not isinstance(o, type):
            stack.extend(getattr(o, f.name) for f in dataclasses.fields(o))


class LoadedModel:
    """A model with its vocabulary and what its outputs mean. Construct with `random` or
    `from_pretrained`."""

    def __init__(self, name: str, label: str, kind: str, model: Model, vocab: Vocab,
                 output_labels: list[str], pretrained: Any = None, card_markdown: str = "",
                 state0: Any = None):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.name = name
        self.label = label
        self.kind = kind
        self.model = model
        self.vocab = vocab
        self.output_labels = list(output_labels)
        self.pretrained = pretrained
        self.card_markdown = card_markdown
        self.state0 = state0    # the State the forward pass starts from (None: zeros)

    def __repr__(self) -> str:
        return f"LoadedModel({self.name!r}, kind={self.kind!r}, config={self.model.config})"

    @property
    def config(self) -> RNNConfig:
        return self.model.config

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def random(cls, cell="lstm", bidirectional=False, n_a=32, seed=0, init_scale=1.0,
               dtype="float32") -> LoadedModel:
        """A char LM with random weights over `random_vocab()`."""
        vocab = random_vocab()
        n = len(vocab)
        cfg = RNNConfig(cell=cell, n_x=n, n_a=int(n_a), n_y=n, bidirectional=bool(bidirectional),
                        dtype=dtype)
        model = Model.init(cfg, rng=np.random.default_rng(int(seed)),
                           init=InitConfig(scale=float(init_scale)))
        bi = "bidirectional " if bidirectional else ""
        label = f"random {bi}{cell.upper()} (n_a = {n_a}, seed {seed}, scale {init_scale:g})"
        return cls("random", label, "char_lm", model, vocab, list(vocab.itos))

    @classmethod
    def from_pretrained(cls, name: str, p: Any) -> LoadedModel:
        """Wrap the object returned by `rnnviz.load_pretrained(name)`."""
        kind = p.kind
        card = getattr(p, "card", {}) or {}
        vocab = p.vocab
        model = p.model
        n_y = model.config.n_y
        labels = (getattr(p, "labels", None) or getattr(p, "tags", None)
                  or card.get("labels") or card.get("tags") or card.get("classes"))
        if kind == "char_lm":
            output_labels = list(vocab.itos)
        elif labels is not None and len(labels) == n_y:
            output_labels = [str(s) for s in labels]
        elif kind == "tagger" and n_y == 2:
            output_labels = ["other", "name"]
        else:
            output_labels = [f"class {k}" for k in range(n_y)]
        # A shipped char LM is primed: a<0> is the state after reading its start symbol.
        start = getattr(p, "start", None) if kind == "char_lm" else None
        state0 = start[1] if isinstance(start, tuple) and len(start) == 2 else None
        title = card.get("title") or name
        return cls(name, str(title), kind, model, vocab, output_labels, pretrained=p,
                   card_markdown=getattr(p, "card_markdown", "") or "", state0=state0)

    # -- steps and forward --------------------------------------------------------------------

    def steps(self, text: str) -> Steps:
        """What each step reads and predicts for `text` (ValueError when there is no step)."""
        vocab = self.vocab
        toks = vocab.tokens(text)
        ids = [int(i) for i in vocab.encode_tokens(toks)]
        labels = [t.text for t in toks]
        spans: list[tuple[int, int] | None] = [(t.start, t.end) for t in toks]
        if not ids:
            raise ValueError("the text has no tokens: type a sentence")
        ids_arr = np.array(ids, dtype=np.int64)
        unk = np.array([s is not None and i == UNK_ID for i, s in zip(ids, spans, strict=True)])
        x = vocab.one_hot(ids_arr, dtype=self.model.config.dtype)
        T = len(ids)
        if self.kind == "char_lm":
            # ŷ<t> predicts what step t+1 reads; nothing follows the last character.
            targets = np.array([*ids[1:], -1], dtype=np.int64)
            note = ("Targets: the next character at each step (the last character has no "
                    "next one).")
        else:
            y_hat = self.model.forward(x, state0=self.state0)["y_hat"][:, 0, :]
            guess = np.argmax(y_hat, axis=0).astype(np.int64)
            if self.config.head == "many_to_many":
                targets = guess
                note = ("Targets: there are no labels for your sentence, so each step's target "
                        "is the model's own most likely tag.")
            else:
                targets = np.full(T, -1, dtype=np.int64)
                targets[-1] = guess[-1]
                note = ("Target: there is no label for your sentence, so the loss uses the "
                        "model's own most likely class at T_x.")
        target_labels = tuple(self.output_labels[int(k)] if k >= 0 else "" for k in targets)
        return Steps(x=x, ids=ids_arr, labels=tuple(labels), spans=tuple(spans), unk=unk,
                     targets=targets, target_labels=target_labels, target_note=note)

    def training_steps(self, text: str) -> Steps:
        """The steps a loss is computed on. Char LM: x = text without its last character,
        y<t> = x<t+1> (every step has a target); ValueError below two characters. Other
        models: `steps(text)`."""
        full = self.steps(text)
        if self.kind != "char_lm":
            return full
        T = full.T_x - 1
        if T < 1:
            raise ValueError("a language-model loss needs at least two characters")
        targets = full.ids[1:].copy()
        return Steps(x=full.x[:, :, :T], ids=full.ids[:T], labels=full.labels[:T],
                     spans=full.spans[:T], unk=full.unk[:T], targets=targets,
                     target_labels=tuple(self.output_labels[int(k)] for k in targets),
                     target_note=("The language-model pair of the course notes: x = your "
                                  "sentence without its last character, y<t> = x<t+1>, so "
                                  "the last step predicts the last character."))

    def trace(self, text: str, steps: Steps | None = None):
        steps = steps if steps is not None else self.steps(text)
        return self.model.forward(steps.x, state0=self.state0, tokens=list(steps.labels))

    def backward(self, steps: Steps, trace, at: str = "all") -> Backward:
        """BPTT for the targets in `steps`: L = Σ_t L<t> ("all") or L<T_x> ("last")."""
        head = self.config.head
        if head == "many_to_many":
            y = steps.targets[None, :]
        else:
            y = steps.targets[-1:]
            at = "last"
        loss, grads, btrace = self.model.backward(trace, y, at=at)
        return Backward(loss=float(loss), grads=grads, btrace=btrace, y=y, at=at, steps=steps,
                        trace=trace)


__all__ = ["LoadedModel", "Steps", "Backward", "freeze", "random_vocab", "START_LABEL",
           "UNK", "EOS"]
