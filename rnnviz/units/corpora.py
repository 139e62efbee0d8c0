"""Corpora for the Units questions: pasted or uploaded text (checked, at most 1 MB), its
cache key, and the held-out text the shipped models never trained on."""

from __future__ import annotations

import hashlib

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
    """(name, text) of held-out text the shipped models of this kind never trained on.

    char_lm: the "valid" split of the docstring corpus (~87k characters; modules are assigned
    by the hash of their path, see `rnnviz.data.corpus`), as shipped beside the char LMs
    (`read_heldout`; parsed from this Python's standard library when it is missing).
    tagger / classifier: the test split of their generated datasets, one sentence or review
    per line.
    """
    if kind == "char_lm":
        from rnnviz.data.corpus import load_corpus, read_heldout
        from rnnviz.models import PRETRAINED_DIR
        text = read_heldout(PRETRAINED_DIR)
        return "held-out docstrings (valid split)", (load_corpus("valid") if text is None
                                                      else text)
    if kind == "tagger":
        from rnnviz.data import ner
        return "held-out tagged sentences (test split)", "\n".join(
            e.text for e in ner.split(seed=0).test)
    if kind == "classifier":
        from rnnviz.data import sentiment
        return "held-out reviews (test split)", "\n".join(
            e.text for e in sentiment.split(seed=0).test)
    raise ValueError(f"no held-out corpus for model kind {kind!r}")
