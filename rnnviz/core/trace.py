"""Traces: every quantity a network computed, per time step, with the course's symbols.

A trace keeps arrays in the loops' rows layout (T_x, m, n) and hands them out in the course's
layout (n, m, T_x): `trace["gamma_f"][:, 0, t - 1]` is Γf<t> of example 0.

Stacked models: the unprefixed keys are the top layer's (a^[L], Γf^[L], ...); `trace.layer(l)`
(1-based) is the same kind of trace for layer l, with the model's x and ŷ.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rnnviz.core.functional import scaled_norm

# The course's display symbol of every quantity (the keys are the ASCII names used in code).
SYMBOLS = {
    "x": "x<t>",
    "a": "a<t>",
    "c": "c<t>",
    "c_tilde": "c̃<t>",
    "gamma_u": "Γu<t>",
    "gamma_f": "Γf<t>",
    "gamma_o": "Γo<t>",
    "gamma_r": "Γr<t>",
    "z_a": "z<t> = W_aa a<t-1> + W_ax x<t> + b_a",
    "z_u": "z_u<t>",
    "z_f": "z_f<t>",
    "z_o": "z_o<t>",
    "z_r": "z_r<t>",
    "z_c": "z_c<t>",
    "z_y": "z_y<t> = W_y a<t> + b_y",
    "y_hat": "ŷ<t>",
}
# One-line meaning of every quantity, for hover text and "what to look for" boxes.
DESCRIPTIONS = {
    "x": "input at step t (one-hot)",
    "a": "hidden state (activation)",
    "c": "memory cell",
    "c_tilde": "candidate value for the memory cell",
    "gamma_u": "update gate: how much of c̃<t> is written",
    "gamma_f": "forget gate: how much of c<t-1> is kept",
    "gamma_o": "output gate: how much of tanh(c<t>) is shown as a<t>",
    "gamma_r": "relevance gate: how much of c<t-1> feeds the candidate",
    "y_hat": "prediction (probabilities)",
}
_ARROWS = {"fwd": "→", "bwd": "←"}


def split_key(key):
    """'gamma_f_bwd' -> ('gamma_f', 'bwd'); 'a' -> ('a', None)."""
    for d in _ARROWS:
        if key.endswith("_" + d):
            return key[: -len(d) - 1], d
    return key, None


def symbol(key):
    """Display symbol in the course's notation; 'a_fwd' -> 'a→<t>', 'dgamma_f' -> '∂L/∂Γf<t>';
    a layer-qualified key 'a@1' (layer 1 of a stacked model) -> 'a^[1]<t>'."""
    if "@" in key:
        key, layer = key.split("@", 1)
        s = symbol(key)
        return s.replace("<t>", f"^[{layer}]<t>", 1) if "<t>" in s else f"{s}^[{layer}]"
    base, direction = split_key(key)
    grad = base.startswith("d") and base[1:] in SYMBOLS
    s = SYMBOLS.get(base[1:] if grad else base, base)
    if direction:
        arrow = _ARROWS[direction]
        s = s.replace("<t>", arrow + "<t>", 1) if "<t>" in s else s + arrow
    return f"∂L/∂{s}" if grad else s


@dataclass
class _Named:
    rows: dict                       # key -> (T_x, m, n) array
    tokens: list | None = None
    layer_rows: list | None = field(default=None, repr=False)   # per layer, 1 = bottom
    layer_index: int | None = None   # which layer the unprefixed keys are (None: the top)
    # per layer (1 = bottom), {key: bool (T_x, m, n)}: the values an intervention set
    changed: list | None = field(default=None, repr=False)

    @property
    def layers(self):
        return len(self.layer_rows) if self.layer_rows else 1

    def _layer_view(self, layer, shared):
        """rows of layer l (1-based) plus the keys every layer shares (x, ŷ, ...)."""
        if not isinstance(layer, int | np.integer) or not 1 <= layer <= self.layers:
            raise ValueError(f"layer must be 1..{self.layers}, got {layer!r}")
        if self.layer_rows is None:
            return dict(self.rows)
        return {**self.layer_rows[layer - 1],
                **{k: self.rows[k] for k in shared if k in self.rows}}

    def __getitem__(self, key):
        return np.transpose(self.rows[key], (2, 1, 0))

    def __contains__(self, key):
        return key in self.rows

    def keys(self):
        return list(self.rows)

    @property
    def T_x(self):
        return next(iter(self.rows.values())).shape[0]

    @property
    def m(self):
        return next(iter(self.rows.values())).shape[1]

    def symbol(self, key):
        return symbol(key)

    def token_labels(self):
        """One label per step: the token if known, else 't=…'."""
        if self.tokens is not None and len(self.tokens) == self.T_x:
            return [str(t) for t in self.tokens]
        return [f"t={t}" for t in range(1, self.T_x + 1)]

    def to_dataframe(self, example=0, keys=None):
        """Tidy table: one row per (t, unit, quantity), columns t, token, unit, quantity, symbol,
        value, layer, intervened. t and layer are 1-based as in the notes (a^[l]<t>);
        intervened is True where an intervention set the value (`changed`)."""
        frames = []
        labels = np.array(self.token_labels(), dtype=object)
        layer = self.layer_index or self.layers
        marked = self.changed[layer - 1] if self.changed else {}
        for key in keys or self.keys():
            v = self.rows[key][:, example, :]                    # (T, n)
            T, n = v.shape
            mask = self._mask(marked, key)
            frames.append(pd.DataFrame({
                "t": np.repeat(np.arange(1, T + 1), n),
                "token": np.repeat(labels, n),
                "unit": np.tile(np.arange(n), T),
                "quantity": key,
                "symbol": symbol(key),
                "value": v.reshape(-1).astype(np.float64),
                "layer": layer,
                "intervened": (mask[:, example, :].reshape(-1) if mask is not None
                               else np.zeros(T * n, dtype=bool)),
            }))
        return pd.concat(frames, ignore_index=True)

    def _mask(self, marked, key):
        """bool (T_x, m, n) of `key` from the per-direction marks; None: nothing changed."""
        if key in marked:
            return marked[key]
        parts = [marked.get(f"{key}_{d}") for d in ("fwd", "bwd")]
        if key in ("a",) and any(p is not None for p in parts):    # a = [a→; a←]
            n = self.rows[key].shape[2] // 2
            shape = (*self.rows[key].shape[:2], n)
            return np.concatenate([p if p is not None else np.zeros(shape, dtype=bool)
                                   for p in parts], axis=2)
        return None


@dataclass
class Trace(_Named):
    """Everything a forward pass computed. See docs/architecture.md for the keys.

    `nonfinite[t-1]` is True when some quantity at step t is inf or NaN (exploding values);
    `final_state` can seed the next chunk of a long sequence.
    """

    config: object = None
    final_state: object = None
    tapes: dict = field(default_factory=dict, repr=False)   # the top layer's tapes
    layer_tapes: list | None = field(default=None, repr=False)   # every layer's, for BPTT
    outputs: dict | None = field(default=None, repr=False)  # z_y, ŷ: shared by every layer

    def layer(self, layer):
        """The trace of layer l (1-based): its a, gates, c, ..., with the model's x and ŷ."""
        rows = {"x": self.rows["x"], **self._layer_view(layer, ("z_y", "y_hat"))}
        tapes = self.layer_tapes[layer - 1] if self.layer_tapes else self.tapes
        return Trace(rows=rows, tokens=self.tokens, layer_rows=None, layer_index=layer,
                     config=self.config, final_state=None, tapes=tapes,
                     layer_tapes=[tapes], outputs=self.outputs, changed=self.changed)

    @property
    def nonfinite(self):
        bad = np.zeros(self.T_x, dtype=bool)
        for v in self.rows.values():
            bad |= ~np.isfinite(v).all(axis=(1, 2))
        return bad

    @property
    def y_hat(self):
        return self["y_hat"]


@dataclass
class BackwardTrace(_Named):
    """Everything BPTT computed: ∂L/∂a<t>, ∂L/∂c<t>, each gate's gradient, per step."""

    loss: float = float("nan")

    def layer(self, layer):
        """∂L/∂(every quantity) of layer l (1-based); "dx" stays ∂L/∂x<t> of the model."""
        rows = self._layer_view(layer, ())
        if "dx" in self.rows:
            rows["dx"] = self.rows["dx"]
        return BackwardTrace(rows=rows, tokens=self.tokens, layer_index=layer, loss=self.loss)

    @property
    def grad_norm(self):
        """||∂L/∂a<t>|| for t = 1..T_x (Frobenius over units and examples)."""
        keys = [k for k in ("da", "da_fwd", "da_bwd") if k in self.rows]
        da = np.concatenate([self.rows[k] for k in keys], axis=2)
        return scaled_norm(da.reshape(da.shape[0], -1), axis=1)
