"""Weight initialization, always from an explicit np.random.Generator."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InitConfig:
    scheme: str = "xavier"          # recurrent blocks: "xavier" | "orthogonal" | "normal"
    scale: float = 1.0              # multiplies every recurrent block after the scheme
    spectral_radius: float | None = None   # if set, rescale each recurrent block to this radius
    forget_bias: float = 1.0        # LSTM b_f: > 0 keeps memory early in training

    def __post_init__(self):
        if self.scheme not in ("xavier", "orthogonal", "normal"):
            raise ValueError(f"unknown init scheme {self.scheme!r}")
        if not np.isfinite(self.scale) or (self.spectral_radius is not None
                                           and not np.isfinite(self.spectral_radius)):
            raise ValueError("init scale and spectral radius must be finite")


def xavier(rng, n_out, n_in):
    """Glorot uniform: U(-b, b), b = sqrt(6 / (n_in + n_out))."""
    b = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-b, b, size=(n_out, n_in))


def orthogonal(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def spectral_radius(W):
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def recurrent(rng, n_a, init):
    """One (n_a, n_a) recurrent block."""
    if init.scheme == "orthogonal":
        W = orthogonal(rng, n_a)
    elif init.scheme == "normal":
        W = rng.standard_normal((n_a, n_a)) / np.sqrt(n_a)
    else:
        W = xavier(rng, n_a, n_a)
    if init.spectral_radius is not None:
        rho = spectral_radius(W)
        W = W * (init.spectral_radius / rho if rho > 0 else 0.0)
    return W * init.scale
