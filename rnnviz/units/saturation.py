"""Gate saturation over a corpus (Karpathy et al.'s saturation plot); the thresholds and
the fractions are `rnnviz.core.saturation`'s."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnviz.core.saturation import SATURATION_HIGH, SATURATION_LOW, fractions, gate_keys, thresholds
from rnnviz.core.trace import symbol
from rnnviz.units.corpus_reading import CorpusTrace, trace_keys


def saturation_keys(model) -> list[str]:
    """The gate keys of a model (per direction); a<t> for an RNN, which has no gates."""
    return gate_keys(trace_keys(model)) or ["a"]


def gate_saturation(model, corpus: CorpusTrace, low: float = SATURATION_LOW,
                    high: float = SATURATION_HIGH) -> pd.DataFrame:
    """Per gate and unit, the fraction of steps where the gate is < low (closed) and
    > high (open): Karpathy et al.'s saturation plot. corpus: the model's `corpus_trace`
    with its `saturation_keys` (`corpus_trace(model, text, saturation_keys(model))`).

    Columns quantity, symbol, unit, below, above, low, high. An RNN has no gates: its a<t>
    is used instead, with low/high at −0.9/+0.9 for tanh (near −1 vs near +1) and 1e-6/1.0
    for ReLU.
    """
    keys = saturation_keys(model)
    frames = []
    activation = getattr(model.model.config, "activation", "tanh")
    for k in keys:
        lo, hi = thresholds(k, activation, low, high)
        below, above = fractions(corpus[k], lo, hi)
        frames.append(pd.DataFrame({
            "quantity": k, "symbol": symbol(k), "unit": np.arange(len(below)),
            "below": below, "above": above, "low": lo, "high": hi,
        }))
    return pd.concat(frames, ignore_index=True)
