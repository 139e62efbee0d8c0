"""PyTorch's GRU (nn.GRU), written in the notes' notation: a named variant of the GRU cell.

torch computes, with r, z, n its reset, update and new gates and h its state:
    r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
In the notes' notation, with Γu = 1 - z, Γr = r, c̃ = n, c = h:
    Γu<t> = σ(W_u [c<t-1>; x<t>] + b_u)
    Γr<t> = σ(W_r [c<t-1>; x<t>] + b_r)
    c̃<t>  = tanh(W_cx x<t> + b_c + Γr<t> * (W_ca c<t-1> + b_ca))
    c<t>  = Γu<t> * c̃<t> + (1 - Γu<t>) * c<t-1>,  a<t> = c<t>
with W_u = -[W_hz | W_iz], b_u = -(b_iz + b_hz); W_r = [W_hr | W_ir], b_r = b_ir + b_hr;
W_c = [W_ca | W_cx] = [W_hn | W_in], b_c = b_in, b_ca = b_hn (rnnviz.core.torch_layout).

The difference from the notes' GRU (rnnviz.core.recurrent.gru): the reset gate multiplies the
recurrent product W_ca c<t-1> + b_ca *after* the matmul instead of c<t-1> before it, and the
recurrent part of the candidate has its own bias b_ca, which stays inside the product (it
cannot be folded into b_c). PyTorch does this on purpose (one GEMM for all recurrent products).
Shapes as in the notes' GRU, plus bca (n_a, 1). Gate layout: [Γu | Γr | c̃].
"""

from dataclasses import dataclass

import numpy as np

from rnnviz.core.init import torch_bound
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
from rnnviz.core.recurrent.gru import GRU


@dataclass
class TorchGRUTape:
    """Forward values of a PyTorch-variant GRU layer, (T_x, m, ·) each."""

    X: np.ndarray       # x<t>
    Z: np.ndarray       # pre-activations [z_u | z_r | z_c]  (T, m, 3 n_a)
    G: np.ndarray       # gate values     [Γu  | Γr  | c̃  ]
    HC: np.ndarray      # W_ca c<t-1> + b_ca, what Γr multiplies
    C: np.ndarray       # c<t> (= a<t>)
    c0: np.ndarray
    P: Packed
    bca: np.ndarray     # (n_a,) plain b_ca

    @property
    def A(self):
        return self.C

    @property
    def a0(self):
        return self.c0


