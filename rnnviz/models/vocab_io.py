"""A user's vocabulary for an imported model: tokens in index order, nothing reserved.

Formats: a JSON list, a JSON {token: index} map, or one token a line (UTF-8). Tokenizer "char":
one token per character; "word": runs of letters, digits and apostrophes are words, every
other non-space character is a token of its own, spaces separate (`rnnviz.text.tokenize_words`).
`lowercase=True` lowers the text before the lookup (for vocabularies built from lowercased
text). `tokenizer_warnings` says when a vocabulary does not look like its tokenizer's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from rnnviz.text import Vocab
from rnnviz.text.vocab import KINDS as TOKENIZERS

UNK_NAMES = ("<unk>", "<UNK>", "[UNK]", "<oov>")


class TokenVocab(Vocab):
    """A user's vocabulary: the tokens in the order of their indices, nothing reserved.

    Same interface as `rnnviz.text.Vocab` (tokens with offsets, encode, one_hot). Unknown
    tokens map to `unk_id`: the index of a token named like an unknown token (`<unk>`,
    `<UNK>`, `[UNK]`, `<oov>`) when the vocabulary has one, else -1, which one_hot turns into
    x<t> = 0 (no input at that step).
    """

    def __init__(self, itos: Sequence[str], kind: str = "char", lowercase: bool = False):
        if kind not in TOKENIZERS:
            raise ValueError(f"tokenizer must be one of {TOKENIZERS}, got {kind!r}")
        itos = [str(s) for s in itos]
        if not itos:
            raise ValueError("the vocabulary is empty: give the tokens in index order")
        seen = set()
        for i, s in enumerate(itos):
            if s in seen:
                raise ValueError(f"the vocabulary lists the token {s!r} twice (again at "
                                 f"index {i}); every index needs its own token")
            seen.add(s)
        self.kind, self.lowercase = kind, bool(lowercase)
        self.itos = itos
        self.stoi = {s: i for i, s in enumerate(itos)}
        self.unk_id = next((self.stoi[u] for u in UNK_NAMES if u in self.stoi), -1)

    def _ids(self, texts, add_eos):
        if add_eos:
            raise ValueError("this vocabulary has no end-of-sequence token")
        if self.lowercase:
            texts = map(str.lower, texts)
        get = self.stoi.get
        return np.array([get(t, self.unk_id) for t in texts], dtype=np.int64)

    def is_unk(self, ids):
        ids = np.asarray(ids)
        mask = (ids < 0) | (ids == self.unk_id)
        return bool(mask) if mask.ndim == 0 else mask

    def to_dict(self):
        return {**super().to_dict(), "reserved": False}


def _decode_utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                         f"position {exc.start}); save it as UTF-8 and try again") from None


def parse_vocab(text: str) -> list[str]:
    """Tokens in index order from a JSON list, a JSON {token: index} map, or one token a line."""
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the vocabulary looks like JSON but does not parse: {exc.msg} "
                             f"(line {exc.lineno}, column {exc.colno})") from None
        if isinstance(data, list):
            if not all(isinstance(s, str) for s in data):
                bad = next(s for s in data if not isinstance(s, str))
                raise ValueError(f"a JSON vocabulary list must hold strings; found {bad!r}")
            return data
        if isinstance(data, dict):
            return _itos_from_map(data)
    lines = text.splitlines()
    while lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise ValueError("the vocabulary is empty: give the tokens in index order")
    return lines


def _itos_from_map(stoi: Mapping) -> list[str]:
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in stoi.values()):
        bad = next(k for k, i in stoi.items() if not isinstance(i, int) or isinstance(i, bool))
        raise ValueError(f"a JSON {{token: index}} vocabulary needs integer indices; "
                         f"{bad!r} has {stoi[bad]!r}")
    n = len(stoi)
    itos: list[str | None] = [None] * n
    for token, i in stoi.items():
        if not 0 <= i < n or itos[i] is not None:
            raise ValueError(f"the {{token: index}} vocabulary must use each index 0..{n - 1} "
                             f"once; {token!r} has index {i}")
        itos[i] = str(token)
    return itos                                                     # type: ignore[return-value]


def load_vocab(vocab, tokenizer: str = "char") -> TokenVocab:
    """A `TokenVocab` from tokens in index order, a {token: index} map, a `Vocab`, bytes or an
    uploaded file (UTF-8 text, see `parse_vocab`), or a path to a JSON list, a JSON
    {token: index} map, or a text file with one token per line."""
    if isinstance(vocab, Vocab):
        return TokenVocab(vocab.itos, kind=tokenizer, lowercase=vocab.lowercase)
    if isinstance(vocab, Mapping):
        return TokenVocab(_itos_from_map(vocab), kind=tokenizer)
    if hasattr(vocab, "getvalue"):
        vocab = vocab.getvalue()
    if isinstance(vocab, bytes | bytearray):
        return TokenVocab(parse_vocab(_decode_utf8(bytes(vocab), "vocabulary file")),
                          kind=tokenizer)
    if isinstance(vocab, str | os.PathLike):
        path = Path(vocab)
        if not path.is_file():
            raise ValueError(f"vocabulary file not found: {str(path)!r} (or pass the tokens "
                             "as a list)")
        return TokenVocab(parse_vocab(_decode_utf8(path.read_bytes(), "vocabulary file")),
                          kind=tokenizer)
    if isinstance(vocab, Sequence):
        return TokenVocab(list(vocab), kind=tokenizer)
    raise ValueError(f"vocab must be a list of tokens or a path, got {type(vocab).__name__}")


def tokenizer_warnings(voc: TokenVocab) -> list[str]:
    """Plain sentences when the vocabulary does not look like its tokenizer's: multi-character
    tokens read with "char" (they can never match a single character), or a vocabulary of
    single characters read with "word" (every word longer than one character is unknown)."""
    special = set(UNK_NAMES)
    tokens = [t for t in voc.itos if t not in special and (t[:1] + t[-1:]) not in ("<>", "[]")]
    out = []
    if not tokens:
        return out
    multi = [t for t in tokens if len(t) > 1]
    if voc.kind == "char" and len(multi) > len(tokens) / 4:
        out.append(f"{len(multi)} of the {len(tokens)} tokens are longer than one character "
                   f"(e.g. {multi[0]!r}), but the tokenizer is \"char\": such tokens never "
                   "match, so most of your text will read as unknown. Use tokenizer \"word\" "
                   "if the model was trained on words.")
    elif voc.kind == "word" and not multi and len(tokens) > 1:
        out.append("Every token of the vocabulary is a single character, but the tokenizer is "
                   "\"word\": a word longer than one character reads as unknown. Use "
                   "tokenizer \"char\" if the model was trained on characters.")
    return out


def case_hint(voc: TokenVocab) -> str | None:
    """A sentence for the model card when a vocabulary has letters but no capital letter and
    the text is read with its case kept: a capitalised word ("NOT") then reads as unknown."""
    letters = "".join(voc.itos)
    if voc.lowercase or not any(c.isalpha() for c in letters) or letters != letters.lower():
        return None
    return ("the vocabulary has no capital letter and the text keeps its case: a capitalised "
            "word or letter reads as unknown; lowercase=True (\"Lowercase the text\" in the "
            "panel) reads it as your pipeline did if that lowercased the text")
