"""Gate saturation (Karpathy et al. 2015): how often each unit's gate is shut or wide open.

One definition for the Activations page (one sentence) and the Units page (a corpus): per unit,
the fraction of steps where the value is below `low` (closed) and above `high` (open). Gates
(Γf, Γu, Γo, Γr, all σ) use 0.1 / 0.9. An RNN has no gates: its a<t> is used instead, near −1
vs near +1 for tanh (−0.9 / 0.9), exactly 0 vs large for ReLU (1e-6 / 1.0).
"""

from __future__ import annotations

import numpy as np

SATURATION_LOW, SATURATION_HIGH = 0.1, 0.9
GATES = ("gamma_f", "gamma_u", "gamma_o", "gamma_r")


def gate_keys(keys) -> list[str]:
    """The keys to measure among a trace's `keys`: its gates (per direction), else a<t> (per
    direction for a bidirectional model)."""
    keys = list(keys)
    gates = [k for k in keys if k.split("_fwd")[0].split("_bwd")[0] in GATES]
    if gates:
        return gates
    return [k for k in keys if k in ("a_fwd", "a_bwd")] or [k for k in keys if k == "a"]


def thresholds(key: str, activation: str = "tanh", low: float = SATURATION_LOW,
               high: float = SATURATION_HIGH) -> tuple[float, float]:
    """(low, high) for the quantity `key` (a gate, or a<t> of an RNN with `activation`)."""
    if key.startswith("gamma_"):
        return low, high
    return (1e-6, 1.0) if activation == "relu" else (-0.9, 0.9)


def fractions(values: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """(fraction of steps below `low`, fraction above `high`) per unit of `values` (n, T)."""
    v = np.asarray(values, dtype=np.float64)
    return (v < low).mean(axis=1), (v > high).mean(axis=1)


__all__ = ["SATURATION_LOW", "SATURATION_HIGH", "GATES", "gate_keys", "thresholds", "fractions"]
