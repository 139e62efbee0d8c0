"""Corpora and generated datasets, and the n-gram baseline.

* `corpus`: docstrings of the Python standard library (character-level LM), fixed split.
* `ngram`: interpolated Kneser-Ney character n-gram LM (bits-per-char baseline).
* `ner`: generated person-name tagging sentences with right-context ambiguity.
* `sentiment`: generated 1-5 star movie reviews with negation and contrast.
* `splits`: their fixed train/valid/test sets, one stream per set (a set drawn alone).
* `heldout`: the held-out text of the shipped models of each kind.
"""
