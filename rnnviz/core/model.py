"""One model abstraction over RNN, GRU, LSTM and a bidirectional wrapper of any of them.

    a<t> = cell(a<t-1>, x<t>)                        (RNN / GRU / LSTM, see rnnviz.core.cells)
    ŷ<t> = g(W_y a<t> + b_y)                         unidirectional
    ŷ<t> = g(W_y [a→<t>; a←<t>] + b_y)               bidirectional: a→ reads x<1..t>,
                                                      a← reads x<T_x..t>, own parameters each
Heads: "many_to_many" (softmax at every step, T_y = T_x), "many_to_one" (softmax, the loss
uses ŷ<T_x>), "many_to_one_sigmoid" (n_y = 1, σ, the loss uses ŷ<T_x>). ŷ<t> is computed at
every step for every head, so the app can show a running prediction.

Loss: cross-entropy summed over the time steps that carry a target (the seed's L = Σ_t L<t>),
averaged over the m examples. Parameters keep the seed's names (`Wf`, `Wi`, `Waa`, ...), with
`fwd.` / `bwd.` prefixes for the two directions of a bidirectional model.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from rnnviz.core import kernels
from rnnviz.core.functional import log_softmax, sigmoid, softmax
from rnnviz.core.init import InitConfig, recurrent, xavier
from rnnviz.core.trace import BackwardTrace, Trace

CELLS = ("rnn", "gru", "lstm")
HEADS = ("many_to_many", "many_to_one", "many_to_one_sigmoid")
# Gate weight names per cell, in the kernels' packing order, and their trace names.
GATES = {
    "rnn": ("a",),
    "gru": ("u", "r", "c"),
    "lstm": ("o", "f", "i", "c"),
}
GATE_KEYS = {"a": "z_a", "u": "gamma_u", "r": "gamma_r", "c": "c_tilde",
             "o": "gamma_o", "f": "gamma_f", "i": "gamma_u"}
PRE_KEYS = {"a": "z_a", "u": "z_u", "r": "z_r", "c": "z_c", "o": "z_o", "f": "z_f", "i": "z_u"}


class State(NamedTuple):
    """Recurrent state in the seed's layout: a (n_a, m); c (n_a, m) for the LSTM, else None."""

    a: np.ndarray
    c: np.ndarray | None = None


@dataclass(frozen=True)
class RNNConfig:
    cell: str = "lstm"               # "rnn" | "gru" | "lstm"
    n_x: int = 27                    # input size (vocabulary size for one-hot inputs)
    n_a: int = 32                    # hidden units per direction
    n_y: int = 27                    # output classes (1 for a sigmoid head)
    activation: str = "tanh"         # RNN only: "tanh" | "relu"
    bidirectional: bool = False      # two directions with their own parameters
    head: str = "many_to_many"       # see module docstring
    dtype: str = "float64"           # "float64" | "float32"

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

    @property
    def directions(self):
        return ("fwd", "bwd") if self.bidirectional else ("",)

    def prefix(self, direction):
        return f"{direction}." if direction else ""


def param_shapes(cfg):
    """Name -> shape of every parameter of a model with this config."""
    n_a, n_x = cfg.n_a, cfg.n_x
    shapes = {}
    for d in cfg.directions:
        p = cfg.prefix(d)
        if cfg.cell == "rnn":
            shapes.update({p + "Wax": (n_a, n_x), p + "Waa": (n_a, n_a), p + "ba": (n_a, 1)})
        else:
            for g in GATES[cfg.cell]:
                shapes[p + "W" + g] = (n_a, n_a + n_x)
                shapes[p + "b" + g] = (n_a, 1)
    shapes["Wy"] = (cfg.n_y, len(cfg.directions) * n_a)
    shapes["by"] = (cfg.n_y, 1)
    return shapes


def _rows(x, dtype):
    return np.ascontiguousarray(np.transpose(x, (2, 1, 0)), dtype=dtype)


