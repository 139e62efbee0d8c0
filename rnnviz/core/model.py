"""One model abstraction over RNN, GRU, LSTM, stacked layers and bidirectional stacks.

    a^[l]<t> = cell(a^[l]<t-1>, a^[l-1]<t>),  a^[0]<t> = x<t>     (rnnviz.core.recurrent)
    ŷ<t> = g(W_y a^[L]<t> + b_y)                       unidirectional
    ŷ<t> = g(W_y [a→^[L]<t>; a←^[L]<t>] + b_y)         bidirectional: a→ reads its input at
                                                         1..t, a← at T_x..t, own parameters each;
                                                         layer l+1 reads [a→^[l]; a←^[l]]
Heads: "many_to_many" (softmax at every step, T_y = T_x), "many_to_one" (softmax, the loss
uses ŷ<T_x>), "many_to_one_sigmoid" (n_y = 1, σ, the loss uses ŷ<T_x>). ŷ<t> is computed at
every step for every head, so the app can show a running prediction.

Readouts (what the head reads): "step", the notes' (above), ŷ<t> reads a^[L]<t>; "h_n",
PyTorch users' many-to-one classifier, which reads the top layer's final states h_n:

    ŷ<T_x> = g(W_y [a→^[L]<T_x>; a←^[L]<1>] + b_y)     a← has read the text from T_x down to 1
    ŷ<t>   = g(W_y [a→^[L]<t>; a←^[L]<t>] + b_y)       t < T_x: an illustration, no loss reads it

so BPTT's gradient from the loss enters a→ at T_x and a← at t = 1. A unidirectional model
reads a^[L]<T_x> either way. "mean", a classifier trained on `out.mean(dim=0)` (torch's
`out = rnn(x)[0]`, time first):

    ŷ<T_x> = g(W_y (1/T_x) Σ_t a^[L]<t> + b_y)        every step's state feeds the loss
    ŷ<t>   = g(W_y a^[L]<t> + b_y)                     t < T_x: an illustration, no loss reads it

A classifier trained on `out[-1]` reads [a→<T_x>; a←<T_x>]: that is "step".

Loss: cross-entropy summed over the time steps that carry a target (the course's L = Σ_t L<t>),
averaged over the m examples. Parameters keep the course's names (`Wf`, `Wi`, `Waa`, ...), with
`fwd.` / `bwd.` prefixes for the two directions of a bidirectional model and `l2.`, `l3.`, ...
for the layers above the first (`l2.fwd.Wf`). The model never asks which cell it holds: every
cell is an object with the same methods (`self.cell`).
"""

import json
import weakref
from dataclasses import asdict, dataclass, fields, is_dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from rnnviz.core.functional import log_softmax, sigmoid, softmax
from rnnviz.core.init import InitConfig, xavier
from rnnviz.core.interventions import hook, marks, plan
from rnnviz.core.recurrent import CELLS, REGISTRY, VARIANTS, cell_for
from rnnviz.core.recurrent.base import matmul_rows, rows
from rnnviz.core.trace import BackwardTrace, Trace

HEADS = ("many_to_many", "many_to_one", "many_to_one_sigmoid")
READOUTS = ("step", "h_n", "mean")


class State(NamedTuple):
    """Recurrent state in the course's layout: a (n_a, m); c (n_a, m) for the LSTM, else None.

    With layers > 1 every array has a leading layer axis: (layers, n_a, m), as torch's h_n.
    """

    a: np.ndarray
    c: np.ndarray | None = None


