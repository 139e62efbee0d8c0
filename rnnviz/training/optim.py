"""Optimizers and learning-rate schedules for the NumPy models.

Both optimizers update `model.params` in place, one array per parameter name, in the
parameters' own dtype (float32 for the shipped models):

    SGD (with momentum μ):  v ← μ v + g;             W ← W - α v
    Adam (Kingma & Ba):     m ← β1 m + (1 - β1) g;   v ← β2 v + (1 - β2) g²
                            W ← W - α m̂ / (√v̂ + ε),  m̂ = m / (1 - β1^k), v̂ = v / (1 - β2^k)

α comes from a `Schedule` at every step k, so the same optimizer serves any schedule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SCHEDULES = ("constant", "cosine", "linear", "exponential")


@dataclass(frozen=True)
class Schedule:
    """Learning rate α_k for steps k = 0 .. total-1: linear warm-up, then a decay."""

    lr: float = 2e-3                 # peak learning rate (after warm-up)
    total: int = 1000                # number of optimizer steps the schedule spans
    warmup: int = 0                  # steps of linear warm-up from lr / warmup to lr
    decay: str = "cosine"            # "constant" | "cosine" | "linear" | "exponential"
    final_frac: float = 0.1          # α at the last step = final_frac * lr (not "constant")

    def __post_init__(self):
        if self.decay not in SCHEDULES:
            raise ValueError(f"decay must be one of {SCHEDULES}, got {self.decay!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be positive and finite, got {self.lr}")
        if self.total < 1 or self.warmup < 0:
            raise ValueError("total must be >= 1 and warmup >= 0")
        if not 0 < self.final_frac <= 1:
            raise ValueError("final_frac must be in (0, 1]")

    def __call__(self, k: int) -> float:
        if k < self.warmup:
            return self.lr * (k + 1) / self.warmup
        if self.decay == "constant":
            return self.lr
        # progress through the decay phase, 0 at its first step and 1 at the last
        span = max(self.total - self.warmup - 1, 1)
        p = min(max((k - self.warmup) / span, 0.0), 1.0)
        f = self.final_frac
        if self.decay == "cosine":
            return self.lr * (f + (1 - f) * 0.5 * (1 + math.cos(math.pi * p)))
        if self.decay == "linear":
            return self.lr * (1 - (1 - f) * p)
        return self.lr * f ** p                                  # exponential


class SGD:
    """Plain stochastic gradient descent, optionally with (heavy-ball) momentum."""

    def __init__(self, params: dict[str, np.ndarray], momentum: float = 0.0):
        if not 0 <= momentum < 1:
            raise ValueError("momentum must be in [0, 1)")
        self.momentum = momentum
        self.velocity = {k: np.zeros_like(v) for k, v in params.items()} if momentum else {}
        self.k = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float):
        for name, W in params.items():
            g = grads[name]
            if self.momentum:
                v = self.velocity[name]
                v *= self.momentum
                v += g                                          # v ← μ v + g
                g = v
            W -= (lr * g).astype(W.dtype, copy=False)           # W ← W - α v
        self.k += 1


class Adam:
    """Adam with bias correction; moments are kept in the parameters' dtype."""

    def __init__(self, params: dict[str, np.ndarray], beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.k = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], lr: float):
        self.k += 1
        b1, b2 = self.beta1, self.beta2
        # bias corrections folded into the step size: α √(1 - β2^k) / (1 - β1^k)
        alpha = lr * math.sqrt(1 - b2 ** self.k) / (1 - b1 ** self.k)
        eps = self.eps * math.sqrt(1 - b2 ** self.k)
        for name, W in params.items():
            g = grads[name]
            m, v = self.m[name], self.v[name]
            m *= b1
            m += (1 - b1) * g                                   # m ← β1 m + (1 - β1) g
            v *= b2
            v += (1 - b2) * np.square(g)                        # v ← β2 v + (1 - β2) g²
            W -= (alpha * m / (np.sqrt(v) + eps)).astype(W.dtype, copy=False)


def make_optimizer(name: str, params: dict[str, np.ndarray], **kwargs) -> SGD | Adam:
    """"adam" or "sgd" over `params` (keyword arguments go to the optimizer)."""
    if name == "adam":
        return Adam(params, **kwargs)
    if name == "sgd":
        return SGD(params, **kwargs)
    raise ValueError(f"optimizer must be 'adam' or 'sgd', got {name!r}")
