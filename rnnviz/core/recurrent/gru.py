"""The notes' full GRU (Cho et al. 2014 as the course writes it), one object.

    Γu<t> = σ(W_u [c<t-1>; x<t>] + b_u)                update gate
    Γr<t> = σ(W_r [c<t-1>; x<t>] + b_r)                relevance (reset) gate
    c̃<t>  = tanh(W_c [Γr<t> * c<t-1>; x<t>] + b_c)     candidate
    c<t>  = Γu<t> * c̃<t> + (1 - Γu<t>) * c<t-1>
    a<t>  = c<t>

Shapes: x<t> (n_x, m); c<t> and every gate (n_a, m); W_u, W_r, W_c (n_a, n_a + n_x), biases
(n_a, 1). Variant: the reset gate multiplies c<t-1> *before* the recurrent product, as in the
notes and in Cho et al.; PyTorch's nn.GRU applies it after (rnnviz.core.recurrent.gru_torch).

Gate layout of the fused matrix, defined here only: [Γu | Γr | c̃]. Γu and Γr are adjacent
because both read c<t-1> (one GEMM per step); c̃ reads Γr * c<t-1>, so its recurrent block is
a second GEMM after the gates.
"""

from dataclasses import dataclass

import numpy as np

from rnnviz.core.cells import GRUCache, gru_step, keep
from rnnviz.core.recurrent.base import (
    TANH,
    Cell,
    Gate,
    Packed,
    input_grads,
    input_projection,
    prev,
    weight_grads,
)
from rnnviz.core.recurrent.step_operator import StepOperator


@dataclass
class GRUTape:
    """Forward values of a GRU layer, (T_x, m, ·) each."""

    X: np.ndarray       # x<t>
    Z: np.ndarray       # pre-activations in the gate layout  (T, m, 3 n_a)
    G: np.ndarray       # gate values, same layout            (T, m, 3 n_a)
    RC: np.ndarray      # what c̃'s recurrent weights read: Γr * c<t-1>
    C: np.ndarray       # c<t> (= a<t>)
    c0: np.ndarray
    P: Packed

    @property
    def A(self):        # a<t> = c<t>
        return self.C

    @property
    def a0(self):
        return self.c0


