"""Corpora and generated datasets, and the n-gram baseline.

* `corpus`: docstrings of the Python standard library (character-level LM), fixed split.
* `ngram`: interpolated Kneser-Ney character n-gram LM (bits-per-char baseline).
* `ner`: generated person-name tagging sentences with right-context ambiguity.
* `sentiment`: generated 1-5 star movie reviews with negation and contrast.
"""