class Model:
    """A recurrent network with an output head. `params` maps the seed's names to arrays."""

    def __init__(self, config, params):
        self.config = config
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
        n_a, n_x = config.n_a, config.n_x
        params = {}
        for d in config.directions:
            p = config.prefix(d)
            if config.cell == "rnn":
                params[p + "Wax"] = xavier(rng, n_a, n_x)
                params[p + "Waa"] = recurrent(rng, n_a, init)
                params[p + "ba"] = np.zeros((n_a, 1))
                continue
            for g in GATES[config.cell]:
                params[p + "W" + g] = np.concatenate(
                    [recurrent(rng, n_a, init), xavier(rng, n_a, n_x)], axis=1)
                params[p + "b" + g] = np.zeros((n_a, 1))
            if config.cell == "lstm":
                params[p + "bf"][:] = init.forget_bias
        params["Wy"] = xavier(rng, config.n_y, len(config.directions) * n_a)
        params["by"] = np.zeros((config.n_y, 1))
        return cls(config, params)

    def copy(self):
        return Model(self.config, {k: v.copy() for k, v in self.params.items()})

    @property
    def n_params(self):
        return int(sum(v.size for v in self.params.values()))

    def initial_state(self, m=1):
        z = np.zeros((self.config.n_a, m), dtype=self.config.dtype)
        return State(z, z.copy() if self.config.cell == "lstm" else None)

    def to_seed_parameters(self, direction=""):
        """The parameters of one direction with the seed exercise's names (RNN: Wya for Wy)."""
        p = self.config.prefix(direction)
        out = {k[len(p):]: v for k, v in self.params.items() if k.startswith(p) and "." not in
               k[len(p):]}
        out["Wy"], out["by"] = self.params["Wy"], self.params["by"]
        if self.config.cell == "rnn":
            out["Wya"] = out.pop("Wy")
        return out

    # -- forward ------------------------------------------------------------------------------

    def _pack(self, p):
        P = self.params
        if self.config.cell == "rnn":
            return kernels.rnn_pack(P[p + "Wax"], P[p + "Waa"], P[p + "ba"])
        if self.config.cell == "gru":
            return kernels.gru_pack(*(P[p + k] for k in ("Wu", "Wr", "Wc", "bu", "br", "bc")))
        return kernels.lstm_pack(*(P[p + k] for k in ("Wo", "Wf", "Wi", "Wc", "bo", "bf", "bi",
                                                      "bc")))

    def _run(self, P, X, state):
        """One direction over X (T, m, n_x) in rows layout; state in rows layout."""
        cell = self.config.cell
        if cell == "rnn":
            return kernels.rnn_forward(P, X, state[0], self.config.activation)
        if cell == "gru":
            return kernels.gru_forward(P, X, state[0])
        return kernels.lstm_forward(P, X, state[0], state[1])

    def _check_x(self, x):
        x = np.asarray(x)
        if x.ndim != 3 or x.shape[0] != self.config.n_x:
            raise ValueError(f"x must have shape (n_x={self.config.n_x}, m, T_x), got {x.shape}")
        if x.shape[1] < 1 or x.shape[2] < 1:
            raise ValueError("x needs at least one example (m >= 1) and one step (T_x >= 1)")
        return x

    def forward(self, x, state0=None, tokens=None):
        """Run the network over x (n_x, m, T_x); return a Trace of every quantity."""
        cfg = self.config
        x = self._check_x(x)
        if state0 is not None and cfg.bidirectional:
            raise ValueError("a bidirectional model reads the whole sequence: no carried state")
        dt = np.dtype(cfg.dtype)
        m = x.shape[1]
        s0 = state0 if state0 is not None else self.initial_state(m)
        s0_rows = tuple(None if s is None else np.ascontiguousarray(np.asarray(s, dt).T)
                        for s in s0)
        X = _rows(x, dt)
        rows, tapes, A_parts = {"x": X}, {}, []
        with np.errstate(over="ignore", invalid="ignore"):
            for d in cfg.directions:
                Xd = X if d != "bwd" else np.ascontiguousarray(X[::-1])
                s = s0_rows if d != "bwd" else tuple(
                    None if v is None else np.zeros_like(v) for v in s0_rows)
                tape = self._run(self._pack(cfg.prefix(d)), Xd, s)
                tapes[d] = tape
                named = self._named_rows(tape)
                if d == "bwd":                               # back to the input's time order
                    named = {k: v[::-1] for k, v in named.items()}
                sfx = f"_{d}" if d else ""
                rows.update({k + sfx: v for k, v in named.items()})
                A_parts.append(named["a"])
            A = A_parts[0] if len(A_parts) == 1 else np.concatenate(A_parts, axis=2)
            rows["a"] = A
            Zy = kernels.matmul_rows(A, self.params["Wy"].T) + self.params["by"][:, 0]
            rows["z_y"] = Zy
            rows["y_hat"] = (sigmoid(Zy) if cfg.head == "many_to_one_sigmoid"
                             else softmax(Zy, axis=-1))
        last = tapes[cfg.directions[0]]
        final = None
        if not cfg.bidirectional:
            a_T = last.C[-1] if cfg.cell == "gru" else last.A[-1]
            final = State(a_T.T.copy(), last.C[-1].T.copy() if cfg.cell == "lstm" else None)
        toks = list(tokens) if tokens is not None else None
        return Trace(rows=rows, tokens=toks, config=cfg, final_state=final, tapes=tapes)

    def _named_rows(self, tape):
        cell, n = self.config.cell, self.config.n_a
        if cell == "rnn":
            return {"z_a": tape.Z, "a": tape.A}
        out = {}
        for i, g in enumerate(GATES[cell]):
            out[PRE_KEYS[g]] = tape.Z[:, :, i * n:(i + 1) * n]
            out[GATE_KEYS[g]] = tape.G[:, :, i * n:(i + 1) * n]
        out["c"] = tape.C
        out["a"] = tape.C if cell == "gru" else tape.A
        return out

    # -- loss and backward --------------------------------------------------------------------

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

    def backward(self, trace, y=None, at="all", dZy=None):
        """BPTT from the loss. Returns (loss, grads, BackwardTrace).

        y: targets (see `_targets`); at: "all" (per-step loss) or "last" (loss at T_x only).
        dZy: instead of y, any upstream gradient of the output pre-activations (T_x, m, n_y) in
        rows layout (used for Jacobians); the loss is then NaN.
        """
        cfg = self.config
        with np.errstate(over="ignore", invalid="ignore"):
            if dZy is None:
                loss, dZy = self._loss_and_dzy(trace, y, at)
            else:
                loss = float("nan")
            A = trace.rows["a"]
            T, m, _ = A.shape
            grads = {
                "Wy": dZy.reshape(T * m, -1).T @ A.reshape(T * m, -1),   # Σ_t dz_y<t> a<t>^T
                "by": dZy.sum(axis=(0, 1))[:, None],
            }
            dA = kernels.matmul_rows(dZy, self.params["Wy"])   # ∂L/∂a<t> from the output layer
            brows = {}
            n = cfg.n_a
            dX = 0
            for j, d in enumerate(cfg.directions):
                dAd = dA[:, :, j * n:(j + 1) * n]
                tape = trace.tapes[d]
                if d == "bwd":
                    dAd = dAd[::-1]
                g = self._run_backward(tape, np.ascontiguousarray(dAd))
                grads.update(self._param_grads(g, cfg.prefix(d)))
                named = self._named_grad_rows(tape, g)
                if d == "bwd":
                    named = {k: v[::-1] for k, v in named.items()}
                dX = dX + named["dx"]
                sfx = f"_{d}" if d else ""
                brows.update({k + sfx: v for k, v in named.items()})
                if d == "" or d == "fwd":
                    grads["_da0"] = g.get("da0", g.get("dc0")).T
            if cfg.bidirectional:
                brows["dx"] = dX
        state_grad = grads.pop("_da0")
        btrace = BackwardTrace(rows=brows, tokens=trace.tokens, loss=loss)
        btrace.da0 = state_grad
        return loss, grads, btrace

    def _run_backward(self, tape, dA):
        if self.config.cell == "rnn":
            return kernels.rnn_backward(tape, dA)
        if self.config.cell == "gru":
            return kernels.gru_backward(tape, dA)
        return kernels.lstm_backward(tape, dA)

    def _param_grads(self, g, p):
        cell, n = self.config.cell, self.config.n_a
        gates = GATES[cell]
        dWs, dbs = kernels.unpack_grad(g["dW"], g["db"], n, len(gates))
        if cell == "rnn":
            return {p + "Waa": dWs[0][:, :n], p + "Wax": dWs[0][:, n:], p + "ba": dbs[0]}
        out = {}
        for gname, dW, db in zip(gates, dWs, dbs, strict=True):
            out[p + "W" + gname] = dW
            out[p + "b" + gname] = db
        return out

    def _named_grad_rows(self, tape, g):
        """∂L/∂(every quantity) per step, rows layout, in the tape's time order."""
        cell, n = self.config.cell, self.config.n_a
        out = {"dx": g["dX"]}
        if cell == "rnn":
            out.update(da=g["dA"], dz_a=g["dZ"])
            return out
        dZ = g["dZ"]
        for i, gname in enumerate(GATES[cell]):
            out["d" + PRE_KEYS[gname]] = dZ[:, :, i * n:(i + 1) * n]
        G = tape.G
        if cell == "lstm":
            DA, DC = g["dA"], g["dC"]
            O, F, U, CT = (G[:, :, i * n:(i + 1) * n] for i in range(4))
            C_prev = kernels._prev(tape.c0, tape.C)
            out.update(da=DA, dc=DC, dgamma_o=DA * tape.TC, dgamma_f=DC * C_prev,
                       dgamma_u=DC * CT, dc_tilde=DC * U)
        else:
            DC = g["dC"]
            U, CT = G[:, :, :n], G[:, :, 2 * n:]
            C_prev = kernels._prev(tape.c0, tape.C)
            d_rc = kernels.matmul_rows(out["dz_c"], tape.P.WaT[2 * n:])   # ∂L/∂(Γr * c<t-1>)
            out.update(da=DC, dc=DC, dgamma_u=DC * (CT - C_prev), dgamma_r=d_rc * C_prev,
                       dc_tilde=DC * U)
        return out

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