class GRU(Cell):
    """The notes' full GRU (see module docstring)."""

    name = "gru"
    gates = (   # packing order: [Γu | Γr | c̃]
        Gate("gamma_u", "z_u", "u", "u", r"\Gamma_{{u,{j}}}", "sigmoid", "c"),
        Gate("gamma_r", "z_r", "r", "r", r"\Gamma_{{r,{j}}}", "sigmoid", "c"),
        Gate("c_tilde", "z_c", "c", "c", r"\tilde{{c}}^{{<t>}}_{{{j}}}", "tanh", "rc"),
    )
    display = ("gamma_u", "gamma_r", "c_tilde")
    state = ("a",)                  # a<t> = c<t>: one state vector
    course_weight = "Wu"
    # ":1-" writes 1 - value (the share of c<t-1> that is kept)
    updates = (
        r"c^{{<t>}}_{{{j}}} = \Gamma_u * \tilde{{c}}^{{<t>}} + (1 - \Gamma_u) * c^{{<t-1>}}"
        r" = {gamma_u} \times {c_tilde:p} + {gamma_u:1-} \times {c_prev:p} = {c}"
        r"\quad(a^{{<t>}} = c^{{<t>}})",
    )
    backward_updates = (
        r"\frac{\partial L}{\partial c^{<t>}} = W_y^T(\hat{y}^{<t>} - y^{<t>}) + "
        r"(\text{everything } c^{<t>} \text{ feeds at step } t+1)",
        r"d\Gamma_u = dc^{<t>} * (\tilde{c}^{<t>} - c^{<t-1>}),\quad "
        r"d\tilde{c}^{<t>} = dc^{<t>} * \Gamma_u,\quad "
        r"d\Gamma_r = (W_{ca}^T dz_c) * c^{<t-1>}",
        r"dc^{<t-1>} \mathrel{+}= dc^{<t>} * (1 - \Gamma_u) + W_{ua}^T dz_u + W_{ra}^T dz_r + "
        r"(W_{ca}^T dz_c) * \Gamma_r",
        r"dz_g = d\Gamma_g * \Gamma_g (1 - \Gamma_g),\quad dz_c = d\tilde{c} * (1 - \tilde{c}^2)"
        r",\quad \frac{\partial L}{\partial W_g} \mathrel{+}= dz_g^{<t>}\,[c^{<t-1>}; x^{<t>}]^T",
    )

    quantities = ("gamma_u", "gamma_r", "c_tilde", "c", "a")
    variant = "course"

    def step(self, params, xt, state, edit=keep):
        c_next, cache = gru_step(xt, state[0], params, edit, variant=self.variant)
        return (c_next,), cache

    def _gates_and_candidate(self, n):
        """Slices of [Γu | Γr] (both read c<t-1>) and of c̃ in the fused layout."""
        u, r, c = (self.index(k) for k in ("gamma_u", "gamma_r", "c_tilde"))
        assert r == u + 1 and c == r + 1, "Γu, Γr must be adjacent and before c̃"
        return slice(u * n, (r + 1) * n), slice(c * n, (c + 1) * n)

    # -- where Γr enters: the only lines the PyTorch variant (gru_torch.py) changes ---------

    def _unpack(self, packed):
        """(Packed, b_ca pre-scaled or None) of what `pack` returned."""
        return packed, None

    def _reset_forward(self, r, c_prev, Wa_c, bca_s, read, tmp):
        """c̃'s recurrent term, pre-scaled, into tmp; `read` keeps what the weights read:
        read = Γr * c<t-1>, tmp = read W_ca^T."""
        np.multiply(r, c_prev, out=read)                 # Γr * c<t-1>
        np.matmul(read, Wa_c, out=tmp)

    def _reset_backward(self, dz_c, r, c_prev, read, WaT_c, dG_r, d_read, via):
        """∂L/∂Γr (dG_r), ∂L/∂read (d_read) and what reaches c<t-1> through c̃'s recurrent
        term (via), from ∂L/∂z_c: here read = Γr * c<t-1>."""
        np.matmul(dz_c, WaT_c, out=d_read)               # ∂L/∂(Γr * c<t-1>) = W_ca^T dz_c
        np.multiply(d_read, c_prev, out=dG_r)            # ∂L/∂Γr = d(Γr c) * c<t-1>
        np.multiply(d_read, r, out=via)                  # ... and d(Γr c) * Γr reaches c<t-1>

    def _candidate_grads(self, tape, dZ_c, d_read, C_prev, dW_c):
        """∂L/∂W_c into dW_c (n_a, n_a + n_x); returns (∂L/∂b_c, extra grads): W_c reads
        [Γr * c<t-1>; x<t>]."""
        dW_c[...], db_c = weight_grads(tape.X, tape.RC, dZ_c)
        return db_c, {}

    def _tape(self, X, Z, G, read, C, c0, P, bca):
        return GRUTape(X, Z, G, read, C, c0, P)

    # -- the fused loops ------------------------------------------------------------------

    @np.errstate(over="ignore")
    def forward(self, packed, X, state):
        P, bca = self._unpack(packed)
        (c0,) = state[:1]
        T, m, _ = X.shape
        n = c0.shape[1]
        s_ur, s_c = self._gates_and_candidate(n)
        Wa_ur = np.ascontiguousarray(P.Wa[:, s_ur])
        Wa_c = np.ascontiguousarray(P.Wa[:, s_c])        # -2 W_ca^T
        bca_s = None if bca is None else (TANH * bca).astype(Wa_c.dtype)
        Z = input_projection(P, X)
        G = np.empty_like(Z)
        READ = np.empty((T, m, n), dtype=Z.dtype)        # what c̃'s recurrent weights read
        C = np.empty_like(READ)
        tmp_ur = np.empty((m, 2 * n), dtype=Z.dtype)
        tmp = np.empty((m, n), dtype=Z.dtype)
        # per-step views, made once: [z_u z_r], z_c, [Γu Γr], Γu, Γr, c̃
        views = (Z[..., s_ur], Z[..., s_c], G[..., s_ur], self.block(G, "gamma_u", n),
                 self.block(G, "gamma_r", n), G[..., s_c], READ, C)
        c_prev = c0
        for z_ur, z_c, ur, u, r, cc, read, c in zip(*views, strict=True):
            np.matmul(c_prev, Wa_ur, out=tmp_ur)
            z_ur += tmp_ur                               # -[z_u, z_r] (pre-scaled)
            np.exp(z_ur, out=ur)
            ur += 1
            np.reciprocal(ur, out=ur)                    # Γu, Γr = σ(z)
            self._reset_forward(r, c_prev, Wa_c, bca_s, read, tmp)
            z_c += tmp                                   # -2 z_c
            np.exp(z_c, out=cc)
            cc += 1
            np.reciprocal(cc, out=cc)
            cc *= 2
            cc -= 1                                      # c̃ = tanh(z_c) = 2 σ(2 z_c) - 1
            np.subtract(cc, c_prev, out=tmp)
            tmp *= u
            np.add(c_prev, tmp, out=c)                   # c<t> = c<t-1> + Γu (c̃ - c<t-1>)
            c_prev = c
        Z *= P.unscale
        return self._tape(X, Z, G, READ, C, c0, P, bca)

    def backward(self, tape, dC, input_grad=True):
        """BPTT. dC (T, m, n_a): gradient reaching each c<t> (= a<t>) from outside.

        Returns dW, db (fused), dX (None when not input_grad), d_state0 = (∂L/∂c<0>,), the
        per-step dC (total), dZ, and dG = ∂L/∂[Γu | Γr | c̃] (gate values, before their
        activations).
        """
        G, C = tape.G, tape.C
        T, m, n = C.shape
        s_ur, s_c = self._gates_and_candidate(n)
        P = tape.P
        WaT_ur = np.ascontiguousarray(P.WaT[s_ur])       # (2n, n)
        WaT_c = np.ascontiguousarray(P.WaT[s_c])         # W_ca (n, n)
        C_prev = prev(tape.c0, C)
        READ = tape.RC                                   # Γr * c<t-1> (torch: hc)
        U, R, CT = (self.block(G, k, n) for k in ("gamma_u", "gamma_r", "c_tilde"))
        D = self.activation_slopes(G, n)                 # σ', tanh' for every step at once
        one_minus_u = 1 - U
        ct_minus_c = CT - C_prev
        dC_total = np.empty_like(C)
        dG = np.empty_like(G)
        dZ = np.empty_like(G)
        dREAD = np.empty_like(C)                         # ∂L/∂(what W_ca reads or gives)
        dG_u, dG_r, dG_c = (self.block(dG, k, n) for k in ("gamma_u", "gamma_r", "c_tilde"))
        via = np.empty((m, n), dtype=C.dtype)
        tmp = np.empty_like(via)
        dc_next = np.zeros_like(tape.c0)
        for t in range(T - 1, -1, -1):
            dc, dz = dC_total[t], dZ[t]
            np.add(dC[t], dc_next, out=dc)               # ∂L/∂c<t>: from outside + from t+1
            np.multiply(dc, U[t], out=dG_c[t])           # ∂L/∂c̃ = dc * Γu
            np.multiply(dG_c[t], D[t, :, s_c], out=dz[:, s_c])      # ∂L/∂z_c
            np.multiply(dc, ct_minus_c[t], out=dG_u[t])  # ∂L/∂Γu = dc * (c̃ - c<t-1>)
            self._reset_backward(dz[:, s_c], R[t], C_prev[t], READ[t], WaT_c, dG_r[t],
                                 dREAD[t], via)          # ∂L/∂Γr, and via c̃'s recurrent term
            np.multiply(dG[t, :, s_ur], D[t, :, s_ur], out=dz[:, s_ur])   # ∂L/∂z_u, ∂L/∂z_r
            # ∂L/∂c<t-1> = dc (1 - Γu) + via + W_u,c^T dz_u + W_r,c^T dz_r
            np.multiply(dc, one_minus_u[t], out=dc_next)
            dc_next += via
            np.matmul(dz[:, s_ur], WaT_ur, out=tmp)
            dc_next += tmp
        # Γu, Γr act on [c<t-1>; x<t>]: one GEMM; c̃ per variant (`_candidate_grads`)
        dW = np.empty((3 * n, n + tape.X.shape[2]), dtype=C.dtype)
        db = np.empty(3 * n, dtype=C.dtype)
        dW[s_ur], db[s_ur] = weight_grads(tape.X, C_prev, dZ[..., s_ur])
        db[s_c], extra = self._candidate_grads(tape, dZ[..., s_c], dREAD, C_prev, dW[s_c])
        dX = input_grads(P, dZ) if input_grad else None
        return dict(dW=dW, db=db, dX=dX, d_state0=(dc_next,), dC=dC_total, dG=dG, dZ=dZ,
                    **extra)

    def named_grad_rows(self, tape, g):
        n = tape.C.shape[2]
        out = {"dx": g["dX"]} if g["dX"] is not None else {}
        out.update({"d" + gate.pre: self.block(g["dZ"], gate.key, n) for gate in self.gates})
        out.update({"da": g["dC"], "dc": g["dC"]})
        out.update({"d" + gate.key: self.block(g["dG"], gate.key, n) for gate in self.gates})
        return out

    def weight_grad_factors(self, tape, grads):
        """As Cell's, except that W_ca reads Γr<t> * c<t-1>: ∂L/∂W_ca += dz_c (Γr * c<t-1>)^T."""
        out = super().weight_grad_factors(tape, grads)
        (p, dz_c, _), x_block = out["c_tilde"]
        out["c_tilde"] = ((p, dz_c, tape.RC), x_block)
        return out

    def step_jacobians(self, params, tape):
        """∂c<t>/∂c<t-1> for every t: (T_x, m, n_a, n_a), exact, from the tape."""
        n = tape.C.shape[2]
        Wu, Wr, Wc = (params[k][:, :n] for k in ("Wu", "Wr", "Wc"))
        U, R, CT = (self.block(tape.G, k, n) for k in ("gamma_u", "gamma_r", "c_tilde"))
        C_prev = prev(tape.c0, tape.C)
        S_u, S_r, S_c = (self.block(self.activation_slopes(tape.G, n), k, n)
                         for k in ("gamma_u", "gamma_r", "c_tilde"))
        J = self._dzc_dc(Wr, Wc, R, S_r, C_prev, tape)         # ∂z_c/∂c<t-1>
        J *= (U * S_c)[..., None]                              # ∂c<t>/∂z_c = Γu tanh'(z_c)
        J += (S_u * (CT - C_prev))[..., None] * Wu             # through Γu
        idx = np.arange(n)
        J[..., idx, idx] += 1 - U                              # (1 - Γu) c<t-1>
        return J

    def _dzc_dc(self, Wr, Wc, R, S_r, C_prev, tape):
        """∂z_c/∂c<t-1> (T_x, m, n_a, n_a), where Γr enters: W_c (diag(σ'(z_r) c<t-1>) W_r +
        diag(Γr)), through Γr * c<t-1>: (W_c diag(v_r)) W_r for every step as one GEMM (the
        left factors stacked), then + W_c diag(Γr)."""
        T, m, n = R.shape
        left = Wc * (S_r * C_prev)[..., None, :]               # W_c diag(σ'(z_r) c<t-1>)
        out = (left.reshape(-1, n) @ Wr).reshape(T, m, n, n)
        out += Wc * R[..., None, :]                            # + W_c diag(Γr)
        return out

    def _gate_factors(self, tape, example):
        """(Γu, Γr, c̃, σ'(z_u), σ'(z_r), tanh'(z_c), c<t-1>) of one example, (T_x, n_a) each:
        what the diagonal factors of J<t> are made of (`_jacobian_factors`)."""
        n = tape.C.shape[2]
        G = tape.G[:, example]
        S = self.activation_slopes(G, n)
        U, Rg, CT = (self.block(G, k, n) for k in ("gamma_u", "gamma_r", "c_tilde"))
        S_u, S_r, S_c = (self.block(S, k, n) for k in ("gamma_u", "gamma_r", "c_tilde"))
        return U, Rg, CT, S_u, S_r, S_c, prev(tape.c0, tape.C)[:, example]

    def _jacobian_factors(self, tape, example, dtype):
        """The diagonal factors of J<t> for every step, (T_x, n_a) each, in `dtype`: keep =
        1 - Γu, v_u = σ'(z_u)(c̃ - c<t-1>), q = Γu tanh'(z_c), v_r = σ'(z_r) c<t-1>, r = Γr."""
        U, Rg, CT, S_u, S_r, S_c, C_prev = self._gate_factors(tape, example)
        return {k: np.asarray(v, dtype=dtype) for k, v in (
            ("keep", 1 - U), ("v_u", S_u * (CT - C_prev)), ("q", U * S_c),
            ("v_r", S_r * C_prev), ("r", Rg))}

    def jacobian_operator(self, params, tape, example=0, dtype=np.float64):
        """J<t> = diag(1 - Γu) + diag(v_u) W_u + diag(q) W_c (diag(v_r) W_r + diag(Γr)) as
        products for every step (`StepOperator`; v_u, q, v_r as in `jacobian_pullback`):

            J<t> x  = (1 - Γu) x + v_u (W_u x) + q W_c (v_r (W_r x) + Γr x)
            J<t>ᵀ y = (1 - Γu) y + W_uᵀ (v_u y) + W_rᵀ (v_r z) + Γr z,   z = W_cᵀ (q y)

        two GEMMs each way for all steps ([W_u; W_r] fused). Row i's norm is bounded above
        by |1 - Γu_i| + |v_u,i| ‖W_u[i]‖ + |q_i| (‖W_c[i] v_r‖ ‖W_r‖_F + ‖W_c[i] Γr‖), which is
        small where the unit saturates (the row itself needs a GEMM of W_c diag(v_r) W_r)."""
        n = tape.C.shape[2]
        f = self._jacobian_factors(tape, example, dtype)
        Wu, Wr, Wc = (np.asarray(params[k][:, :n], dtype=dtype) for k in ("Wu", "Wr", "Wc"))
        Wur = np.concatenate([Wu, Wr])                         # (2 n_a, n_a)
        WurT, WcT = np.ascontiguousarray(Wur.T), np.ascontiguousarray(Wc.T)
        Wu_rows, Wr_F, Wc2T = np.linalg.norm(Wu, axis=1), np.linalg.norm(Wr), (Wc * Wc).T

        def mv(f, X):
            Z = X @ WurT                                       # [W_u x, W_r x]
            inner = f["v_r"] * Z[:, n:] + f["r"] * X
            return f["keep"] * X + f["v_u"] * Z[:, :n] + f["q"] * (inner @ WcT)

        def rmv(f, Y):
            z = (f["q"] * Y) @ Wc                              # W_cᵀ (q y)
            return (f["keep"] * Y + np.concatenate([f["v_u"] * Y, f["v_r"] * z], axis=1) @ Wur
                    + f["r"] * z)

        def bound(f):
            via_r = np.sqrt((f["v_r"] * f["v_r"]) @ Wc2T) * Wr_F  # ‖W_c[i] v_r‖ ‖W_r‖_F
            direct = np.sqrt((f["r"] * f["r"]) @ Wc2T)           # ‖W_c[i] Γr‖
            rows = (np.abs(f["keep"]) + np.abs(f["v_u"]) * Wu_rows
                    + np.abs(f["q"]) * (via_r + direct))
            return rows.min(axis=1)

        return StepOperator.matrix_free(
            f, mv, rmv, bound, n_s=n,
            form=lambda: np.asarray(self.step_jacobians(params, tape), dtype)[:, example])

    def jacobian_pullback(self, params, tape, example=0, dtype=np.float64):
        """R J<t> with J<t> = ∂c<t>/∂c<t-1> formed per step from the tape, as in
        `step_jacobians`:

            J<t> = diag(1 - Γu) + diag(v_u) W_u + diag(q) W_c (diag(v_r) W_r + diag(Γr))

        v_u = σ'(z_u)(c̃ - c<t-1>), q = Γu tanh'(z_c), v_r = σ'(z_r) c<t-1>: W_c diag(v_r) W_r
        is one GEMM, the rest elementwise, then R J<t> is the second GEMM.
        """
        n = tape.C.shape[2]
        f = self._jacobian_factors(tape, example, dtype)
        keep, v_u, q, v_r, Rg = (f[k] for k in ("keep", "v_u", "q", "v_r", "r"))
        Wu, Wr, Wc = (np.asarray(params[k][:, :n], dtype=dtype) for k in ("Wu", "Wr", "Wc"))
        J, Wcv, tmp = (np.empty((n, n), dtype=dtype) for _ in range(3))
        diag = np.arange(n)

        def pull(R, i):
            np.multiply(Wc, v_r[i], out=Wcv)
            np.matmul(Wcv, Wr, out=J)                        # W_c diag(v_r) W_r
            np.add(J, np.multiply(Wc, Rg[i], out=tmp), out=J)           # + W_c diag(Γr)
            np.multiply(J, q[i][:, None], out=J)
            np.add(J, np.multiply(v_u[i][:, None], Wu, out=tmp), out=J)  # + diag(v_u) W_u
            J[diag, diag] += keep[i]                         # + diag(1 - Γu)
            return R @ J

        return pull

    def step_cache(self, tape, parameters, t):
        n = tape.C.shape[2]
        u, r, cc = (self.block(tape.G[t], k, n).T for k in ("gamma_u", "gamma_r", "c_tilde"))
        c_prev = (tape.c0 if t == 0 else tape.C[t - 1]).T
        return GRUCache(tape.C[t].T, c_prev, u, r, cc, tape.X[t].T, parameters)

    def tape_from_caches(self, caches, dtype):
        """The tape of a list of GRUCache made by calling gru_cell_forward in a loop."""
        def stack(name):
            return np.stack([getattr(c, name).T for c in caches]).astype(dtype)

        fields = {"gamma_u": "ut", "gamma_r": "rt", "c_tilde": "cct"}
        c0 = np.ascontiguousarray(caches[0].c_prev.T, dtype=dtype)
        C = stack("c_next")
        p = caches[0].parameters
        return GRUTape(
            X=stack("xt"), Z=None,
            G=np.concatenate([stack(fields[g.key]) for g in self.gates], axis=2),
            RC=stack("rt") * prev(c0, C), C=C, c0=c0,
            P=self.pack({k: np.asarray(v, dtype) for k, v in p.items()}))
