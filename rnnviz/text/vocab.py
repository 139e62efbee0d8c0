"""Tokenization with character offsets, vocabularies and the course's one-hot encoding.

A token keeps its offsets into the original string, so the app can highlight exactly the
characters behind each time step t. A `Vocab` maps tokens to indices (index 0 is `<UNK>`,
index 1 is `<EOS>`) and builds x as one-hot column vectors of shape (n_x, m, T_x), n_x = |V|.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Literal, NamedTuple

import numpy as np

UNK = "<UNK>"
EOS = "<EOS>"
UNK_ID = 0
EOS_ID = 1
SPECIALS = (UNK, EOS)

Kind = Literal["char", "word"]
KINDS = ("char", "word")

# Apostrophes stay inside words ("don't", "O'Keeffe"); the typographic one is common in prose.
_APOSTROPHES = frozenset("'\u2019")


class Token(NamedTuple):
    """A token and where it came from: `source[start:end] == text`."""

    text: str
    start: int
    end: int


def tokenize_chars(text: str) -> list[Token]:
    """One token per code point (whitespace and control characters included)."""
    return [Token(ch, i, i + 1) for i, ch in enumerate(text)]


@lru_cache(maxsize=4096)
def _char_class(ch: str) -> str:
    """Classify one code point as "word", "space" or "other"."""
    if ch.isspace():
        return "space"
    # Letters, numbers and combining marks (so "e" + U+0301 stays one word).
    if unicodedata.category(ch)[0] in "LNM" or ch in _APOSTROPHES:
        return "word"
    return "other"


def tokenize_words(text: str) -> list[Token]:
    """Runs of letters/digits/apostrophes are words; every other non-space character is a token.

    >>> [t.text for t in tokenize_words("He said, Teddy's bears!")]
    ['He', 'said', ',', "Teddy's", 'bears', '!']
    """
    tokens = []
    start = 0
    for cls, run in itertools.groupby(text, key=_char_class):
        length = sum(1 for _ in run)
        if cls == "word":
            tokens.append(Token(text[start : start + length], start, start + length))
        elif cls == "other":
            tokens.extend(Token(text[i], i, i + 1) for i in range(start, start + length))
        start += length
    return tokens


_TOKENIZERS = {"char": tokenize_chars, "word": tokenize_words}


def _token_texts(text: str, kind: Kind) -> Iterable[str]:
    """The token strings of `text`, without building `Token`s."""
    # A str iterates over its code points, i.e. its char tokens: ~5x faster on long texts.
    return text if kind == "char" else [t.text for t in tokenize_words(text)]


class Vocab:
    """Token <-> index mapping with `<UNK>` at index 0 and `<EOS>` at index 1.

    `kind` is "char" or "word"; with `lowercase=True` tokens are lowercased before lookup.
    Tokenization can never produce a special token, so `<UNK>` and `<EOS>` cannot collide
    with text.
    """

    def __init__(self, itos: Sequence[str], kind: Kind = "char", lowercase: bool = False):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if tuple(itos[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"itos must start with {SPECIALS}, got {list(itos[:2])}")
        if len(set(itos)) != len(itos):
            raise ValueError("itos contains duplicate tokens")
        self.kind: Kind = kind
        self.lowercase = bool(lowercase)
        self.itos: list[str] = list(itos)
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(self.itos)}

    @classmethod
    def build(
        cls,
        texts: str | Iterable[str],
        kind: Kind = "char",
        min_count: int = 1,
        max_size: int | None = None,
        lowercase: bool = False,
    ) -> Vocab:
        """Vocabulary of the tokens seen in `texts`, most frequent first (ties by token).

        Tokens seen fewer than `min_count` times are left out (they encode to `<UNK>`);
        `max_size` caps `len(vocab)`, the two special tokens included.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if max_size is not None and max_size < len(SPECIALS):
            raise ValueError(f"max_size must be at least {len(SPECIALS)}")
        if isinstance(texts, str):
            texts = [texts]
        counts: Counter[str] = Counter()
        for text in texts:
            tokens = _token_texts(text, kind)
            counts.update(map(str.lower, tokens) if lowercase else tokens)
        ranked = sorted(
            (tok for tok, c in counts.items() if c >= min_count and tok not in SPECIALS),
            key=lambda tok: (-counts[tok], tok),
        )
        if max_size is not None:
            ranked = ranked[: max_size - len(SPECIALS)]
        return cls([*SPECIALS, *ranked], kind=kind, lowercase=lowercase)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and self._key(token) in self.stoi

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return (self.kind, self.lowercase, self.itos) == (other.kind, other.lowercase, other.itos)

    def __repr__(self) -> str:
        return f"Vocab(kind={self.kind!r}, size={len(self)}, lowercase={self.lowercase})"

    def _key(self, token: str) -> str:
        return token.lower() if self.lowercase else token

    def _ids(self, texts: Iterable[str], add_eos: bool) -> np.ndarray:
        if self.lowercase:
            texts = map(str.lower, texts)
        get = self.stoi.get
        ids = [get(t, UNK_ID) for t in texts]
        if add_eos:
            ids.append(EOS_ID)
        return np.array(ids, dtype=np.int64)

    def tokens(self, text: str) -> list[Token]:
        """Tokens of `text` with offsets into `text` (original case, even if lowercase)."""
        return _TOKENIZERS[self.kind](text)

    def encode_tokens(self, tokens: Iterable[str | Token], add_eos: bool = False) -> np.ndarray:
        """Indices of `tokens` (strings or `Token`s); unknown tokens map to `UNK_ID`."""
        return self._ids((t.text if isinstance(t, Token) else t for t in tokens), add_eos)

    def encode(self, text: str, add_eos: bool = False) -> np.ndarray:
        """Indices of the tokens of `text`, shape (T_x,); never raises on unknown input."""
        return self._ids(_token_texts(text, self.kind), add_eos)

    def decode(self, ids: Iterable[int] | np.ndarray) -> str:
        """Text of `ids`: characters concatenated, words joined by single spaces.

        Special tokens are written by name (`<UNK>`, `<EOS>`); negative ids (padding) are skipped.
        """
        ids = np.asarray(ids, dtype=np.int64).ravel()
        if ids.size and ids.max() >= len(self):
            raise ValueError(f"id {ids.max()} out of range for a vocabulary of {len(self)}")
        symbols = [self.itos[i] for i in ids.tolist() if i >= 0]
        return ("" if self.kind == "char" else " ").join(symbols)

    def is_unk(self, ids: int | np.ndarray) -> bool | np.ndarray:
        """True where `ids` is the `<UNK>` index (a bool for a scalar, else a bool array)."""
        mask = np.asarray(ids) == UNK_ID
        return bool(mask) if mask.ndim == 0 else mask

    def one_hot(self, ids: Sequence[int] | np.ndarray, dtype: Any = np.float32) -> np.ndarray:
        """The course's x: one-hot column vectors, shape (n_x, m, T_x) with n_x = len(vocab).

        `ids` is (T_x,) (then m = 1) or (m, T_x). A negative id (padding) gives an all-zero
        column, so padded steps feed no input.
        """
        ids = np.asarray(ids)
        if ids.ndim == 1:
            ids = ids[None, :]
        if ids.ndim != 2:
            raise ValueError(f"ids must be (T_x,) or (m, T_x), got shape {ids.shape}")
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"ids must be integers, got {ids.dtype}")
        ids = ids.astype(np.int64, copy=False)
        if ids.size and ids.max() >= len(self):
            raise ValueError(f"id {ids.max()} out of range for a vocabulary of {len(self)}")
        m, T_x = ids.shape
        x = np.zeros((len(self), m, T_x), dtype=dtype)
        example, t = np.nonzero(ids >= 0)
        x[ids[example, t], example, t] = 1
        return x

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description; `Vocab.from_dict(v.to_dict()) == v`."""
        return {"kind": self.kind, "lowercase": self.lowercase, "itos": list(self.itos)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocab:
        return cls(data["itos"], kind=data["kind"], lowercase=data["lowercase"])