class TorchGRU(GRU):
    """PyTorch's nn.GRU in the notes' notation (see module docstring)."""

    name = "gru"
    variant = "torch"
    gates = (
        Gate("gamma_u", "z_u", "u", "u", r"\Gamma_{{u,{j}}}", "sigmoid", "c"),
        Gate("gamma_r", "z_r", "r", "r", r"\Gamma_{{r,{j}}}", "sigmoid", "c"),
        Gate("c_tilde", "z_c", "c", "c", r"\tilde{{c}}^{{<t>}}_{{{j}}}", "tanh", "r(Wc+b)"),
    )
    # Γr enters after the recurrent product: dΓr, dc<t-1> and dW_ca differ from the notes' GRU.
    backward_updates = (
        r"\frac{\partial L}{\partial c^{<t>}} = W_y^T(\hat{y}^{<t>} - y^{<t>}) + "
        r"(\text{everything } c^{<t>} \text{ feeds at step } t+1)",
        r"d\Gamma_u = dc^{<t>} * (\tilde{c}^{<t>} - c^{<t-1>}),\quad "
        r"dz_c = dc^{<t>} * \Gamma_u * (1 - \tilde{c}^2),\quad "
        r"d\Gamma_r = dz_c * (W_{ca} c^{<t-1>} + b_{ca})",
        r"dc^{<t-1>} \mathrel{+}= dc^{<t>} * (1 - \Gamma_u) + W_{ua}^T dz_u + W_{ra}^T dz_r + "
        r"W_{ca}^T (dz_c * \Gamma_r)",
        r"dz_g = d\Gamma_g * \Gamma_g (1 - \Gamma_g),\quad "
        r"\frac{\partial L}{\partial W_{ca}} \mathrel{+}= (dz_c * \Gamma_r)\,(c^{<t-1>})^T,\quad "
        r"\frac{\partial L}{\partial W_{cx}} \mathrel{+}= dz_c\,(x^{<t>})^T",
    )

    def param_shapes(self, n_a, n_x):
        return {**super().param_shapes(n_a, n_x), "bca": (n_a, 1)}

    def init_params(self, rng, n_a, n_x, init):
        params = {**super().init_params(rng, n_a, n_x, init), "bca": np.zeros((n_a, 1))}
        if init.scheme == "pytorch":
            # torch keeps b_in (b_c) and b_hn (b_ca) apart: one U(-k, k) each, not a sum
            k = torch_bound(n_a)
            params["bc"], params["bca"] = (rng.uniform(-k, k, size=(n_a, 1)) for _ in "ca")
        return params

    def pack(self, params):
        P = super().pack(params)
        # b_ca rides with c̃'s recurrent product, pre-scaled like it (-2 for the tanh trick)
        return P, np.asarray(params["bca"][:, 0])

    def param_grads(self, g, n_a):
        return {**super().param_grads(g, n_a), "bca": g["dbca"][:, None]}

    @np.errstate(over="ignore")
    def forward(self, packed, X, state):
        P, bca = packed
        (c0,) = state[:1]
        T, m, _ = X.shape
        n = c0.shape[1]
        s_ur, s_c = self._gates_and_candidate(n)
        Wa_ur = np.ascontiguousarray(P.Wa[:, s_ur])
        Wa_c = np.ascontiguousarray(P.Wa[:, s_c])        # -2 W_ca^T
        bca_s = (TANH * bca).astype(Wa_c.dtype)
        Z = input_projection(P, X)
        G = np.empty_like(Z)
        HC = np.empty((T, m, n), dtype=Z.dtype)
        C = np.empty_like(HC)
        tmp_ur = np.empty((m, 2 * n), dtype=Z.dtype)
        tmp = np.empty((m, n), dtype=Z.dtype)
        views = (Z[..., s_ur], Z[..., s_c], G[..., s_ur], self.block(G, "gamma_u", n),
                 self.block(G, "gamma_r", n), G[..., s_c], HC, C)
        c_prev = c0
        for z_ur, z_c, ur, u, r, cc, hc, c in zip(*views, strict=True):
            np.matmul(c_prev, Wa_ur, out=tmp_ur)
            z_ur += tmp_ur                               # -[z_u, z_r] (pre-scaled)
            np.exp(z_ur, out=ur)
            ur += 1
            np.reciprocal(ur, out=ur)                    # Γu, Γr = σ(z)
            np.matmul(c_prev, Wa_c, out=hc)
            hc += bca_s                                  # -2 (W_ca c<t-1> + b_ca)
            np.multiply(r, hc, out=tmp)
            z_c += tmp                                   # -2 z_c = -2 (W_cx x + b_c + Γr * hc)
            np.exp(z_c, out=cc)
            cc += 1
            np.reciprocal(cc, out=cc)
            cc *= 2
            cc -= 1                                      # c̃ = tanh(z_c)
            np.subtract(cc, c_prev, out=tmp)
            tmp *= u
            np.add(c_prev, tmp, out=c)                   # c<t> = c<t-1> + Γu (c̃ - c<t-1>)
            c_prev = c
        Z *= P.unscale
        HC *= 1 / TANH
        return TorchGRUTape(X, Z, G, HC, C, c0, P, bca)

    def backward(self, tape, dC, input_grad=True):
        """BPTT, as the notes' GRU but with Γr after the product (module docstring)."""
        G, C = tape.G, tape.C
        T, m, n = C.shape
        s_ur, s_c = self._gates_and_candidate(n)
        P = tape.P
        WaT_ur = np.ascontiguousarray(P.WaT[s_ur])       # (2n, n)
        WaT_c = np.ascontiguousarray(P.WaT[s_c])         # W_ca (n, n)
        C_prev = prev(tape.c0, C)
        U, R, CT = (self.block(G, k, n) for k in ("gamma_u", "gamma_r", "c_tilde"))
        D = self.activation_slopes(G, n)                 # σ', tanh' for every step at once
        one_minus_u = 1 - U
        ct_minus_c = CT - C_prev
        dC_total = np.empty_like(C)
        dG = np.empty_like(G)
        dZ = np.empty_like(G)
        dHC = np.empty_like(C)                           # ∂L/∂(W_ca c<t-1> + b_ca)
        dG_u, dG_r, dG_c = (self.block(dG, k, n) for k in ("gamma_u", "gamma_r", "c_tilde"))
        tmp = np.empty((m, n), dtype=C.dtype)
        dc_next = np.zeros_like(tape.c0)
        for t in range(T - 1, -1, -1):
            dc, dz = dC_total[t], dZ[t]
            np.add(dC[t], dc_next, out=dc)               # ∂L/∂c<t>: from outside + from t+1
            np.multiply(dc, U[t], out=dG_c[t])           # ∂L/∂c̃ = dc * Γu
            np.multiply(dG_c[t], D[t, :, s_c], out=dz[:, s_c])      # ∂L/∂z_c
            np.multiply(dc, ct_minus_c[t], out=dG_u[t])  # ∂L/∂Γu = dc * (c̃ - c<t-1>)
            np.multiply(dz[:, s_c], tape.HC[t], out=dG_r[t])        # ∂L/∂Γr = dz_c * hc
            np.multiply(dz[:, s_c], R[t], out=dHC[t])    # ∂L/∂hc = dz_c * Γr
            np.multiply(dG[t, :, s_ur], D[t, :, s_ur], out=dz[:, s_ur])   # ∂L/∂z_u, ∂L/∂z_r
            # ∂L/∂c<t-1> = dc (1 - Γu) + W_ca^T ∂L/∂hc + W_u,c^T dz_u + W_r,c^T dz_r
            np.multiply(dc, one_minus_u[t], out=dc_next)
            np.matmul(dHC[t], WaT_c, out=tmp)
            dc_next += tmp
            np.matmul(dz[:, s_ur], WaT_ur, out=tmp)
            dc_next += tmp
        n_x = tape.X.shape[2]
        dW = np.empty((3 * n, n + n_x), dtype=C.dtype)
        db = np.empty(3 * n, dtype=C.dtype)
        dW[s_ur], db[s_ur] = weight_grads(tape.X, C_prev, dZ[..., s_ur])
        # c̃: W_ca reads c<t-1> through ∂L/∂hc, W_cx reads x<t> through ∂L/∂z_c
        dHC2, dZc2 = dHC.reshape(T * m, n), dZ[..., s_c].reshape(T * m, n)
        dW[s_c, :n] = dHC2.T @ C_prev.reshape(T * m, n)
        dW[s_c, n:] = dZc2.T @ tape.X.reshape(T * m, n_x)
        dbca, db[s_c] = dHC2.sum(axis=0), dZc2.sum(axis=0)
        dX = input_grads(P, dZ) if input_grad else None
        return dict(dW=dW, db=db, dbca=dbca, dX=dX, d_state0=(dc_next,), dC=dC_total, dG=dG,
                    dZ=dZ)

    def weight_grad_factors(self, tape, grads):
        """As Cell's, except that Γr multiplies W_ca c<t-1> + b_ca, so the gradient reaching
        W_ca is ∂L/∂hc = dz_c * Γr: ∂L/∂W_ca += (dz_c * Γr) c<t-1>^T, ∂L/∂W_cx += dz_c x<t>^T."""
        out = Cell.weight_grad_factors(self, tape, grads)
        (p, dz_c, c_prev), x_block = out["c_tilde"]
        r = self.block(tape.G, "gamma_r", tape.C.shape[2])
        out["c_tilde"] = ((p, dz_c * r, c_prev), x_block)
        return out

    def step_jacobians(self, params, tape):
        """∂c<t>/∂c<t-1> for every t: (T_x, m, n_a, n_a), exact, from the tape."""
        n = tape.C.shape[2]
        Wu, Wr, Wc = (params[k][:, :n] for k in ("Wu", "Wr", "Wc"))
        U, R, CT = (self.block(tape.G, k, n) for k in ("gamma_u", "gamma_r", "c_tilde"))
        C_prev = prev(tape.c0, tape.C)
        S_u, S_r, S_c = (self.block(self.activation_slopes(tape.G, n), k, n)
                         for k in ("gamma_u", "gamma_r", "c_tilde"))
        dU = (S_u * (CT - C_prev))[..., None] * Wu             # through Γu
        # ∂z_c/∂c<t-1> = diag(hc) ∂Γr/∂c<t-1> + diag(Γr) W_ca
        dz_c = (tape.HC * S_r)[..., None] * Wr + R[..., None] * Wc
        return np.eye(n) * (1 - U)[..., None] + dU + (U * S_c)[..., None] * dz_c

    def jacobian_pullback(self, params, tape, example=0, dtype=np.float64):
        """R J<t>, J<t> = ∂c<t>/∂c<t-1> formed per step (elementwise only) as in
        `step_jacobians`, then one GEMM:

            J<t> = diag(1 - Γu) + diag(v_u) W_u + diag(q hc σ'(z_r)) W_r + diag(q Γr) W_ca

        v_u = σ'(z_u)(c̃ - c<t-1>), q = Γu tanh'(z_c), hc = W_ca c<t-1> + b_ca.
        """
        n = tape.C.shape[2]
        G = tape.G[:, example]
        S = self.activation_slopes(G, n)
        U, Rg, CT = (self.block(G, k, n) for k in ("gamma_u", "gamma_r", "c_tilde"))
        S_u, S_r, S_c = (self.block(S, k, n) for k in ("gamma_u", "gamma_r", "c_tilde"))
        C_prev = prev(tape.c0, tape.C)[:, example]
        q = U * S_c
        # the diagonal factors of every step at once, (T_x, n_a) each
        keep, v_u, v_r, v_c = (np.asarray(v, dtype=dtype) for v in (
            1 - U, S_u * (CT - C_prev), q * tape.HC[:, example] * S_r, q * Rg))
        Wu, Wr, Wca = (np.asarray(params[k][:, :n], dtype=dtype) for k in ("Wu", "Wr", "Wc"))
        J, tmp = np.empty((n, n), dtype=dtype), np.empty((n, n), dtype=dtype)
        diag = np.arange(n)

        def pull(R, i):
            np.multiply(v_u[i][:, None], Wu, out=J)
            np.add(J, np.multiply(v_r[i][:, None], Wr, out=tmp), out=J)
            np.add(J, np.multiply(v_c[i][:, None], Wca, out=tmp), out=J)
            J[diag, diag] += keep[i]
            return R @ J

        return pull

    def terms(self, params, key, h_prev, r, x, unit):
        """As Cell.terms; c̃'s recurrent part is Γr * (W_ca c<t-1> + b_ca)."""
        if key != "c_tilde":
            return super().terms(params, key, h_prev, r, x, unit)
        n = h_prev.shape[0]
        W, b = params["Wc"], params["bc"]
        hc = float(W[unit, :n] @ h_prev) + float(params["bca"][unit, 0])
        return float(r[unit]) * hc, self._input_term(W[unit, n:], x), float(b[unit, 0])

    def step_cache(self, tape, parameters, t):
        raise ValueError("the seed's step-by-step API has the notes' GRU only; PyTorch's GRU "
                         "runs through Model")

    def tape_from_caches(self, caches, dtype):
        raise ValueError("the seed's step-by-step API has the notes' GRU only")

