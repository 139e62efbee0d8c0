"""What every recurrent cell shares: named gates, packing, the fused input/weight GEMMs.

Layout. The course writes column vectors, W @ [a<t-1>; x<t>], with arrays (n, m, T_x). Inside the
time loops the same equations are kept transposed to rows, arrays (T_x, m, n), so that each
step reads and writes contiguous memory:
    z<t>^T = [a<t-1>; x<t>]^T W^T = a<t-1>^T W_a^T + x<t>^T W_x^T.

Fusions (each cell's file maps them back to its per-gate equations):
* all input projections x<t>^T W_x^T + b for every step are one GEMM before the loop;
* the gates of a cell are one matrix, blocks in the order of the cell's `gates`;
* σ(z) = 1 / (1 + e^-z) and tanh(z) = 2 σ(2z) - 1, so the packed weights are pre-scaled by -1
  (sigmoid gates) and -2 (tanh candidates): one exp call per step evaluates every gate, and the
  stored pre-activations are scaled back after the loop;
* weight gradients are one GEMM after the loop: dW^T = [a<t-1>; x<t>] stacked over t @ dz.
Every buffer is preallocated; the loops do only per-step work.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rnnviz.core.cells import keep
from rnnviz.core.init import bias, input_block, recurrent
from rnnviz.core.recurrent.step_operator import StepOperator

SIGMOID, TANH = -1.0, -2.0      # pre-scales: exp(-z) for σ(z), exp(-2z) for tanh(z)

# What a gate's recurrent weights multiply, in the notes' LaTeX.
READS = {"a": "a^{<t-1>}", "c": "c^{<t-1>}", "rc": r"(\Gamma_r * c^{<t-1>})"}


@dataclass(frozen=True)
class Gate:
    """One block of a cell's fused gate matrix, addressed by name everywhere else.

    key:   trace key of its value ("gamma_f", "c_tilde"; "a" for the vanilla RNN)
    pre:   trace key of its pre-activation ("z_f")
    param: course parameter suffix: weights W<param>, bias b<param> ("f"; "i" for the LSTM's Γu)
    sub:   subscript of its weights and bias in the equations (W_{fa}, W_{fx}, b_f)
    latex: LaTeX of the value of unit j, a format string with field {j}
    fn:    "sigmoid" | "tanh" | "relu": the activation applied to z
    reads: what its recurrent weights multiply: "a" (a<t-1>), "c" (c<t-1>), "rc" (Γr * c<t-1>)
    """

    key: str
    pre: str
    param: str
    sub: str
    latex: str
    fn: str
    reads: str

    @property
    def scale(self):
        """The pre-scale that lets one exp per step evaluate this gate (module docstring)."""
        return {"sigmoid": SIGMOID, "tanh": TANH}.get(self.fn, 1.0)

    @property
    def recurrent_latex(self):
        """LaTeX of the recurrent term of z as the notes write it ("W_{fa}a^{<t-1>}")."""
        if self.reads == "r(Wc+b)":      # PyTorch's GRU: Γr after the recurrent product
            return rf"\Gamma_r * (W_{{{self.sub}a}}c^{{<t-1>}} + b_{{{self.sub}a}})"
        return f"W_{{{self.sub}a}}{READS[self.reads]}"


@dataclass(frozen=True)
class Packed:
    """Fused weights of one recurrent layer, rows layout (see module docstring).

    Wa:  (n_a, k n_a)  recurrent part, pre-scaled per block (forward only)
    Wx:  (n_x, k n_a)  input part, pre-scaled (forward only)
    b:   (k n_a,)      biases, pre-scaled (forward only)
    WaT: (k n_a, n_a)  plain recurrent weights for da<t-1> = dz<t> W_a (backward)
    WxT: (k n_a, n_x)  plain input weights for dx<t> = dz<t> W_x (backward)
    unscale: (k n_a,)  1 / scale, maps the computed pre-activations back to z
    """

    Wa: np.ndarray
    Wx: np.ndarray
    b: np.ndarray
    WaT: np.ndarray
    WxT: np.ndarray
    unscale: np.ndarray


def pack(W, b, scales):
    """W (k n_a, n_a + n_x), b (k n_a,) stacked in gate order; one pre-scale per block."""
    n_a = W.shape[0] // len(scales)
    scale = np.repeat(np.asarray(scales, dtype=W.dtype), n_a)
    Ws = W * scale[:, None]
    return Packed(
        Wa=np.ascontiguousarray(Ws[:, :n_a].T),   # read every step: worth a contiguous copy
        Wx=np.ascontiguousarray(Ws[:, n_a:].T),   # a transposed view sends OpenBLAS a slow path
        b=b * scale,
        WaT=W[:, :n_a],
        WxT=W[:, n_a:],
        unscale=1 / scale,
    )


def input_projection(P, X):
    """x<t>^T W_x^T + b for every t: (T, m, n_x) -> (T, m, k n_a).

    One GEMM; when every x<t> is one-hot (text read token by token) the product is a row of
    W_x^T per step, looked up instead of multiplied (about a fifth of a char LM's forward).
    """
    T, m, n_x = X.shape
    X2 = X.reshape(T * m, n_x)
    ids = X2.argmax(axis=1) if X2.size else np.zeros(0, dtype=np.int64)
    if np.count_nonzero(X2) == len(ids) and np.all(X2[np.arange(len(ids)), ids] == 1):
        Z = P.Wx[ids]
    else:
        Z = X2 @ P.Wx
    Z += P.b
    return Z.reshape(T, m, -1)


def prev(first, seq):
    """[s<0>, s<1>, ..., s<T-1>] from s<0> (m, n) and s<1..T> (T, m, n)."""
    return np.concatenate([first[None], seq[:-1]], axis=0)


def weight_grads(X, H_prev, dZ, out=None):
    """dW = Σ_t dz<t> [h<t-1>; x<t>]^T as one GEMM, and db = Σ_t dz<t>.

    dW comes out in the course's layout (k n_a, n_a + n_x), so per-gate blocks are row slices.
    """
    T, m, k = dZ.shape
    dZ2 = dZ.reshape(T * m, k)
    HX = np.concatenate([H_prev.reshape(T * m, -1), X.reshape(T * m, -1)], axis=1)
    if out is None:
        return dZ2.T @ HX, dZ2.sum(axis=0)
    np.matmul(dZ2.T, HX, out=out)
    return out, dZ2.sum(axis=0)


def matmul_rows(A, W):
    """(T, m, k) @ (k, j) -> (T, m, j) as one 2-D GEMM (3-D @ 2-D would loop over T)."""
    T, m, k = A.shape
    return (A.reshape(T * m, k) @ W).reshape(T, m, -1)


def input_grads(P, dZ):
    """dx<t> = W_x^T dz<t> for every t in one GEMM: (T, m, k n_a) -> (T, m, n_x)."""
    return matmul_rows(dZ, P.WxT)


def rows(x, dtype):
    """(n, m, T_x) column layout -> (T_x, m, n) contiguous rows layout used by the loops."""
    return np.ascontiguousarray(np.transpose(x, (2, 1, 0)), dtype=dtype)


def cols(X):
    """(T_x, m, n) rows layout -> (n, m, T_x) view in the course's layout."""
    return np.transpose(X, (2, 1, 0))


class Cell:
    """The interface of every recurrent cell (Haiku's RNNCore, in the course's notation).

    A subclass sets `name`, `gates` (the blocks of its fused matrix, in packing order),
    `display` (gate keys in the order the notes write the equations), `state` (the names of
    its state vectors: ("a",) or ("a", "c")), `course_weight` (a parameter whose dtype the course's
    functions follow), `updates` (LaTeX of the state update lines) and `backward_updates`
    (LaTeX of its BPTT step, rendered for any layer by `bptt_equations`), and implements
    `forward`, `backward`, `step_jacobians`, `jacobian_pullback`, `step_cache` and
    `tape_from_caches`. Nothing outside the cell files slices a gate block by offset: use
    `block`.

    The contract of a new cell, in order of need:
      1. `step(params, xt, state, edit)`: the readable equations of one step, column vectors
         (rnnviz.core.cells: one function per cell, one equation a line, every named quantity
         passed through `edit`), returning (new state tuple, cache);
      2. `gates` (one `Gate` per named gate, with its pre-activation key), `state`,
         `param_shapes` / `init_params` (the defaults here: one W, b per gate);
      3. `tape_from_caches(caches, dtype)`: the loop's caches as a tape (rows layout, fields
         `X`, `Z`, `G`, `A`, `a0`, plus `C` / `c0` with a memory cell).
    With these, `forward_readable` runs the cell over a sequence (and `Model.forward(...,
    interventions=...)` runs it). The fused `forward`, `backward`, the Jacobians and the
    course-API caches (`step_cache`) are the fast path and the analyses built on it.
    """

    name = ""
    gates: tuple = ()
    display: tuple = ()
    state: tuple = ("a",)
    course_weight = ""
    course_head = "Wy"                # the course's name of the output weights (RNN: Wya)
    updates: tuple = ()
    # BPTT of one step as the notes write it (LaTeX, one chain-rule step a line); written for a
    # one-layer network, `bptt_equations` renders them for any layer of a stack.
    backward_updates: tuple = ()

    def bptt_equations(self, layer=None, layers=1):
        """`backward_updates` in a^[l] notation for layer l of a stacked model (layers > 1):
        every state and its gradient carries [l]; layer l reads a^[l-1]<t> in place of x<t>;
        below the top, ∂L/∂a^[l]<t> receives what layer l+1 sends back in place of
        W_yᵀ(ŷ<t> − y<t>). The one place the backward equations are rendered."""
        lines = list(self.backward_updates)
        if layer is None or layers == 1:
            return lines
        above = (rf"\textstyle\sum_g (W_{{gx}}^{{[{layer + 1}]}})^T dz_g^{{[{layer + 1}]<t>}}"
                 rf"\ (\text{{from layer {layer + 1}}})")
        out = []
        for line in lines:
            if layer < layers:
                for head in (r"W_{ya}^T(\hat{y}^{<t>} - y^{<t>})",
                             r"W_y^T(\hat{y}^{<t>} - y^{<t>})"):
                    line = line.replace(head, above)
            if layer > 1:
                line = line.replace("x^{<t>}", f"a^{{[{layer - 1}]<t>}}")
            for state in ("a^{<", "c^{<", r"\tilde{c}^{<"):
                line = line.replace(state, state[:-1] + f"[{layer}]<")
            out.append(line)
        return out

    # -- the readable path: one step at a time, with an edit hook --------------------------

    def step(self, params, xt, state, edit=keep):
        """One step of the cell's readable equations (rnnviz.core.cells), column vectors:
        xt (n_x, m), state a tuple of (n_a, m) in `state` order -> (new state, cache)."""
        raise NotImplementedError

    @property
    def quantities(self):
        """What an edit hook (and an intervention) may change: gate keys and states."""
        return tuple(dict.fromkeys([g.key for g in self.gates] + list(self.state)))

    def forward_readable(self, params, X, state, edit_at=None, only=None, packed=None):
        """The sequence X (T_x, m, n_x), rows layout, through `step`, one step at a time:
        the same tape as `forward` (values equal to float rounding), slower.

        edit_at(t, name, value) -> value, t the 0-based loop index: the edit hook of every
        step (None: no edit). The tape holds the values after the edits; its pre-activations
        Z are those the step computed (before any edit of the gate they feed).
        only: the loop indices that need the readable step (those with an edit); with it and
        `packed` (this layer's `pack(params)`), the runs of steps in between go through the
        fused `forward` and are read back as caches (`step_cache`).
        """
        T = X.shape[0]
        only = set(range(T)) if only is None or packed is None else set(only)
        pre = {g.pre: [] for g in self.gates}
        caches, Z = [], []
        s = tuple(v.T for v in state)
        t = 0
        while t < T:
            if t not in only:                        # a run of unedited steps: the fused loop
                end = min([u for u in only if u > t], default=T)
                tape = self.forward(packed, X[t:end], tuple(v.T for v in s))
                caches += [self.step_cache(tape, params, i) for i in range(end - t)]
                Z.append(tape.Z)
                s = tuple(v[-1].T for v in self._state_rows(tape))
                t = end
                continue

            def edit(name, value, t=t):
                if edit_at is not None:
                    value = edit_at(t, name, value)
                if name in pre:
                    pre[name].append(value.T)
                return value

            s, cache = self.step(params, X[t].T, s, edit)
            caches.append(cache)
            Z.append(np.concatenate([pre[g.pre].pop()[None] for g in self.gates], axis=2))
            t += 1
        tape = self.tape_from_caches(caches, X.dtype)
        tape.Z = np.concatenate(Z, axis=0).astype(X.dtype)
        return tape

    def _state_rows(self, tape):
        """The state vectors of every step of a tape, rows layout, in `state` order."""
        return tuple(tape.C if v == "c" else tape.A for v in self.state)

    # -- named gates ----------------------------------------------------------------------

    @cached_property
    def _layout(self):
        """key -> (position in the fused blocks, Gate): the only place offsets come from."""
        return {g.key: (i, g) for i, g in enumerate(self.gates)}

    @cached_property
    def param_names(self):
        """The course's names of the cell's parameters (Wf, bf, ...; RNN: Wax, Waa, ba)."""
        return tuple(self.param_shapes(1, 1))

    def gate(self, key):
        return self._layout[key][1]

    def index(self, key):
        return self._layout[key][0]

    def block(self, arr, key, n):
        """The block of gate `key` in a fused array (last axis k n_a): a view."""
        i = self._layout[key][0]
        return arr[..., i * n:(i + 1) * n]

    def activation_slopes(self, G, n):
        """∂(gate value)/∂(its z) from the values, fused like G: σ' = Γ (1 - Γ), tanh' = 1 - c̃²."""
        S = np.empty_like(G)
        for g in self.gates:
            v, out = self.block(G, g.key, n), self.block(S, g.key, n)
            if g.fn == "sigmoid":
                np.multiply(v, 1 - v, out=out)
            elif g.fn == "tanh":
                np.subtract(1, v * v, out=out)
            else:
                raise ValueError(f"no slope rule for {g.fn!r}")
        return S

    # -- analysis: products of step Jacobians ---------------------------------------------

    def jacobian_pullback(self, params, tape, example=0, dtype=np.float64):
        """pull(R, i) = R @ J<i+1> for a block of rows R (k, n_s), where J<t> = ∂s<t>/∂s<t-1>
        (t 1-based as in the notes, i = t - 1 indexes the tape) and s is the state (`state`:
        a, or [a; c] for the LSTM). R and the weights in `dtype`; the result is new.

        Exact: equal to R @ `step_jacobians(params, tape)[i, example]`. Built for products
        J<T_x> ... J<t+1> taken right to left (`rnnviz.core.analysis.state_jacobian_norms`):
        each step's diagonal factors come from the tape's gate values for every t at once,
        and a step costs one or two GEMMs against the recurrent weights.
        """
        raise NotImplementedError

    def jacobian_operator(self, params, tape, example=0, dtype=np.float64):
        """The step Jacobians J<t> of one example as products for every step at once
        (`StepOperator`: J<t> X[t] and J<t>ᵀ Y[t], row and column norm bounds). This default
        forms them (`step_jacobians`); a cell whose J<t> is diagonal factors times its
        weights applies those instead (RNN, LSTM), one GEMM for all steps."""
        J = np.asarray(self.step_jacobians(params, tape), dtype=dtype)[:, example]
        return StepOperator.of_matrices(J)

    # -- what each step adds to ∂L/∂W --------------------------------------------------------

    def weight_grad_factors(self, tape, grads):
        """What step t adds to each gate's weights, as outer products: {gate key: blocks}.

        blocks = ((param, left, right), ...) are the column blocks of the gate's weights in the
        course's layout (W_g = [W_ga | W_gx]), and step t adds Σ_m left<t> right<t>^T to each:
        left (T_x, m, n_a), right (T_x, m, n_a or n_x), in the tape's time order. Summed over t,
        the blocks side by side are `param_grads`' ∂L/∂W_g. grads: `named_grad_rows` of the
        tape. Here every gate reads [a<t-1>; x<t>] (c<t-1> = a<t-1> in a GRU):
            ∂L/∂W_g += dz_g<t> [a<t-1>; x<t>]^T
        """
        a_prev = prev(self.initial_state(tape)[0], tape.A)
        out = {}
        for g in self.gates:
            dz = grads["d" + g.pre]
            out[g.key] = (("W" + g.param, dz, a_prev), ("W" + g.param, dz, tape.X))
        return out

    # -- parameters -----------------------------------------------------------------------

    def param_shapes(self, n_a, n_x):
        """Course parameter name -> shape (one W (n_a, n_a + n_x) and one b per gate)."""
        shapes = {}
        for g in self.gates:
            shapes["W" + g.param] = (n_a, n_a + n_x)
            shapes["b" + g.param] = (n_a, 1)
        return shapes

    def init_params(self, rng, n_a, n_x, init):
        """Per gate: W = [W_aa | W_ax] and b drawn per `init` (`rnnviz.core.init`)."""
        params = {}
        for g in self.gates:
            params["W" + g.param] = np.concatenate(
                [recurrent(rng, n_a, init), input_block(rng, n_a, n_x, init)], axis=1)
            params["b" + g.param] = bias(rng, n_a, init)
        return params

    def fused(self, params):
        """W (k n_a, n_a + n_x) and b (k n_a,) of the gates, in packing order."""
        W = np.concatenate([params["W" + g.param] for g in self.gates], axis=0)
        b = np.concatenate([params["b" + g.param] for g in self.gates], axis=0)[:, 0]
        return W, b

    def pack(self, params):
        W, b = self.fused(params)
        return pack(W, b, [g.scale for g in self.gates])

    def param_grads(self, g, n_a):
        """Course parameter name -> gradient, from the fused dW (k n_a, ·), db (k n_a,)."""
        out = {}
        for i, gate in enumerate(self.gates):
            out["W" + gate.param] = g["dW"][i * n_a:(i + 1) * n_a]
            out["b" + gate.param] = g["db"][i * n_a:(i + 1) * n_a, None]
        return out

    def terms(self, params, key, h_prev, r, x, unit):
        """The three parts of z for one unit of gate `key`: (recurrent, input, bias).

        h_prev: the state vector the cell read, (n_a,); r: Γr<t> (n_a,) when the gate reads
        Γr * c<t-1>; x: the index of a one-hot x<t>, or the input vector (a layer below's a<t>).
        """
        n = h_prev.shape[0]
        W, b = self.fused(params)
        row = self.index(key) * n + unit
        h = r * h_prev if self.gate(key).reads == "rc" else h_prev
        return float(W[row, :n] @ h), self._input_term(W[row, n:], x), float(b[row])

    @staticmethod
    def _input_term(w, x):
        return float(w[x]) if isinstance(x, int) else float(w @ x)

    # -- state ----------------------------------------------------------------------------

    def zero_state(self, m, n_a, dtype):
        """The state a pass starts from by default, rows layout: one (m, n_a) per vector."""
        return tuple(np.zeros((m, n_a), dtype=dtype) for _ in self.state)

    def initial_state(self, tape):
        """(a<0>, c<0> or None) of a tape, rows layout."""
        return tape.a0, getattr(tape, "c0", None)

    def final_state(self, tape):
        """(a<T_x>, c<T_x> or None), rows layout."""
        return tape.A[-1], (tape.C[-1] if "c" in self.state else None)

    # -- the trace ------------------------------------------------------------------------

    def named_rows(self, tape):
        """Trace key -> (T_x, m, n) for every quantity of the forward pass."""
        n = tape.A.shape[2]
        out = {}
        for g in self.gates:
            out[g.pre] = self.block(tape.Z, g.key, n)
            out[g.key] = self.block(tape.G, g.key, n)
        if hasattr(tape, "C"):
            out["c"] = tape.C
        out["a"] = tape.A
        return out
