"""The vanilla RNN cell (the notes' "basic RNN"), tanh or ReLU.

    z<t> = W_aa a<t-1> + W_ax x<t> + b_a          W_aa (n_a, n_a), W_ax (n_a, n_x), b_a (n_a, 1)
    a<t> = g(z<t>),  g = tanh (the notes) or ReLU

Shapes: x<t> (n_x, m), a<t> (n_a, m). The course's parameter names: Wax, Waa, ba. The fused
loop reads the same equation as one row GEMM per step, a<t-1>^T W_aa^T, on top of the input
projections of every step made at once (rnnviz.core.recurrent.base).
"""

from dataclasses import dataclass

import numpy as np

from rnnviz.core.cells import RNNCache, keep, rnn_step
from rnnviz.core.init import bias, input_block, recurrent
from rnnviz.core.recurrent.base import (
    Cell,
    Gate,
    Packed,
    input_grads,
    input_projection,
    pack,
    prev,
    weight_grads,
)
from rnnviz.core.recurrent.step_operator import StepOperator, least_norm


@dataclass
class RNNTape:
    """Forward values of an RNN layer, (T_x, m, n) each: what the backward pass needs."""

    X: np.ndarray       # x<t>
    Z: np.ndarray       # z<t> = W_aa a<t-1> + W_ax x<t> + b_a
    A: np.ndarray       # a<t> = g(z<t>)
    a0: np.ndarray      # a<0>, (m, n_a)
    P: Packed

    @property
    def G(self):        # the "gate" of the vanilla cell is a<t> itself
        return self.A


