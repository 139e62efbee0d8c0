"""Tokenization with character offsets, vocabularies and one-hot encoding."""

from rnnviz.text.vocab import (
    EOS,
    EOS_ID,
    SPECIALS,
    UNK,
    UNK_ID,
    Token,
    Vocab,
    tokenize_chars,
    tokenize_words,
)

__all__ = [
    "EOS",
    "EOS_ID",
    "SPECIALS",
    "UNK",
    "UNK_ID",
    "Token",
    "Vocab",
    "tokenize_chars",
    "tokenize_words",
]
