"""The LSTM cell of the notes (no peepholes), one object: equations, gate layout, loops.

    Γf<t> = σ(W_f [a<t-1>; x<t>] + b_f)          forget gate
    Γu<t> = σ(W_u [a<t-1>; x<t>] + b_u)          update gate (the step API calls W_u "Wi", b_u "bi")
    c̃<t>  = tanh(W_c [a<t-1>; x<t>] + b_c)       candidate
    c<t>  = Γu<t> * c̃<t> + Γf<t> * c<t-1>
    Γo<t> = σ(W_o [a<t-1>; x<t>] + b_o)          output gate
    a<t>  = Γo<t> * tanh(c<t>)

Shapes: x<t> (n_x, m); a<t>, c<t> and every gate (n_a, m); each W_g (n_a, n_a + n_x) acting on
[a<t-1>; x<t>], each b_g (n_a, 1). This is the variant of Hochreiter & Schmidhuber with a forget
gate (Gers et al.), the one the notes and PyTorch's nn.LSTM compute (torch names the rows
i, f, g, o = Γu, Γf, c̃, Γo and keeps two biases whose sum is b).

Gate layout of the fused matrix, defined here only: [Γo | Γf | Γu | c̃]. The three blocks
driven by ∂L/∂c<t> in the backward pass (Γf, Γu, c̃) are adjacent: one multiply per step.
"""

from dataclasses import dataclass

import numpy as np

from rnnviz.core.cells import LSTMCache, keep, lstm_step
from rnnviz.core.recurrent.base import (
    Cell,
    Gate,
    Packed,
    input_grads,
    input_projection,
    prev,
    weight_grads,
)
from rnnviz.core.recurrent.step_operator import StepOperator, least_norm


@dataclass
class LSTMTape:
    """Forward values of an LSTM layer, (T_x, m, ·) each."""

    X: np.ndarray       # x<t>
    Z: np.ndarray       # pre-activations, fused in the gate layout  (T, m, 4 n_a)
    G: np.ndarray       # gate values, same layout                   (T, m, 4 n_a)
    C: np.ndarray       # c<t>
    TC: np.ndarray      # tanh(c<t>)
    A: np.ndarray       # a<t>
    a0: np.ndarray
    c0: np.ndarray
    P: Packed