@dataclass(frozen=True)
class RNNConfig:
    cell: str = "lstm"               # "rnn" | "gru" | "lstm"
    n_x: int = 27                    # input size (vocabulary size for one-hot inputs)
    n_a: int = 32                    # hidden units per direction and layer
    n_y: int = 27                    # output classes (1 for a sigmoid head)
    activation: str = "tanh"         # RNN only: "tanh" | "relu"
    bidirectional: bool = False      # two directions with their own parameters
    head: str = "many_to_many"       # see module docstring
    dtype: str = "float64"           # "float64" | "float32"
    layers: int = 1                  # stacked recurrent layers L; layer l+1 reads a^[l]
    variant: str = "course"          # "course" (the notes) | "torch" (GRU: nn.GRU's equations)
    readout: str = "step"            # "step" (ŷ<t> reads a<t>) | "h_n" (ŷ<T_x> reads torch's h_n)

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, got {self.cell!r}")
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.head!r}")
        if self.activation not in ("tanh", "relu"):
            raise ValueError(f"activation must be 'tanh' or 'relu', got {self.activation!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if min(self.n_x, self.n_a, self.n_y) < 1:
            raise ValueError("n_x, n_a and n_y must be positive")
        if self.head == "many_to_one_sigmoid" and self.n_y != 1:
            raise ValueError("a sigmoid head has n_y = 1")
        if not isinstance(self.layers, int) or self.layers < 1:
            raise ValueError(f"layers must be a positive integer, got {self.layers!r}")
        if self.readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {self.readout!r}")
        if self.readout != "step" and self.head == "many_to_many":
            raise ValueError(f"the {self.readout} readout gives one output per sequence: it "
                             "needs a many-to-one head")
        if self.variant not in VARIANTS or (self.cell, self.variant) not in REGISTRY:
            raise ValueError(f"no {self.variant!r} variant of the {self.cell!r} cell; known: "
                             f"{sorted(REGISTRY)}")

    @property
    def directions(self):
        return ("fwd", "bwd") if self.bidirectional else ("",)

    def prefix(self, direction, layer=1):
        """Parameter name prefix of one direction of one layer (1-based): "", "fwd.", "l2.bwd."."""
        return (f"l{layer}." if layer > 1 else "") + (f"{direction}." if direction else "")

    def layer_inputs(self, layer):
        """Input size of a layer: n_x for the first, n_a per direction for the others."""
        return self.n_x if layer == 1 else len(self.directions) * self.n_a


def param_shapes(cfg):
    """Name -> shape of every parameter of a model with this config."""
    cell = cell_for(cfg)
    shapes = {}
    for layer in range(1, cfg.layers + 1):
        for d in cfg.directions:
            p = cfg.prefix(d, layer)
            shapes.update({p + k: s for k, s in
                           cell.param_shapes(cfg.n_a, cfg.layer_inputs(layer)).items()})
    shapes["Wy"] = (cfg.n_y, len(cfg.directions) * cfg.n_a)
    shapes["by"] = (cfg.n_y, 1)
    return shapes


# model -> {(direction, layer): (its arrays, their packed weights)} (`Model.packed`): derived
# data kept beside the model, not in it (a model's identity digest reads its attributes)
_PACKED = weakref.WeakKeyDictionary()


def _read_only(obj):
    """Make every array in `obj` (an array, a dataclass of arrays, a tuple of them) read-only."""
    if isinstance(obj, np.ndarray):
        obj.flags.writeable = False
    elif isinstance(obj, tuple):
        for v in obj:
            _read_only(v)
    elif is_dataclass(obj):
        for f in fields(obj):
            _read_only(getattr(obj, f.name))


class Model:
    """A recurrent network with an output head. `params` maps the course's names to arrays."""

    def __init__(self, config, params):
        self.config = config
        self.cell = cell_for(config)
        dt = np.dtype(config.dtype)
        shapes = param_shapes(config)
        missing = set(shapes) - set(params)
        if missing:
            raise ValueError(f"missing parameters: {sorted(missing)}")
        self.params = {}
        for k, shape in shapes.items():
            v = np.asarray(params[k], dtype=dt)
            if v.shape != shape:
                raise ValueError(f"parameter {k} has shape {v.shape}, expected {shape}")
            self.params[k] = v

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def init(cls, config, rng, init=None):
        """Random weights: Xavier input and output weights, recurrent blocks per `init`."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError("pass an np.random.Generator (no global RNG)")
        init = init or InitConfig()
        cell = cell_for(config)
        params = {}
        for layer in range(1, config.layers + 1):
            for d in config.directions:
                p = config.prefix(d, layer)
                drawn = cell.init_params(rng, config.n_a, config.layer_inputs(layer), init)
                params.update({p + k: v for k, v in drawn.items()})
        params["Wy"] = xavier(rng, config.n_y, len(config.directions) * config.n_a)
        params["by"] = np.zeros((config.n_y, 1))
        return cls(config, params)

    def copy(self):
        return Model(self.config, {k: v.copy() for k, v in self.params.items()})

    @property
    def n_params(self):
        return int(sum(v.size for v in self.params.values()))

    def initial_state(self, m=1):
        """Zeros; (n_a, m) per state vector, (layers, n_a, m) when layers > 1."""
        cfg = self.config
        shape = (cfg.n_a, m) if cfg.layers == 1 else (cfg.layers, cfg.n_a, m)
        vecs = [np.zeros(shape, dtype=cfg.dtype) for _ in self.cell.state]
        return State(*vecs)

    def cell_params(self, direction="", layer=1):
        """The parameters of one direction of one layer, without prefix (`Wf`, `Waa`, ...)."""
        p = self.config.prefix(direction, layer)
        return {k: self.params[p + k] for k in self.cell.param_names}

    def packed(self, direction="", layer=1):
        """The fused, pre-scaled weights of one direction of one layer (`cell.pack`).

        Parameters that can still change (training updates them in place) are packed at every
        call. Read-only ones (a model in use, `rnnviz.models.freeze`) are packed once and the
        result kept while the model holds the same arrays: sampling calls `step` once a token.
        """
        params = self.cell_params(direction, layer)
        arrays = tuple(params.values())
        if any(v.flags.writeable for v in arrays):
            return self.cell.pack(params)
        memo = _PACKED.setdefault(self, {})
        kept = memo.get((direction, layer))
        if kept is not None and all(a is b for a, b in zip(kept[0], arrays, strict=True)):
            return kept[1]
        packed = self.cell.pack(params)
        _read_only(packed)
        memo[direction, layer] = (arrays, packed)
        return packed

    def to_course_parameters(self, direction=""):
        """The parameters of one direction with the course exercise's names (RNN: Wya for Wy)."""
        out = dict(self.cell_params(direction))
        out[self.cell.course_head] = self.params["Wy"]
        out["by"] = self.params["by"]
        return out

    # -- forward ------------------------------------------------------------------------------

    def _check_x(self, x):
        x = np.asarray(x)
        if x.ndim != 3 or x.shape[0] != self.config.n_x:
            raise ValueError(f"x must have shape (n_x={self.config.n_x}, m, T_x), got {x.shape}")
        if x.shape[1] < 1 or x.shape[2] < 1:
            raise ValueError("x needs at least one example (m >= 1) and one step (T_x >= 1)")
        return x

    def _state_rows(self, state0, m, dt):
        """Per layer, the start state in rows layout: a tuple of (m, n_a) arrays."""
        cfg = self.config
        if state0 is None:
            return [self.cell.zero_state(m, cfg.n_a, dt) for _ in range(cfg.layers)]
        vecs = [np.asarray(s, dt) for s in state0 if s is not None]
        if len(vecs) != len(self.cell.state):
            raise ValueError(f"a {cfg.cell} state has {len(self.cell.state)} vector(s)")
        shape = self.initial_state(m).a.shape
        if any(v.shape != shape for v in vecs):
            raise ValueError(f"state vectors must have shape {shape} ((layers,) n_a, m), got "
                             f"{[v.shape for v in vecs]}")
        if cfg.layers == 1:
            vecs = [v[None] for v in vecs]
        return [tuple(np.ascontiguousarray(v[layer].T) for v in vecs)
                for layer in range(cfg.layers)]

    def forward(self, x, state0=None, tokens=None, interventions=None, reference=None):
        """Run the network over x (n_x, m, T_x); return a Trace of every quantity.

        The trace's unprefixed keys are the top layer's; `trace.layer(l)` gives layer l.
        interventions: Clamp / Patch (rnnviz.core.interventions) applied while the network
        reads x; the layers and directions they touch run the cells' readable step, the rest
        the fused loop. reference: x of the "mean" clamps' means (None: x itself).
        """
        cfg = self.config
        x = self._check_x(x)
        if state0 is not None and cfg.bidirectional:
            raise ValueError("a bidirectional model reads the whole sequence: no carried state")
        edits = plan(self, x, interventions, state0, reference) if interventions else {}
        changed = [{} for _ in range(cfg.layers)] if edits else None
        dt = np.dtype(cfg.dtype)
        X = rows(x, dt)
        starts = self._state_rows(state0, x.shape[1], dt)
        layer_rows, layer_tapes = [], []
        inp = X
        with np.errstate(over="ignore", invalid="ignore"):
            for layer in range(1, cfg.layers + 1):
                named_l, tapes, parts = {}, {}, []
                for d in cfg.directions:
                    if d == "bwd":          # reads its input from T_x down to 1, from zeros
                        Xd = np.ascontiguousarray(inp[::-1])
                        s = self.cell.zero_state(x.shape[1], cfg.n_a, dt)
                    else:
                        Xd, s = inp, starts[layer - 1]
                    if (layer, d) in edits:     # the readable step where an edit is
                        tape = self.cell.forward_readable(
                            self.cell_params(d, layer), Xd, s, hook(edits[layer, d]),
                            only={t for e in edits[layer, d] for t in e.values},
                            packed=self.packed(d, layer))
                        changed[layer - 1].update(marks(self, edits[layer, d], *Xd.shape[:2],
                                                        d))
                    else:
                        tape = self.cell.forward(self.packed(d, layer), Xd, s)
                    tapes[d] = tape
                    named = self.cell.named_rows(tape)
                    if d == "bwd":                               # back to the input's time order
                        named = {k: v[::-1] for k, v in named.items()}
                    sfx = f"_{d}" if d else ""
                    named_l.update({k + sfx: v for k, v in named.items()})
                    parts.append(named["a"])
                inp = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=2)
                named_l["a"] = inp
                layer_rows.append(named_l)
                layer_tapes.append(tapes)
            Zy = (matmul_rows(self._head_input(inp), self.params["Wy"].T)
                  + self.params["by"][:, 0])
            out = {"z_y": Zy, "y_hat": (sigmoid(Zy) if cfg.head == "many_to_one_sigmoid"
                                        else softmax(Zy, axis=-1))}
        final = None
        if not cfg.bidirectional:
            ends = [self.cell.final_state(t[""]) for t in layer_tapes]
            final = State(*(self._stack_state([e[i] for e in ends])
                            for i in range(len(self.cell.state))))
        toks = list(tokens) if tokens is not None else None
        return Trace(rows={"x": X, **layer_rows[-1], **out}, tokens=toks, config=cfg,
                     final_state=final, tapes=layer_tapes[-1], layer_rows=layer_rows,
                     layer_tapes=layer_tapes, outputs=out, changed=changed)

    def _head_input(self, A):
        """What the head reads at each step (T_x, m, directions · n_a) from the top layer's
        rows A: A itself, except at T_x for the "h_n" readout of a bidirectional model
        ([a→<T_x>; a←<1>]) and the "mean" readout ((1/T_x) Σ_t a<t>); see the docstring."""
        readout = self.config.readout
        if readout == "mean":
            H = A.copy()
            H[-1] = A.mean(axis=0)
            return H
        if readout != "h_n" or not self.config.bidirectional:
            return A
        H = A.copy()
        H[-1, :, self.config.n_a:] = A[0, :, self.config.n_a:]
        return H

    def _head_input_grad(self, dH):
        """∂L/∂a^[L]<t> from ∂L/∂(head input)<t>: the transpose of `_head_input`."""
        readout = self.config.readout
        if readout == "mean":
            dA = dH.copy()
            dA[-1] = 0                             # a<T_x> feeds ŷ<T_x> only through the mean
            dA += dH[-1] / dH.shape[0]             # ∂mean/∂a<t> = 1/T_x at every t
            return dA
        if readout != "h_n" or not self.config.bidirectional:
            return dH
        n = self.config.n_a
        dA = dH.copy()
        dA[-1, :, n:] = 0                      # a←<T_x> feeds no ŷ<T_x> ...
        dA[0, :, n:] += dH[-1, :, n:]          # ... a←<1> does (h_n): the gradient enters there
        return dA

    def _stack_state(self, per_layer):
        """Rows-layout (m, n_a) per layer -> the course's (n_a, m), or (layers, n_a, m)."""
        cols_ = [v.T.copy() for v in per_layer]
        return cols_[0] if self.config.layers == 1 else np.stack(cols_)

    def _targets(self, y, T, m, at):
        """(mask (T, m) bool, indices or values (T, m)) of the steps that carry a target."""
        cfg = self.config
        y = np.asarray(y)
        many = cfg.head == "many_to_many" and at == "all"
        if many:
            if y.ndim == 1 and m == 1:
                y = y[None]
            if y.shape != (m, T):
                raise ValueError(f"targets must have shape (m={m}, T_x={T}), got {y.shape}")
            return (y >= 0).T, y.T
        if cfg.head == "many_to_many" and y.ndim == 2:
            y = y[:, -1]
        if y.shape != (m,):
            raise ValueError(f"targets of a loss at the last step must have shape ({m},)")
        mask = np.zeros((T, m), dtype=bool)
        mask[-1] = True
        vals = np.zeros((T, m), dtype=y.dtype)
        vals[-1] = y
        return mask, vals

    def _loss_and_dzy(self, trace, y, at):
        cfg = self.config
        T, m = trace.T_x, trace.m
        Zy = trace.rows["z_y"]
        mask, vals = self._targets(y, T, m, at)
        if cfg.head == "many_to_one_sigmoid":
            z = Zy[..., 0]
            yv = vals.astype(Zy.dtype)
            # BCE with logits: softplus(z) - y z, and ∂/∂z = σ(z) - y
            loss = float(np.sum((np.logaddexp(0, z) - yv * z) * mask)) / m
            dZy = ((sigmoid(z) - yv) * mask / m)[..., None]
            return loss, dZy.astype(Zy.dtype)
        idx = np.where(mask, vals, 0).astype(np.int64)
        if np.any(idx >= cfg.n_y) or np.any(idx < 0):
            raise ValueError(f"target classes must be in [0, {cfg.n_y})")
        logp = log_softmax(Zy, axis=-1)
        picked = np.take_along_axis(logp, idx[..., None], axis=-1)[..., 0]
        loss = -float(np.sum(picked * mask)) / m
        # ∂L/∂z_y<t> = ŷ<t> - one_hot(y<t>), on the steps with a target
        dZy = np.exp(logp)
        np.put_along_axis(dZy, idx[..., None],
                          np.take_along_axis(dZy, idx[..., None], axis=-1) - 1, axis=-1)
        dZy *= mask[..., None] / m
        return loss, dZy.astype(Zy.dtype)

    def loss(self, trace, y, at="all"):
        with np.errstate(over="ignore", invalid="ignore"):
            return self._loss_and_dzy(trace, y, at)[0]

    def backward(self, trace, y=None, at="all", dZy=None, input_grad=True):
        """BPTT from the loss, through every layer. Returns (loss, grads, BackwardTrace).

        y: targets (see `_targets`); at: "all" (per-step loss) or "last" (loss at T_x only).
        dZy: instead of y, any upstream gradient of the output pre-activations (T_x, m, n_y) in
        rows layout (used for Jacobians); the loss is then NaN.
        input_grad: also ∂L/∂x<t> ("dx"); training, which does not need it, saves one GEMM.
        The BackwardTrace's unprefixed keys are the top layer's, except "dx" = ∂L/∂x<t>;
        `btrace.layer(l)` gives layer l.
        """
        cfg = self.config
        with np.errstate(over="ignore", invalid="ignore"):
            if dZy is None:
                loss, dZy = self._loss_and_dzy(trace, y, at)
            else:
                loss = float("nan")
            H = self._head_input(trace.rows["a"])       # a<t>, or h_n at T_x (readout "h_n")
            T, m, _ = H.shape
            grads = {
                "Wy": dZy.reshape(T * m, -1).T @ H.reshape(T * m, -1),   # Σ_t dz_y<t> H<t>^T
                "by": dZy.sum(axis=(0, 1))[:, None],
            }
            # ∂L/∂a^[L]<t> from the output layer
            dA = self._head_input_grad(matmul_rows(dZy, self.params["Wy"]))
            n = cfg.n_a
            layer_rows = [None] * cfg.layers
            state_grads = [None] * cfg.layers
            for layer in range(cfg.layers, 0, -1):
                brows, d_in = {}, 0
                for j, d in enumerate(cfg.directions):
                    dAd = dA[:, :, j * n:(j + 1) * n]
                    tape = (trace.layer_tapes or [trace.tapes])[layer - 1][d]
                    if d == "bwd":
                        dAd = dAd[::-1]
                    g = self.cell.backward(tape, np.ascontiguousarray(dAd),
                                           input_grad=input_grad or layer > 1)
                    p = cfg.prefix(d, layer)
                    grads.update({p + k: v for k, v in self.cell.param_grads(g, n).items()})
                    named = self.cell.named_grad_rows(tape, g)
                    if d == "bwd":
                        named = {k: v[::-1] for k, v in named.items()}
                    d_in = d_in + named["dx"] if "dx" in named else None
                    sfx = f"_{d}" if d else ""
                    brows.update({k + sfx: v for k, v in named.items()})
                    if d != "bwd":
                        state_grads[layer - 1] = g["d_state0"][0]
                if cfg.bidirectional and d_in is not None:
                    brows["dx"] = d_in
                layer_rows[layer - 1] = brows
                dA = d_in                            # ∂L/∂a^[l-1]<t>: the layer below's output
        top = dict(layer_rows[-1])
        if input_grad:
            top["dx"] = layer_rows[0]["dx"]
        else:
            top.pop("dx", None)
        btrace = BackwardTrace(rows=top, tokens=trace.tokens, loss=loss, layer_rows=layer_rows)
        btrace.da0 = self._stack_state(state_grads)
        return loss, grads, btrace

    # -- one step at a time (sampling) --------------------------------------------------------

    def step(self, xt, state=None):
        """One step of a unidirectional model: xt (n_x, m) -> (ŷ<t> (n_y, m), new State)."""
        if self.config.bidirectional:
            raise ValueError("a bidirectional model cannot run one step at a time")
        xt = np.asarray(xt)
        trace = self.forward(xt[:, :, None], state0=state)
        return trace["y_hat"][:, :, 0], trace.final_state

    # -- persistence --------------------------------------------------------------------------

    @staticmethod
    def _paths(path):
        """'dir/name' or 'dir/name.npz' -> (dir/name.npz, dir/name.json); dots in names kept."""
        path = Path(path)
        stem = path.name[:-4] if path.name.endswith(".npz") else path.name
        return path.with_name(stem + ".npz"), path.with_name(stem + ".json")

    def save(self, path, metadata=None):
        """Write name.npz (arrays only) and name.json (config + metadata)."""
        npz, meta_path = self._paths(path)
        np.savez_compressed(npz, **self.params)
        meta = {"config": asdict(self.config), **(metadata or {})}
        meta_path.write_text(json.dumps(meta, indent=1, ensure_ascii=False))

    @classmethod
    def load(cls, path):
        """Read a model saved by `save`; returns (model, metadata)."""
        npz, meta_path = cls._paths(path)
        meta = json.loads(meta_path.read_text())
        with np.load(npz, allow_pickle=False) as z:
            params = {k: z[k] for k in z.files}
        return cls(RNNConfig(**meta["config"]), params), meta
