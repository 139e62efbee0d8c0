"""Corpora for the Units questions: pasted or uploaded text (checked, at most 1 MB), its
cache key, and the held-out text the shipped models never trained on."""

from __future__ import annotations

import hashlib

from rnnviz.data.heldout import NAMES, heldout_text

MAX_CORPUS_BYTES = 1_000_000       # pasted or uploaded corpora: 1 MB of UTF-8


def read_corpus_bytes(data: bytes, max_bytes: int = MAX_CORPUS_BYTES) -> str:
    """An uploaded corpus as text: at most `max_bytes` of UTF-8, else a ValueError that says
    what is wrong (for the page to show as is)."""
    if len(data) > max_bytes:
        raise ValueError(f"the file has {len(data):,} bytes; the limit is {max_bytes:,} "
                         "(1 MB). Upload a shorter text.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"the file is not UTF-8 text (byte {e.start} cannot be decoded). "
                         "Save it as UTF-8 plain text and upload it again.") from None
    if "\x00" in text:
        raise ValueError("the file contains NUL bytes: it looks like a binary file, not text.")
    return text


def check_corpus_text(text: str, max_bytes: int = MAX_CORPUS_BYTES) -> str:
    """Pasted text: the same limits as an upload (ValueError with a clear message)."""
    n = len(text.encode("utf-8", errors="surrogatepass"))
    if n > max_bytes:
        raise ValueError(f"the text has {n:,} bytes; the limit is {max_bytes:,} (1 MB).")
    if not text.strip():
        raise ValueError("the corpus is empty: paste or upload some text.")
    return text


def corpus_id(text: str) -> str:
    """A short, stable key for a corpus (cache keys carry this, never the text)."""
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:16]


def heldout_corpus(kind: str) -> tuple[str, str]:
    """(name, text) of held-out text the shipped models of this kind never trained on
    (`rnnviz.data.heldout`: the char LMs' valid split, the tagger's and the classifier's
    generated test sets); ValueError for a kind without one."""
    text = heldout_text(kind)
    return NAMES[kind], text
