"""Weight initialization, always from an explicit np.random.Generator.

Each cell draws, per gate, a recurrent block W_aa (n_a, n_a) with `recurrent`, an input block
W_ax (n_a, n_x) with `input_block` and a bias b (n_a, 1) with `bias`; `InitConfig.scheme`
picks the family for all three, the same for every cell:

* "xavier" | "orthogonal" | "normal": W_aa by that scheme, W_ax Xavier uniform, b = 0.
* "pytorch": what torch's nn.RNN / nn.GRU / nn.LSTM `reset_parameters` does, every weight
  U(-k, k) with k = 1/√n_a (n_a = hidden_size, also for W_ax). torch keeps two biases per
  gate, b_ih and b_hh, each U(-k, k); the course's layout folds them into one b = b_ih + b_hh,
  so b is drawn as the sum of two independent U(-k, k): the same (triangular) distribution
  on [-2k, 2k] as torch's effective bias, variance 2k²/3.

The LSTM then adds `forget_bias` to its b_f (for the zero-bias schemes b_f = forget_bias).
torch's default has no such offset: `InitConfig(scheme="pytorch", forget_bias=0)` is torch's
default exactly, and forget_bias = 1 gives b_f = 1 + b_ih + b_hh. The output layer W_y, b_y
keeps Xavier and zero (it is not part of torch's recurrent module).
"""

from dataclasses import dataclass

import numpy as np

SCHEMES = ("xavier", "orthogonal", "normal", "pytorch")


@dataclass(frozen=True)
class InitConfig:
    scheme: str = "xavier"          # one of SCHEMES (see the module docstring)
    scale: float = 1.0              # multiplies every recurrent block after the scheme
    spectral_radius: float | None = None   # if set, rescale each recurrent block to this radius
    forget_bias: float = 1.0        # added to the LSTM's b_f: > 0 keeps memory early in training

    def __post_init__(self):
        if self.scheme not in SCHEMES:
            raise ValueError(f"unknown init scheme {self.scheme!r}; choose one of {SCHEMES}")
        if not np.isfinite(self.scale) or (self.spectral_radius is not None
                                           and not np.isfinite(self.spectral_radius)):
            raise ValueError("init scale and spectral radius must be finite")


def xavier(rng, n_out, n_in):
    """Glorot uniform: U(-b, b), b = sqrt(6 / (n_in + n_out))."""
    b = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-b, b, size=(n_out, n_in))


def torch_bound(n_a):
    """k = 1/√n_a: torch's nn.RNN/GRU/LSTM draw every weight and bias from U(-k, k)."""
    return 1.0 / np.sqrt(n_a)


def orthogonal(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def spectral_radius(W):
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def recurrent(rng, n_a, init):
    """One (n_a, n_a) recurrent block W_aa."""
    if init.scheme == "orthogonal":
        W = orthogonal(rng, n_a)
    elif init.scheme == "normal":
        W = rng.standard_normal((n_a, n_a)) / np.sqrt(n_a)
    elif init.scheme == "pytorch":
        k = torch_bound(n_a)
        W = rng.uniform(-k, k, size=(n_a, n_a))
    else:
        W = xavier(rng, n_a, n_a)
    if init.spectral_radius is not None:
        rho = spectral_radius(W)
        W = W * (init.spectral_radius / rho if rho > 0 else 0.0)
    return W * init.scale


def input_block(rng, n_a, n_x, init):
    """One (n_a, n_x) input block W_ax: U(-1/√n_a, 1/√n_a) for "pytorch", else Xavier."""
    if init.scheme == "pytorch":
        k = torch_bound(n_a)
        return rng.uniform(-k, k, size=(n_a, n_x))
    return xavier(rng, n_a, n_x)


def bias(rng, n_a, init):
    """One (n_a, 1) bias b: for "pytorch" b_ih + b_hh, two independent U(-k, k) summed;
    zero for the other schemes (which draw nothing from `rng`)."""
    if init.scheme == "pytorch":
        k = torch_bound(n_a)
        return rng.uniform(-k, k, size=(n_a, 1)) + rng.uniform(-k, k, size=(n_a, 1))
    return np.zeros((n_a, 1))