class LSTM(Cell):
    """The notes' LSTM (see module docstring). Wi / bi are W_u / b_u of the update gate Γu."""

    name = "lstm"
    gates = (   # packing order: [Γo | Γf | Γu | c̃]
        Gate("gamma_o", "z_o", "o", "o", r"\Gamma_{{o,{j}}}", "sigmoid", "a"),
        Gate("gamma_f", "z_f", "f", "f", r"\Gamma_{{f,{j}}}", "sigmoid", "a"),
        Gate("gamma_u", "z_u", "i", "u", r"\Gamma_{{u,{j}}}", "sigmoid", "a"),
        Gate("c_tilde", "z_c", "c", "c", r"\tilde{{c}}^{{<t>}}_{{{j}}}", "tanh", "a"),
    )
    display = ("c_tilde", "gamma_u", "gamma_f", "gamma_o")
    state = ("a", "c")
    course_weight = "Wf"
    # The state update as the notes write it; fields are trace keys at step t (c_prev: c<t-1>),
    # ":p" puts a negative number in parentheses.
    updates = (
        r"c^{{<t>}}_{{{j}}} = \Gamma_u * \tilde{{c}}^{{<t>}} + \Gamma_f * c^{{<t-1>}}"
        r" = {gamma_u} \times {c_tilde:p} + {gamma_f} \times {c_prev:p} = {c}",
        r"a^{{<t>}}_{{{j}}} = \Gamma_o * \tanh(c^{{<t>}}) = {gamma_o}"
        r" \times \tanh({c}) = {a}",
    )
    backward_updates = (
        r"\frac{\partial L}{\partial a^{<t>}} = W_y^T(\hat{y}^{<t>} - y^{<t>}) + "
        r"\textstyle\sum_g W_{ga}^T\, dz_g^{<t+1>}",
        r"dc^{<t>} = \frac{\partial L}{\partial a^{<t>}} * \Gamma_o * (1 - \tanh^2 c^{<t>}) + "
        r"dc^{<t+1>} * \Gamma_f^{<t+1>}",
        r"d\Gamma_o = da^{<t>} * \tanh c^{<t>},\ d\Gamma_f = dc^{<t>} * c^{<t-1>},\ "
        r"d\Gamma_u = dc^{<t>} * \tilde{c}^{<t>},\ d\tilde{c}^{<t>} = dc^{<t>} * \Gamma_u",
        r"dz_g = d\Gamma_g * \Gamma_g(1 - \Gamma_g),\ dz_c = d\tilde{c} * (1 - \tilde{c}^2),\ "
        r"\frac{\partial L}{\partial W_g} \mathrel{+}= dz_g^{<t>}\,[a^{<t-1>}; x^{<t>}]^T",
    )

    quantities = ("gamma_f", "gamma_u", "c_tilde", "c", "gamma_o", "a")

    def step(self, params, xt, state, edit=keep):
        a_next, c_next, cache = lstm_step(xt, *state, params, edit)
        return (a_next, c_next), cache

    def init_params(self, rng, n_a, n_x, init):
        params = super().init_params(rng, n_a, n_x, init)
        params["bf"] += init.forget_bias        # b_f > 0 keeps memory early in training
        return params

    @np.errstate(over="ignore")      # e^-z may overflow to inf: σ = 1 / (1 + inf) = 0 exactly
    def forward(self, P, X, state):
        a0, c0 = state
        T, m, _ = X.shape
        n = a0.shape[1]
        Z = input_projection(P, X)
        G = np.empty_like(Z)
        C = np.empty((T, m, n), dtype=Z.dtype)
        TC = np.empty_like(C)
        A = np.empty_like(C)
        tmp = np.empty((m, 4 * n), dtype=Z.dtype)
        uc = np.empty((m, n), dtype=Z.dtype)
        # per-step views, made once
        views = (Z, G, *(self.block(G, k, n) for k in ("gamma_o", "gamma_f", "gamma_u",
                                                         "c_tilde")), C, TC, A)
        a_prev, c_prev = a0, c0
        Wa = P.Wa
        for z, g, o, f, u, cc, c, tc, a in zip(*views, strict=True):
            np.matmul(a_prev, Wa, out=tmp)
            z += tmp                                     # -[z_o, z_f, z_u, 2 z_c] (pre-scaled)
            np.exp(z, out=g)
            g += 1
            np.reciprocal(g, out=g)                      # Γo, Γf, Γu = σ(z);  σ(2 z_c) for c̃
            cc *= 2
            cc -= 1                                      # c̃ = tanh(z_c) = 2 σ(2 z_c) - 1
            np.multiply(f, c_prev, out=c)                # Γf * c<t-1>
            np.multiply(u, cc, out=uc)
            c += uc                                      # c<t> = Γf * c<t-1> + Γu * c̃
            np.tanh(c, out=tc)
            np.multiply(o, tc, out=a)                    # a<t> = Γo * tanh(c<t>)
            a_prev, c_prev = a, c
        Z *= P.unscale                                   # back to the true pre-activations
        return LSTMTape(X, Z, G, C, TC, A, a0, c0, P)

    def backward(self, tape, dA, input_grad=True):
        """BPTT. dA (T, m, n_a): gradient reaching each a<t> from outside the recurrence.

        Returns dW, db (fused), dX (None when not input_grad), d_state0 = (∂L/∂a<0>,
        ∂L/∂c<0>), the per-step dA, dC (totals), dZ (fused) and dG: ∂L/∂ of every gate value
        (Γo, Γf, Γu, c̃), before its activation.
        """
        G, C, TC, A = tape.G, tape.C, tape.TC, tape.A
        T, m, n = A.shape
        O, F, U, CT = (self.block(G, k, n) for k in ("gamma_o", "gamma_f", "gamma_u",
                                                      "c_tilde"))
        f, u, c = (self.index(k) for k in ("gamma_f", "gamma_u", "c_tilde"))
        assert u == f + 1 and c == u + 1, "Γf, Γu, c̃ must be adjacent (one multiply by ∂L/∂c)"
        # Local derivatives for every step at once, so each step below is a few multiplies:
        #   ∂a<t>/∂c<t> = Γo (1 - tanh²c)                                    (K)
        #   ∂c<t>/∂[Γf, Γu, c̃] = [c<t-1>, c̃, Γu], laid out like dG's blocks   (Q)
        #   ∂(gate value)/∂z: σ' and tanh', fused                            (S)
        K = O * (1 - TC * TC)
        Q = np.empty((T, m, 3, n), dtype=G.dtype)
        Q[:, :, 0] = prev(tape.c0, C)
        Q[:, :, 1] = CT
        Q[:, :, 2] = U
        S = self.activation_slopes(G, n)
        dA_total = np.empty_like(A)
        dC_total = np.empty_like(C)
        dG = np.empty_like(G)                            # ∂L/∂ every gate value
        dG_o = self.block(dG, "gamma_o", n)
        dG_fuc = dG[..., f * n:(c + 1) * n].reshape(T, m, 3, n)
        tmp = np.empty((m, n), dtype=A.dtype)
        dZ = np.empty_like(G)
        da_next = np.zeros_like(tape.a0)
        dc_next = np.zeros_like(tape.c0)
        WaT = tape.P.WaT
        for t in range(T - 1, -1, -1):
            da, dc = dA_total[t], dC_total[t]
            np.add(dA[t], da_next, out=da)               # ∂L/∂a<t>: from outside + from t+1
            np.multiply(da, K[t], out=tmp)
            np.add(dc_next, tmp, out=dc)                 # ∂L/∂c<t> = from t+1 + via a<t>
            np.multiply(da, TC[t], out=dG_o[t])          # ∂L/∂Γo = ∂L/∂a<t> * tanh(c<t>)
            # ∂L/∂Γf = ∂L/∂c<t> * c<t-1>, ∂L/∂Γu = ∂L/∂c<t> * c̃, ∂L/∂c̃ = ∂L/∂c<t> * Γu
            np.multiply(dc[:, None], Q[t], out=dG_fuc[t])
            np.multiply(dG[t], S[t], out=dZ[t])          # ∂L/∂z of every gate
            np.multiply(dc, F[t], out=dc_next)           # ∂L/∂c<t-1> = ∂L/∂c<t> * Γf
            np.matmul(dZ[t], WaT, out=da_next)           # ∂L/∂a<t-1> = Σ_gates W_ga^T dz_g
        dW, db = weight_grads(tape.X, prev(tape.a0, A), dZ)
        dX = input_grads(tape.P, dZ) if input_grad else None
        return dict(dW=dW, db=db, dX=dX, d_state0=(da_next, dc_next), dA=dA_total,
                    dC=dC_total, dZ=dZ, dG=dG)

    def named_grad_rows(self, tape, g):
        n = tape.C.shape[2]
        out = {"dx": g["dX"]} if g["dX"] is not None else {}
        out.update({"d" + gate.pre: self.block(g["dZ"], gate.key, n) for gate in self.gates})
        out.update({"da": g["dA"], "dc": g["dC"]})
        out.update({"d" + gate.key: self.block(g["dG"], gate.key, n) for gate in self.gates})
        return out

    def step_jacobians(self, params, tape):
        """∂s<t>/∂s<t-1> for s = [a; c]: (T_x, m, 2 n_a, 2 n_a), exact, from the tape.

        The four blocks are written in place into one array (no temporaries of its size):

            ∂c<t>/∂a<t-1> = D<t> = diag(v_f) W_f + diag(v_u) W_u + diag(v_c) W_c
            ∂c<t>/∂c<t-1> = diag(Γf)
            ∂a<t>/∂a<t-1> = diag(v_o) W_o + diag(κ) D<t>        (a<t> = Γo tanh(c<t>))
            ∂a<t>/∂c<t-1> = diag(κ Γf)

        with v_f = c<t-1> σ'(z_f), v_u = c̃ σ'(z_u), v_c = Γu tanh'(z_c), v_o = tanh(c<t>) σ'(z_o)
        and κ = ∂a<t>/∂c<t> = Γo (1 - tanh² c<t>).
        """
        n = tape.A.shape[2]
        O, F, U, CT = (self.block(tape.G, k, n) for k in ("gamma_o", "gamma_f", "gamma_u",
                                                           "c_tilde"))
        C_prev = prev(tape.c0, tape.C)
        S_o, S_f, S_u, S_c = (self.block(self.activation_slopes(tape.G, n), k, n)
                              for k in ("gamma_o", "gamma_f", "gamma_u", "c_tilde"))
        Wo, Wf, Wu, Wc = (params[k][:, :n] for k in ("Wo", "Wf", "Wi", "Wc"))
        kappa = O * (1 - tape.TC ** 2)
        J = np.zeros(tape.A.shape[:2] + (2 * n, 2 * n), dtype=np.result_type(tape.G, Wo))
        da_da, da_dc = J[..., :n, :n], J[..., :n, n:]
        dc_da, dc_dc = J[..., n:, :n], J[..., n:, n:]
        np.multiply((C_prev * S_f)[..., None], Wf, out=dc_da)             # D<t>
        tmp = np.empty_like(dc_da)
        dc_da += np.multiply((CT * S_u)[..., None], Wu, out=tmp)
        dc_da += np.multiply((U * S_c)[..., None], Wc, out=tmp)
        np.multiply((tape.TC * S_o)[..., None], Wo, out=da_da)            # diag(v_o) W_o
        da_da += np.multiply(kappa[..., None], dc_da, out=tmp)            # + diag(κ) D<t>
        idx = np.arange(n)
        dc_dc[..., idx, idx] = F
        da_dc[..., idx, idx] = kappa * F
        return J

    def _jacobian_factors(self, tape, example, dtype):
        """The diagonal factors of J<t> for every step of one example, (T_x, n_a) each, in
        `dtype` (the names of `step_jacobians`' docstring): κ = Γo (1 - tanh² c<t>), Γf,
        v_o = tanh(c<t>) σ'(z_o), v_f = c<t-1> σ'(z_f), v_u = c̃ σ'(z_u), v_c = Γu tanh'(z_c)."""
        n = tape.A.shape[2]
        G = tape.G[:, example]
        S = self.activation_slopes(G, n)
        O, F, U, CT = (self.block(G, k, n) for k in ("gamma_o", "gamma_f", "gamma_u",
                                                      "c_tilde"))
        S_o, S_f, S_u, S_c = (self.block(S, k, n) for k in ("gamma_o", "gamma_f", "gamma_u",
                                                             "c_tilde"))
        TC = tape.TC[:, example]
        C_prev = prev(tape.c0, tape.C)[:, example]
        return {k: np.asarray(v, dtype=dtype) for k, v in (
            ("kappa", O * (1 - TC * TC)), ("F", F), ("v_o", TC * S_o), ("v_f", C_prev * S_f),
            ("v_u", CT * S_u), ("v_c", U * S_c))}

    def jacobian_pullback(self, params, tape, example=0, dtype=np.float64):
        """R J<t> for R = [R_a | R_c] (k, 2 n_a), from the blocks of `step_jacobians`:

            R J<t> = [(R_a * v_o) W_o + R_c' D<t>  |  R_c' * Γf],   R_c' = R_a * κ + R_c

        with κ = ∂a<t>/∂c<t> = Γo (1 - tanh² c<t>), v_o = tanh(c<t>) σ'(z_o) and
        D<t> = ∂c<t>/∂a<t-1> = diag(v_f) W_f + diag(v_u) W_u + diag(v_c) W_c,
        v_f = c<t-1> σ'(z_f), v_u = c̃ σ'(z_u), v_c = Γu tanh'(z_c). Per step: D<t> elementwise
        and one (k, 2 n_a) @ (2 n_a, n_a) GEMM; the (2 n_a, 2 n_a) Jacobian is never formed.
        """
        n = tape.A.shape[2]
        f = self._jacobian_factors(tape, example, dtype)
        kappa, v_o, F = f["kappa"], f["v_o"], f["F"]
        V = np.stack([f["v_f"], f["v_u"], f["v_c"]], axis=1)
        Wf, Wu, Wc = (np.asarray(params[k][:, :n], dtype=dtype) for k in ("Wf", "Wi", "Wc"))
        # [W_o; D<t>]: the lower block is rewritten every step
        WD = np.empty((2 * n, n), dtype=dtype)
        WD[:n] = params["Wo"][:, :n]
        D, tmp = WD[n:], np.empty((n, n), dtype=dtype)

        def pull(R, i):
            Ra, Rc = R[:, :n], R[:, n:]
            left = np.concatenate([Ra * v_o[i], Ra * kappa[i] + Rc], axis=1)   # [.. | R_c']
            np.multiply(V[i, 0, :, None], Wf, out=D)                           # D<t>
            np.add(D, np.multiply(V[i, 1, :, None], Wu, out=tmp), out=D)
            np.add(D, np.multiply(V[i, 2, :, None], Wc, out=tmp), out=D)
            out = np.empty_like(left)
            np.matmul(left, WD, out=out[:, :n])
            np.multiply(left[:, n:], F[i], out=out[:, n:])
            return out

        return pull

    def jacobian_operator(self, params, tape, example=0, dtype=np.float64):
        """The blocks of `step_jacobians` as products for every step (`StepOperator`), with
        W = [W_o; W_f; W_u; W_c] (4 n_a, n_a) and v = [v_o, v_f, v_u, v_c] (T, 4 n_a):

            Z  = v * (W x_a)                     (one GEMM for all steps, rows layout)
            c-rows of J x = Z_f + Z_u + Z_c + Γf * x_c       (D<t> x_a + Γf x_c)
            a-rows of J x = Z_o + κ * (c-rows)

            y_c' = y_c + κ * y_a
            Jᵀ y = [Wᵀ (v * [y_a, y_c', y_c', y_c']),  Γf * y_c']   (one GEMM)

        Norms: row i of the c-rows is Σ_g β_g W_g[i] (+ Γf_i on the diagonal), of the a-rows
        Σ_g α_g W_g[i] (+ κ_i Γf_i), so its squared norm is a 4×4 quadratic form in the Gram
        matrix of the four weight rows; column j of the c-columns is Γf_j √(1 + κ_j²). The
        a-columns are left out (they would take a GEMM per weight pair)."""
        n = tape.A.shape[2]
        d = self._jacobian_factors(tape, example, dtype)
        f = {"v": np.concatenate([d["v_o"], d["v_f"], d["v_u"], d["v_c"]], axis=1),
             "kappa": d["kappa"], "F": d["F"]}
        W = np.concatenate([np.asarray(params[k][:, :n], dtype=dtype)
                            for k in ("Wo", "Wf", "Wi", "Wc")])    # (4 n_a, n_a)
        WT = np.ascontiguousarray(W.T)
        Wg = W.reshape(4, n, n)
        gram = np.einsum("gij,hij->igh", Wg, Wg)                  # (n_a, 4, 4) per row i

        def mv(f, X):
            Z = (X[:, :n] @ WT) * f["v"]
            c = Z[:, n:2 * n] + Z[:, 2 * n:3 * n] + Z[:, 3 * n:] + f["F"] * X[:, n:]
            return np.concatenate([Z[:, :n] + f["kappa"] * c, c], axis=1)

        def rmv(f, Y):
            ya = Y[:, :n]
            yc = Y[:, n:] + f["kappa"] * ya                        # y_c'
            coef = f["v"] * np.concatenate([ya, yc, yc, yc], axis=1)
            return np.concatenate([coef @ W, f["F"] * yc], axis=1)

        def bound(f):
            T = len(f["F"])
            v4 = f["v"].reshape(T, 4, n).transpose(0, 2, 1)       # (T, n_a, 4)
            k, Fg = f["kappa"], f["F"]
            beta = v4 * np.array([0.0, 1.0, 1.0, 1.0])             # c-rows: D<t> only
            alpha = beta * k[..., None]                            # a-rows: κ D<t> ...
            alpha[..., 0] = v4[..., 0]                             # ... + diag(v_o) W_o
            c_rows = np.einsum("tig,igh,tih->ti", beta, gram, beta) + Fg * Fg
            a_rows = np.einsum("tig,igh,tih->ti", alpha, gram, alpha) + (k * Fg) ** 2
            c_cols = Fg * Fg * (1 + k * k)
            return least_norm(a_rows, c_rows, c_cols)

        return StepOperator.matrix_free(
            f, mv, rmv, bound, n_s=2 * n,
            form=lambda: np.asarray(self.step_jacobians(params, tape), dtype)[:, example])

    def step_cache(self, tape, parameters, t):
        n = tape.A.shape[2]
        f, u, cc, o = (self.block(tape.G[t], k, n).T
                       for k in ("gamma_f", "gamma_u", "c_tilde", "gamma_o"))
        a_prev = (tape.a0 if t == 0 else tape.A[t - 1]).T
        c_prev = (tape.c0 if t == 0 else tape.C[t - 1]).T
        return LSTMCache(tape.A[t].T, tape.C[t].T, a_prev, c_prev, f, u, cc, o, tape.X[t].T,
                         parameters)

    def tape_from_caches(self, caches, dtype):
        """The tape of a list of LSTMCache made by calling lstm_cell_forward in a loop."""
        def stack(name):
            return np.stack([getattr(c, name).T for c in caches]).astype(dtype)

        fields = {"gamma_o": "ot", "gamma_f": "ft", "gamma_u": "it", "c_tilde": "cct"}
        C = stack("c_next")
        p = caches[0].parameters
        return LSTMTape(
            X=stack("xt"), Z=None, G=np.concatenate([stack(fields[g.key]) for g in self.gates],
                                                    axis=2),
            C=C, TC=np.tanh(C), A=stack("a_next"),
            a0=np.ascontiguousarray(caches[0].a_prev.T, dtype=dtype),
            c0=np.ascontiguousarray(caches[0].c_prev.T, dtype=dtype),
            P=self.pack({k: np.asarray(v, dtype) for k, v in p.items()}))
