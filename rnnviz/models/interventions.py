"""Interventions on a model in use: texts in, the core's Clamp / Patch underneath.

`ModelInUse.read(text, interventions=[...], reference=None)` and `.predict(...)` take
`rnnviz.Clamp` and `rnnviz.Patch` (rnnviz.core.interventions) with texts where the core takes
arrays: a Patch's `source_text` is encoded with the model's vocabulary (and read from the
same start state), and a Clamp's value "mean" is each unit's mean over a reference text.

The reference of "mean" (mean ablation), in this order:
  * `reference=` a text passed to read / predict / `unit_means`;
  * a shipped model: its held-out corpus, text it never trained on (the char LMs: the valid
    split of the docstring corpus shipped beside them, `heldout-docstrings.txt.gz`; the tagger
    and the classifier: the test split of their datasets);
  * any other model (random, imported, trained in the app): the text being read itself.
The reference is read as one sequence from the model's start state, at most its first
`REFERENCE_TOKENS` tokens; the means are computed once per model and reference (memo).
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np

from rnnviz.core.interventions import Clamp, Patch, quantity_rows, where
from rnnviz.data.heldout import KINDS, heldout_text

REFERENCE_TOKENS = 10_000
_MEMO = "_unit_means_memo"
_REFERENCE = "_default_reference"
_MEMO_TEXTS = 8                    # references remembered per model


def default_reference(m) -> str | None:
    """The held-out text of a shipped model, None for any other (the text read is used);
    read once per model (memo)."""
    if m.source != "shipped":
        return None
    if _REFERENCE not in m.__dict__:
        m.__dict__[_REFERENCE] = heldout_text(m.kind) if m.kind in KINDS else None
    return m.__dict__[_REFERENCE]


def _means(m, text: str, quantity: str, layer: int, direction: str) -> np.ndarray:
    """(n_a,) means of one quantity of one layer and direction over `text` (memoized: one
    reading of the reference gives the means of every quantity, layer and direction)."""
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    memo = m.__dict__.setdefault(_MEMO, {})
    if key not in memo:
        x, toks = m.encode(text)
        if not toks:
            raise ValueError("the reference text has no tokens")
        x = x[:, :, :REFERENCE_TOKENS]
        state0 = None if m.config.bidirectional else m.state0
        trace = m.model.forward(x, state0=state0)
        means = {}
        for q in m.model.cell.quantities:
            for l in range(1, m.config.layers + 1):
                for d in m.config.directions:
                    means[q, l, d] = quantity_rows(trace, q, l, d).mean(axis=(0, 1))
                    means[q, l, d].flags.writeable = False
        if len(memo) >= _MEMO_TEXTS:          # the oldest reference goes first
            memo.pop(next(iter(memo), None), None)
        memo[key] = means
    return memo[key][quantity, layer, direction]


def unit_means(m, corpus_text: str | None = None, quantity: str = "a", layer: int | None = None,
               direction: str | None = None) -> np.ndarray:
    """(n_a,) each unit's mean of `quantity` over `corpus_text` (None: the model's default
    reference, module docstring), at `layer` (None: the top) and `direction` (a bidirectional
    model: "fwd" or "bwd"). Pass values of it as a Clamp's value for your own mean ablation."""
    text = corpus_text if corpus_text is not None else default_reference(m)
    if text is None:
        raise ValueError("this model has no held-out corpus: pass corpus_text")
    layer, dirs, _ = where(m.model, Clamp(quantity, 0, layer=layer, direction=direction), 1)
    if len(dirs) > 1:
        raise ValueError("a bidirectional model: say which direction ('fwd' or 'bwd')")
    return _means(m, text, quantity, layer, dirs[0]).astype(np.float64)


def resolve(m, interventions, text: str, reference: str | None = None):
    """(interventions for Model.forward, the "mean" clamps' means or None) for reading `text`:
    Patch sources encoded, "mean" clamps' means computed on the reference (module docstring;
    the model's default reference is read only when a "mean" clamp needs it)."""
    out, means = [], {}
    ref = reference
    for iv in interventions:
        if isinstance(iv, Patch) and isinstance(iv.source_text, str):
            xs, toks = m.encode(iv.source_text)
            if not toks:
                raise ValueError("the patch source has no tokens: type a second sentence")
            iv = dataclasses.replace(iv, source_text=xs)
        elif isinstance(iv, Clamp) and isinstance(iv.value, str) and iv.value == "mean":
            layer, dirs, _ = where(m.model, iv)
            if ref is None:
                ref = default_reference(m)
            for d in dirs:
                means[iv.quantity, layer, d] = _means(m, text if ref is None else ref,
                                                      iv.quantity, layer, d)
        out.append(iv)
    return out, (means or None)


__all__ = ["unit_means", "default_reference", "resolve", "REFERENCE_TOKENS"]
