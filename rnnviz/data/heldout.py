"""The held-out text of the shipped models of each kind: text they never trained on, which the
Units page reads by default and a "mean" ablation averages over.

* char_lm: the "valid" split of the docstring corpus (~87k characters; modules are assigned by
  the hash of their path, see `rnnviz.data.corpus`), as shipped beside the char LMs
  (`read_heldout`; parsed from this Python's standard library when it is missing).
* tagger / classifier: the test set of their generated datasets (`ner.part("test")`,
  `sentiment.part("test")`, seed 0, as in their model cards), one sentence or review a line.
"""

from __future__ import annotations

from pathlib import Path

# The shipped models' folder (rnnviz.models.PRETRAINED_DIR is this one): the char LMs'
# held-out text is written beside them.
PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"
KINDS = ("char_lm", "tagger", "classifier")
NAMES = {
    "char_lm": "held-out docstrings (valid split)",
    "tagger": "held-out tagged sentences (test split)",
    "classifier": "held-out reviews (test split)",
}


def heldout_text(kind: str) -> str:
    """The held-out text of the shipped models of `kind` (ValueError: a kind without one)."""
    if kind == "char_lm":
        from rnnviz.data.corpus import load_corpus, read_heldout
        text = read_heldout(PRETRAINED_DIR)
        return load_corpus("valid") if text is None else text
    if kind == "tagger":
        from rnnviz.data import ner
        return "\n".join(e.text for e in ner.part("test", seed=0))
    if kind == "classifier":
        from rnnviz.data import sentiment
        return "\n".join(e.text for e in sentiment.part("test", seed=0))
    raise ValueError(f"no held-out corpus for model kind {kind!r}")


__all__ = ["heldout_text", "NAMES", "KINDS", "PRETRAINED_DIR"]