class RNN(Cell):
    """a<t> = g(W_aa a<t-1> + W_ax x<t> + b_a), g = tanh or ReLU (see module docstring)."""

    name = "rnn"
    state = ("a",)
    course_weight = "Wax"
    backward_updates = (
        r"\frac{\partial L}{\partial a^{<t>}} = W_{ya}^T(\hat{y}^{<t>} - y^{<t>}) + "
        r"W_{aa}^T\, dz^{<t+1>}",
        r"dz^{<t>} = \frac{\partial L}{\partial a^{<t>}} * (1 - (a^{<t>})^2)"
        r"\qquad(\tanh' ;\ \text{ReLU: } * [z^{<t>} > 0])",
        r"\frac{\partial L}{\partial W_a} \mathrel{+}= dz^{<t>}\,[a^{<t-1>}; x^{<t>}]^T,\quad "
        r"\frac{\partial L}{\partial b_a} \mathrel{+}= dz^{<t>}",
    )
    course_head = "Wya"

    def __init__(self, activation="tanh"):
        if activation not in ("tanh", "relu"):
            raise ValueError(f"activation must be 'tanh' or 'relu', got {activation!r}")
        self.activation = activation
        self.gates = (Gate("a", "z_a", "a", "a", "a^{{<t>}}_{{{j}}}", activation, "a"),)
        self.display = ("a",)

    def step(self, params, xt, state, edit=keep):
        a_next, cache = rnn_step(xt, state[0], params, edit, activation=self.activation)
        return (a_next,), cache

    # -- parameters: the course keeps W_aa and W_ax apart ------------------------------------

    def param_shapes(self, n_a, n_x):
        return {"Wax": (n_a, n_x), "Waa": (n_a, n_a), "ba": (n_a, 1)}

    def init_params(self, rng, n_a, n_x, init):
        Wax = input_block(rng, n_a, n_x, init)
        Waa = recurrent(rng, n_a, init)
        return {"Wax": Wax, "Waa": Waa, "ba": bias(rng, n_a, init)}

    def fused(self, params):
        return np.concatenate([params["Waa"], params["Wax"]], axis=1), params["ba"][:, 0]

    def pack(self, params):
        W, b = self.fused(params)
        return pack(W, b, [1.0])            # ReLU has no exp trick; tanh is one call anyway

    def param_grads(self, g, n_a):
        return {"Waa": g["dW"][:, :n_a], "Wax": g["dW"][:, n_a:], "ba": g["db"][:, None]}

    # -- forward and backward over a sequence ----------------------------------------------

    def forward(self, P, X, state):
        (a0,) = state[:1]
        Z = input_projection(P, X)
        A = np.empty_like(Z)
        tmp = np.empty_like(a0)
        a_prev = a0
        relu = self.activation == "relu"
        for t in range(X.shape[0]):
            np.matmul(a_prev, P.Wa, out=tmp)
            Z[t] += tmp                                  # z<t>
            if relu:
                np.maximum(Z[t], 0, out=A[t])            # a<t> = ReLU(z<t>)
            else:
                np.tanh(Z[t], out=A[t])                  # a<t> = tanh(z<t>)
            a_prev = A[t]
        return RNNTape(X, Z, A, a0, P)

    def derivative(self, tape):
        """g'(z<t>) for every step at once."""
        if self.activation == "relu":
            return (tape.A > 0).astype(tape.A.dtype)     # a > 0 exactly where z > 0
        return 1 - tape.A * tape.A

    def backward(self, tape, dA, input_grad=True):
        """BPTT. dA (T, m, n_a): gradient reaching each a<t> from outside the recurrence.

        Returns dW, db (fused), dX (None when not input_grad), d_state0 = (∂L/∂a<0>,), and the
        per-step dA (total), dZ.
        """
        P, A = tape.P, tape.A
        D = self.derivative(tape)
        dA_total = np.empty_like(A)
        dZ = np.empty_like(A)
        da_next = np.zeros_like(tape.a0)
        for t in range(A.shape[0] - 1, -1, -1):
            np.add(dA[t], da_next, out=dA_total[t])     # ∂L/∂a<t>: from outside + from t+1
            np.multiply(dA_total[t], D[t], out=dZ[t])    # ∂L/∂z<t> = ∂L/∂a<t> * g'(z<t>)
            np.matmul(dZ[t], P.WaT, out=da_next)         # ∂L/∂a<t-1> = W_aa^T ∂L/∂z<t>
        dW, db = weight_grads(tape.X, prev(tape.a0, A), dZ)
        dX = input_grads(P, dZ) if input_grad else None
        return dict(dW=dW, db=db, dX=dX, d_state0=(da_next,), dA=dA_total, dZ=dZ)

    def named_grad_rows(self, tape, g):
        out = {"dx": g["dX"], "da": g["dA"], "dz_a": g["dZ"]}
        return out if g["dX"] is not None else {k: v for k, v in out.items() if k != "dx"}

    def weight_grad_factors(self, tape, grads):
        """As Cell's; the course keeps W_aa and W_ax apart: W_a = [W_aa | W_ax]."""
        (_, dz, a_prev), (_, _, X) = super().weight_grad_factors(tape, grads)["a"]
        return {"a": (("Waa", dz, a_prev), ("Wax", dz, X))}

    # -- analysis -------------------------------------------------------------------------

    def step_jacobians(self, params, tape):
        """∂a<t>/∂a<t-1> = diag(g'(z<t>)) W_aa for every t: (T_x, m, n_a, n_a)."""
        return self.derivative(tape)[..., None] * params["Waa"]

    def jacobian_pullback(self, params, tape, example=0, dtype=np.float64):
        """R ∂a<t>/∂a<t-1> = (R diag(g'(z<t>))) W_aa: one GEMM per step (Cell docstring)."""
        D = self.derivative(tape)[:, example].astype(dtype)     # g'(z<t>), (T_x, n_a)
        Waa = np.asarray(params["Waa"], dtype=dtype)

        def pull(R, i):
            return (R * D[i]) @ Waa

        return pull

    def jacobian_operator(self, params, tape, example=0, dtype=np.float64):
        """J<t> = diag(g'(z<t>)) W_aa as products for every step (`StepOperator`):

            J<t> x = g'(z<t>) * (W_aa x)          J<t>ᵀ y = W_aaᵀ (g'(z<t>) * y)

        one GEMM each for all steps (rows layout: X W_aaᵀ, (Y * g') W_aa). Row i's norm is
        |g'_i| ‖W_aa[i]‖, column j's √(Σ_i g'_i² W_aa[i, j]²): all of them, one GEMM."""
        g = np.asarray(self.derivative(tape)[:, example], dtype=dtype)     # g'(z<t>), (T, n_a)
        Waa = np.asarray(params["Waa"], dtype=dtype)
        WaaT = np.ascontiguousarray(Waa.T)
        row_sq, W_sq = (Waa * Waa).sum(axis=1), Waa * Waa

        def mv(f, X):
            return f["g"] * (X @ WaaT)

        def rmv(f, Y):
            return (Y * f["g"]) @ Waa

        def bound(f):
            g2 = f["g"] * f["g"]
            return least_norm(g2 * row_sq, g2 @ W_sq)

        return StepOperator.matrix_free(
            {"g": g}, mv, rmv, bound, n_s=Waa.shape[0],
            form=lambda: np.asarray(self.step_jacobians(params, tape), dtype)[:, example])

    # -- the course's per-step caches -------------------------------------------------------

    def step_cache(self, tape, parameters, t):
        a_prev = (tape.a0 if t == 0 else tape.A[t - 1]).T
        return RNNCache(tape.A[t].T, a_prev, tape.X[t].T, parameters)

    def tape_from_caches(self, caches, dtype):
        """The tape of a list of RNNCache made by calling rnn_cell_forward in a loop."""
        p = caches[0].parameters
        A = np.stack([c.a_next.T for c in caches]).astype(dtype)
        return RNNTape(X=np.stack([c.xt.T for c in caches]).astype(dtype), Z=None, A=A,
                       a0=np.ascontiguousarray(caches[0].a_prev.T, dtype=dtype),
                       P=self.pack({k: np.asarray(p[k], dtype) for k in ("Wax", "Waa", "ba")}))
