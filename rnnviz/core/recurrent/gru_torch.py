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
    prev,
)
from rnnviz.core.recurrent.gru import GRU, GRUTape
from rnnviz.core.recurrent.step_operator import StepOperator, least_norm


@dataclass
class TorchGRUTape(GRUTape):
    """The GRU tape, where RC holds hc = W_ca c<t-1> + b_ca (what Γr multiplies), and b_ca."""

    bca: np.ndarray = None     # (n_a,) plain b_ca

    @property
    def HC(self):
        return self.RC


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

    # -- the lines where Γr enters (GRU's fused loops call these) --------------------------

    def _unpack(self, packed):
        return packed

    def _reset_forward(self, r, c_prev, Wa_c, bca_s, read, tmp):
        """read = W_ca c<t-1> + b_ca (pre-scaled: -2 hc), tmp = Γr * read."""
        np.matmul(c_prev, Wa_c, out=read)
        read += bca_s                                    # -2 (W_ca c<t-1> + b_ca)
        np.multiply(r, read, out=tmp)                    # -2 Γr * (W_ca c<t-1> + b_ca)

    def _reset_backward(self, dz_c, r, c_prev, read, WaT_c, dG_r, d_read, via):
        """read = hc = W_ca c<t-1> + b_ca: ∂L/∂Γr = dz_c * hc, ∂L/∂hc = dz_c * Γr, and
        W_ca^T ∂L/∂hc reaches c<t-1>."""
        np.multiply(dz_c, read, out=dG_r)
        np.multiply(dz_c, r, out=d_read)
        np.matmul(d_read, WaT_c, out=via)

    def _candidate_grads(self, tape, dZ_c, d_read, C_prev, dW_c):
        """W_ca reads c<t-1> through ∂L/∂hc, W_cx reads x<t> through ∂L/∂z_c; b_ca gets
        ∂L/∂hc."""
        T, m, n = C_prev.shape
        dHC2, dZc2 = d_read.reshape(T * m, n), dZ_c.reshape(T * m, n)
        dW_c[:, :n] = dHC2.T @ C_prev.reshape(T * m, n)
        dW_c[:, n:] = dZc2.T @ tape.X.reshape(T * m, -1)
        return dZc2.sum(axis=0), {"dbca": dHC2.sum(axis=0)}

    def _tape(self, X, Z, G, read, C, c0, P, bca):
        read *= 1 / TANH                                 # hc, unscaled
        return TorchGRUTape(X, Z, G, read, C, c0, P, bca)

    def weight_grad_factors(self, tape, grads):
        """As Cell's, except that Γr multiplies W_ca c<t-1> + b_ca, so the gradient reaching
        W_ca is ∂L/∂hc = dz_c * Γr: ∂L/∂W_ca += (dz_c * Γr) c<t-1>^T, ∂L/∂W_cx += dz_c x<t>^T."""
        out = Cell.weight_grad_factors(self, tape, grads)
        (p, dz_c, c_prev), x_block = out["c_tilde"]
        r = self.block(tape.G, "gamma_r", tape.C.shape[2])
        out["c_tilde"] = ((p, dz_c * r, c_prev), x_block)
        return out

    def _dzc_dc(self, Wr, Wc, R, S_r, C_prev, tape):
        """∂z_c/∂c<t-1> = diag(hc σ'(z_r)) W_r + diag(Γr) W_ca, hc = W_ca c<t-1> + b_ca."""
        return (tape.HC * S_r)[..., None] * Wr + R[..., None] * Wc

    def _jacobian_factors(self, tape, example, dtype):
        """As GRU's, with Γr after the product: keep = 1 - Γu, v_u = σ'(z_u)(c̃ - c<t-1>),
        v_r = q hc σ'(z_r), v_c = q Γr (q = Γu tanh'(z_c), hc = W_ca c<t-1> + b_ca)."""
        U, Rg, CT, S_u, S_r, S_c, C_prev = self._gate_factors(tape, example)
        q = U * S_c
        return {k: np.asarray(v, dtype=dtype) for k, v in (
            ("keep", 1 - U), ("v_u", S_u * (CT - C_prev)), ("v_r", q * tape.HC[:, example] * S_r),
            ("v_c", q * Rg))}

    def jacobian_operator(self, params, tape, example=0, dtype=np.float64):
        """J<t> = diag(1 - Γu) + diag(v_u) W_u + diag(v_r) W_r + diag(v_c) W_ca (v_r = q hc
        σ'(z_r), v_c = q Γr, as in `jacobian_pullback`) as products for every step
        (`StepOperator`), W = [W_u; W_r; W_ca] (3 n_a, n_a) and v = [v_u, v_r, v_c]:

            J<t> x  = (1 - Γu) x + Σ_g (v * (W x))_g
            J<t>ᵀ y = (1 - Γu) y + Wᵀ (v * [y, y, y])

        one GEMM each for all steps. Row i's squared norm is exact: (1 - Γu_i)² +
        2 (1 - Γu_i) Σ_g v_g,i W_g[i, i] + v_iᵀ Gram_i v_i, Gram_i of the three weight rows."""
        n = tape.C.shape[2]
        d = self._jacobian_factors(tape, example, dtype)
        f = {"keep": d["keep"], "v": np.concatenate([d["v_u"], d["v_r"], d["v_c"]], axis=1)}
        W = np.concatenate([np.asarray(params[k][:, :n], dtype=dtype)
                            for k in ("Wu", "Wr", "Wc")])     # (3 n_a, n_a)
        WT = np.ascontiguousarray(W.T)
        Wg = W.reshape(3, n, n)
        gram = np.einsum("gij,hij->igh", Wg, Wg)              # (n_a, 3, 3) per row i
        diag = Wg[:, np.arange(n), np.arange(n)].T            # W_g[i, i], (n_a, 3)

        def mv(f, X):
            Z = (X @ WT) * f["v"]
            return f["keep"] * X + Z[:, :n] + Z[:, n:2 * n] + Z[:, 2 * n:]

        def rmv(f, Y):
            return f["keep"] * Y + (f["v"] * np.concatenate([Y, Y, Y], axis=1)) @ W

        def bound(f):
            v3 = f["v"].reshape(len(f["v"]), 3, n).transpose(0, 2, 1)   # (T, n_a, 3)
            k = f["keep"]
            rows = (k * k + 2 * k * np.einsum("tig,ig->ti", v3, diag)
                    + np.einsum("tig,igh,tih->ti", v3, gram, v3))
            return least_norm(rows)

        return StepOperator.matrix_free(
            f, mv, rmv, bound, n_s=n,
            form=lambda: np.asarray(self.step_jacobians(params, tape), dtype)[:, example])

    def jacobian_pullback(self, params, tape, example=0, dtype=np.float64):
        """R J<t>, J<t> = ∂c<t>/∂c<t-1> formed per step (elementwise only) as in
        `step_jacobians`, then one GEMM:

            J<t> = diag(1 - Γu) + diag(v_u) W_u + diag(q hc σ'(z_r)) W_r + diag(q Γr) W_ca

        v_u = σ'(z_u)(c̃ - c<t-1>), q = Γu tanh'(z_c), hc = W_ca c<t-1> + b_ca.
        """
        n = tape.C.shape[2]
        f = self._jacobian_factors(tape, example, dtype)
        keep, v_u, v_r, v_c = (f[k] for k in ("keep", "v_u", "v_r", "v_c"))
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

    def tape_from_caches(self, caches, dtype):
        """The tape of a list of GRUCache made by `gru_step(..., variant="torch")` in a loop
        (`step_cache` is the notes' GRU's: the same cache fields)."""
        tape = super().tape_from_caches(caches, dtype)
        packed = self.pack({k: np.asarray(v, dtype) for k, v in caches[0].parameters.items()})
        P, bca = packed
        n = tape.C.shape[2]
        # what Γr multiplies: W_ca c<t-1> + b_ca
        HC = prev(tape.c0, tape.C) @ P.WaT[self.index("c_tilde") * n:][:n].T + bca
        return TorchGRUTape(tape.X, None, tape.G, HC.astype(dtype), tape.C, tape.c0, P, bca)
