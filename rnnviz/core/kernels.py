"""Fused time loops for RNN, GRU and LSTM: the fast path under the seed API and `Model`.

Layout. The seed writes column vectors, W @ [a<t-1>; x<t>], with arrays (n, m, T_x). Inside the
loops we keep the same equations transposed to rows, arrays (T_x, m, n), so that each step reads
and writes contiguous memory:  z<t>^T = [a<t-1>; x<t>]^T W^T = a<t-1>^T W_a^T + x<t>^T W_x^T.

Fusions (each maps back to the seed's per-gate equations):
* all input projections x<t>^T W_x^T + b for every step are one GEMM before the loop;
* the gates are one matrix: columns [Γf | Γu | Γo | c̃] (LSTM), [Γu | Γr] + c̃ (GRU);
* σ(z) = 1 / (1 + e^-z) and tanh(z) = 2 σ(2z) - 1, so the packed weights are pre-scaled by -1
  (sigmoid gates) and -2 (the candidate c̃): one exp call per step evaluates every gate, and the
  stored pre-activations are scaled back after the loop;
* weight gradients are one GEMM after the loop: dW^T = [a<t-1>; x<t>] stacked over t @ dz.
Every buffer is preallocated; the loops do only per-step work.
"""

from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------------------------------------
# Packing the seed's per-gate matrices (n_a, n_a + n_x) into the fused row layout.


@dataclass(frozen=True)
class Packed:
    """Fused weights of one recurrent layer, rows layout (see module docstring).

    Wa:  (n_a, k n_a)  recurrent part, pre-scaled per block by `scale` (forward only)
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


SIGMOID, TANH = -1.0, -2.0      # pre-scales: exp(-z) for σ(z), exp(-2z) for tanh(z)


def pack(blocks, biases, scales):
    """Stack gate matrices W_g (n_a, n_a + n_x), b_g (n_a, 1) in the given gate order.

    scales: one pre-scale per block (SIGMOID, TANH, or 1.0 for no exp trick).
    """
    n_a = blocks[0].shape[0]
    W = np.concatenate(blocks, axis=0)  # (k n_a, n_a + n_x)
    scale = np.repeat(np.asarray(scales, dtype=W.dtype), n_a)
    Ws = W * scale[:, None]
    return Packed(
        Wa=np.ascontiguousarray(Ws[:, :n_a].T),   # read every step: worth a contiguous copy
        Wx=np.ascontiguousarray(Ws[:, n_a:].T),   # a transposed view sends OpenBLAS a slow path
        b=np.concatenate(biases, axis=0)[:, 0] * scale,
        WaT=W[:, :n_a],
        WxT=W[:, n_a:],
        unscale=1 / scale,
    )


def unpack_grad(dW, db, n_a, k):
    """Split fused gradients dW (k n_a, n_a + n_x), db (k n_a,) per gate (views, no copies).

    Returns lists of k arrays dW_g (n_a, n_a + n_x) and db_g (n_a, 1) in packing order.
    """
    return ([dW[g * n_a:(g + 1) * n_a] for g in range(k)],
            [db[g * n_a:(g + 1) * n_a, None] for g in range(k)])


def _input_projection(P, X):
    """x<t>^T W_x^T + b for every t in one GEMM: (T, m, n_x) -> (T, m, k n_a)."""
    T, m, n_x = X.shape
    Z = X.reshape(T * m, n_x) @ P.Wx
    Z += P.b
    return Z.reshape(T, m, -1)


def _prev(first, seq):
    """[s<0>, s<1>, ..., s<T-1>] from s<0> (m, n) and s<1..T> (T, m, n)."""
    return np.concatenate([first[None], seq[:-1]], axis=0)


def _weight_grads(X, H_prev, dZ):
    """dW = Σ_t dz<t> [h<t-1>; x<t>]^T as one GEMM, and db = Σ_t dz<t>.

    dW comes out in the seed's layout (k n_a, n_a + n_x), so per-gate blocks are row slices.
    """
    T, m, k = dZ.shape
    dZ2 = dZ.reshape(T * m, k)
    HX = np.concatenate([H_prev.reshape(T * m, -1), X.reshape(T * m, -1)], axis=1)
    return dZ2.T @ HX, dZ2.sum(axis=0)


def matmul_rows(A, W):
    """(T, m, k) @ (k, j) -> (T, m, j) as one 2-D GEMM (3-D @ 2-D would loop over T)."""
    T, m, k = A.shape
    return (A.reshape(T * m, k) @ W).reshape(T, m, -1)


def _input_grads(P, dZ):
    """dx<t> = W_x^T dz<t> for every t in one GEMM: (T, m, k n_a) -> (T, m, n_x)."""
    T, m, k = dZ.shape
    return (dZ.reshape(T * m, k) @ P.WxT).reshape(T, m, -1)


# ---------------------------------------------------------------------------------------------
# Vanilla RNN:  a<t> = g(W_aa a<t-1> + W_ax x<t> + b_a),  g = tanh or ReLU


@dataclass
class RNNTape:
    """Forward values of an RNN layer, (T_x, m, n) each: what the backward pass needs."""

    X: np.ndarray       # x<t>
    Z: np.ndarray       # z<t> = W_aa a<t-1> + W_ax x<t> + b_a
    A: np.ndarray       # a<t> = g(z<t>)
    a0: np.ndarray      # a<0>, (m, n_a)
    P: Packed
    activation: str


def rnn_pack(Wax, Waa, ba):
    return pack([np.concatenate([Waa, Wax], axis=1)], [ba], [1.0])


def rnn_forward(P, X, a0, activation="tanh"):
    Z = _input_projection(P, X)
    A = np.empty_like(Z)
    tmp = np.empty_like(a0)
    a_prev = a0
    for t in range(X.shape[0]):
        np.matmul(a_prev, P.Wa, out=tmp)
        Z[t] += tmp                                  # z<t>
        if activation == "tanh":
            np.tanh(Z[t], out=A[t])                  # a<t> = tanh(z<t>)
        else:
            np.maximum(Z[t], 0, out=A[t])            # a<t> = ReLU(z<t>)
        a_prev = A[t]
    return RNNTape(X, Z, A, a0, P, activation)


def rnn_backward(tape, dA):
    """BPTT. dA (T, m, n_a): gradient reaching each a<t> from outside the recurrence."""
    P, A = tape.P, tape.A
    # g'(z<t>) for every step at once
    D = 1 - A * A if tape.activation == "tanh" else (tape.Z > 0).astype(A.dtype)
    dA_total = np.empty_like(A)
    dZ = np.empty_like(A)
    da_next = np.zeros_like(tape.a0)
    for t in range(A.shape[0] - 1, -1, -1):
        np.add(dA[t], da_next, out=dA_total[t])     # ∂L/∂a<t>: from outside + from step t+1
        np.multiply(dA_total[t], D[t], out=dZ[t])    # ∂L/∂z<t> = ∂L/∂a<t> * g'(z<t>)
        np.matmul(dZ[t], P.WaT, out=da_next)         # ∂L/∂a<t-1> = W_aa^T ∂L/∂z<t>
    dW, db = _weight_grads(tape.X, _prev(tape.a0, A), dZ)
    dX = _input_grads(P, dZ)
    return dict(dW=dW, db=db, dX=dX, da0=da_next, dA=dA_total, dZ=dZ)


# ---------------------------------------------------------------------------------------------
# LSTM (seed):  c̃ = tanh(W_c[a,x] + b_c); Γu, Γf, Γo = σ(W_{u,f,o}[a,x] + b);
#               c<t> = Γu * c̃ + Γf * c<t-1>;  a<t> = Γo * tanh(c<t>)
# Packed gate order: [Γo | Γf | Γu | c̃]  (the seed API's Wo, Wf, Wi, Wc). The three sigmoid
# gates come first (one affine after the shared tanh), and the three blocks driven by ∂L/∂c<t>
# in the backward pass (Γf, Γu, c̃) are adjacent (one broadcast multiply).


@dataclass
class LSTMTape:
    """Forward values of an LSTM layer, (T_x, m, ·) each."""

    X: np.ndarray       # x<t>
    Z: np.ndarray       # pre-activations [z_o | z_f | z_u | z_c]  (T, m, 4 n_a)
    G: np.ndarray       # gate values     [Γo  | Γf  | Γu  | c̃  ]  (T, m, 4 n_a)
    C: np.ndarray       # c<t>
    TC: np.ndarray      # tanh(c<t>)
    A: np.ndarray       # a<t>
    a0: np.ndarray
    c0: np.ndarray
    P: Packed


LSTM_GATES = ("o", "f", "u", "c")   # packing order of the gate blocks


def lstm_pack(Wo, Wf, Wi, Wc, bo, bf, bi, bc):
    return pack([Wo, Wf, Wi, Wc], [bo, bf, bi, bc], [SIGMOID, SIGMOID, SIGMOID, TANH])


@np.errstate(over="ignore")      # e^-z may overflow to inf: σ = 1 / (1 + inf) = 0 exactly
def lstm_forward(P, X, a0, c0):
    T, m, _ = X.shape
    n = a0.shape[1]
    Z = _input_projection(P, X)
    G = np.empty_like(Z)
    C = np.empty((T, m, n), dtype=Z.dtype)
    TC = np.empty_like(C)
    A = np.empty_like(C)
    tmp = np.empty((m, 4 * n), dtype=Z.dtype)
    uc = np.empty((m, n), dtype=Z.dtype)
    # per-step views, made once: Γo, Γf, Γu, c̃
    views = (Z, G, G[:, :, :n], G[:, :, n:2 * n], G[:, :, 2 * n:3 * n], G[:, :, 3 * n:],
             C, TC, A)
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


def lstm_backward(tape, dA):
    """BPTT through the LSTM. dA (T, m, n_a): gradient reaching each a<t> from outside."""
    G, C, TC, A = tape.G, tape.C, tape.TC, tape.A
    T, m, n = A.shape
    O, F, U, CT = (G[:, :, i * n:(i + 1) * n] for i in range(4))
    # Local derivatives for every step at once, so each step below is a few multiplies:
    #   ∂a/∂c   = Γo (1 - tanh²c)                       (K)
    #   ∂z_o    = ∂L/∂a<t> * tanh(c) σ'(z_o)            (E_o)
    #   ∂z_f    = ∂L/∂c<t> * c<t-1> σ'(z_f)             (E_f)
    #   ∂z_u    = ∂L/∂c<t> * c̃ σ'(z_u)                  (E_u)
    #   ∂z_c    = ∂L/∂c<t> * Γu (1 - c̃²)                (E_c)
    K = O * (1 - TC * TC)
    E_o = TC * O * (1 - O)
    E_f = _prev(tape.c0, C) * F * (1 - F)
    E_u = CT * U * (1 - U)
    E_c = U * (1 - CT * CT)
    dA_total = np.empty_like(A)
    dC_total = np.empty_like(C)
    dZ = np.empty_like(G)                            # ∂L/∂[z_o | z_f | z_u | z_c]
    dZ_o, dZ_f, dZ_u, dZ_c = (dZ[:, :, i * n:(i + 1) * n] for i in range(4))
    tmp = np.empty((m, n), dtype=A.dtype)
    da_next = np.zeros_like(tape.a0)
    dc_next = np.zeros_like(tape.c0)
    WaT = tape.P.WaT
    for t in range(T - 1, -1, -1):
        da, dc = dA_total[t], dC_total[t]
        np.add(dA[t], da_next, out=da)               # ∂L/∂a<t>: from outside + from step t+1
        np.multiply(da, K[t], out=tmp)
        np.add(dc_next, tmp, out=dc)                 # ∂L/∂c<t> = from step t+1 + via a<t>
        np.multiply(da, E_o[t], out=dZ_o[t])         # ∂L/∂z_o
        np.multiply(dc, E_f[t], out=dZ_f[t])         # ∂L/∂z_f
        np.multiply(dc, E_u[t], out=dZ_u[t])         # ∂L/∂z_u
        np.multiply(dc, E_c[t], out=dZ_c[t])         # ∂L/∂z_c
        np.multiply(dc, F[t], out=dc_next)           # ∂L/∂c<t-1> = ∂L/∂c<t> * Γf
        np.matmul(dZ[t], WaT, out=da_next)           # ∂L/∂a<t-1> = Σ_gates W_ga^T dz_g
    dW, db = _weight_grads(tape.X, _prev(tape.a0, A), dZ)
    dX = _input_grads(tape.P, dZ)
    return dict(dW=dW, db=db, dX=dX, da0=da_next, dc0=dc_next,
                dA=dA_total, dC=dC_total, dZ=dZ)


# ---------------------------------------------------------------------------------------------
# GRU (the seed's full GRU, a<t> = c<t>, Γr applied before the matmul):
#   Γu = σ(W_u[c<t-1>, x] + b_u);  Γr = σ(W_r[c<t-1>, x] + b_r)
#   c̃ = tanh(W_c[Γr * c<t-1>, x] + b_c);  c<t> = Γu * c̃ + (1 - Γu) * c<t-1>
# Packed order [Γu | Γr | c̃]; the recurrent part of c̃ is kept apart (it acts on Γr * c<t-1>).


@dataclass
class GRUTape:
    X: np.ndarray       # x<t>
    Z: np.ndarray       # [z_u | z_r | z_c]  (T, m, 3 n_a)
    G: np.ndarray       # [Γu  | Γr  | c̃  ]  (T, m, 3 n_a)
    RC: np.ndarray      # Γr * c<t-1>
    C: np.ndarray       # c<t> (= a<t>)
    c0: np.ndarray
    P: Packed


def gru_pack(Wu, Wr, Wc, bu, br, bc):
    return pack([Wu, Wr, Wc], [bu, br, bc], [SIGMOID, SIGMOID, TANH])


@np.errstate(over="ignore")
def gru_forward(P, X, c0):
    T, m, _ = X.shape
    n = c0.shape[1]
    s2 = 2 * n
    Wa_ur = np.ascontiguousarray(P.Wa[:, :s2])
    Wa_c = np.ascontiguousarray(P.Wa[:, s2:])
    Z = _input_projection(P, X)
    G = np.empty_like(Z)
    RC = np.empty((T, m, n), dtype=Z.dtype)
    C = np.empty_like(RC)
    tmp_ur = np.empty((m, s2), dtype=Z.dtype)
    tmp = np.empty((m, n), dtype=Z.dtype)
    # per-step views, made once: [z_u z_r], z_c, [Γu Γr], Γu, Γr, c̃
    views = (Z[:, :, :s2], Z[:, :, s2:], G[:, :, :s2], G[:, :, :n], G[:, :, n:s2],
             G[:, :, s2:], RC, C)
    c_prev = c0
    for z_ur, z_c, ur, u, r, cc, rc, c in zip(*views, strict=True):
        np.matmul(c_prev, Wa_ur, out=tmp_ur)
        z_ur += tmp_ur                               # -[z_u, z_r] (pre-scaled)
        np.exp(z_ur, out=ur)
        ur += 1
        np.reciprocal(ur, out=ur)                    # Γu, Γr = σ(z)
        np.multiply(r, c_prev, out=rc)               # Γr * c<t-1>
        np.matmul(rc, Wa_c, out=tmp)
        z_c += tmp                                   # -2 z_c,  z_c = W_c[Γr * c<t-1>, x] + b_c
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
    return GRUTape(X, Z, G, RC, C, c0, P)


def gru_backward(tape, dC):
    """BPTT through the GRU. dC (T, m, n_a): gradient reaching each c<t> from outside."""
    G, C = tape.G, tape.C
    T, m, n = C.shape
    s2 = 2 * n
    P = tape.P
    WaT_ur = np.ascontiguousarray(P.WaT[:s2])        # (2n, n)
    WaT_c = np.ascontiguousarray(P.WaT[s2:])         # (n, n)
    C_prev = _prev(tape.c0, C)
    U, R, CT = G[:, :, :n], G[:, :, n:s2], G[:, :, s2:]
    # local derivatives for every step at once
    D = np.empty_like(G)
    np.multiply(G[:, :, :s2], 1 - G[:, :, :s2], out=D[:, :, :s2])   # σ'
    np.subtract(1, CT * CT, out=D[:, :, s2:])                       # tanh'
    one_minus_u = 1 - U
    ct_minus_c = CT - C_prev
    dC_total = np.empty_like(C)
    dG = np.empty_like(G)                            # ∂L/∂[Γu | Γr | c̃]
    dZ = np.empty_like(G)
    d_rc = np.empty((m, n), dtype=C.dtype)
    tmp = np.empty_like(d_rc)
    dc_next = np.zeros_like(tape.c0)
    for t in range(T - 1, -1, -1):
        dc, dg, dz = dC_total[t], dG[t], dZ[t]
        np.add(dC[t], dc_next, out=dc)               # ∂L/∂c<t>: from outside + from step t+1
        np.multiply(dc, U[t], out=dg[:, s2:])        # ∂L/∂c̃ = dc * Γu
        np.multiply(dg[:, s2:], D[t, :, s2:], out=dz[:, s2:])   # ∂L/∂z_c
        np.multiply(dc, ct_minus_c[t], out=dg[:, :n])   # ∂L/∂Γu = dc * (c̃ - c<t-1>)
        np.matmul(dz[:, s2:], WaT_c, out=d_rc)       # ∂L/∂(Γr * c<t-1>) = W_cc^T dz_c
        np.multiply(d_rc, C_prev[t], out=dg[:, n:s2])   # ∂L/∂Γr = d(Γr c) * c<t-1>
        np.multiply(dg[:, :s2], D[t, :, :s2], out=dz[:, :s2])   # ∂L/∂z_u, ∂L/∂z_r
        # ∂L/∂c<t-1> = dc (1 - Γu) + d(Γr c) Γr + W_u,c^T dz_u + W_r,c^T dz_r
        np.multiply(dc, one_minus_u[t], out=dc_next)
        np.multiply(d_rc, R[t], out=tmp)
        dc_next += tmp
        np.matmul(dz[:, :s2], WaT_ur, out=tmp)
        dc_next += tmp
    # Γu, Γr act on [c<t-1>; x<t>], c̃ on [Γr * c<t-1>; x<t>]: two GEMMs, same layout
    dW = np.empty((3 * n, n + tape.X.shape[2]), dtype=C.dtype)
    dW[:s2], db_ur = _weight_grads(tape.X, C_prev, dZ[:, :, :s2])
    dW[s2:], db_c = _weight_grads(tape.X, tape.RC, dZ[:, :, s2:])
    db = np.concatenate([db_ur, db_c])
    dX = _input_grads(P, dZ)
    return dict(dW=dW, db=db, dX=dX, dc0=dc_next, dC=dC_total, dG=dG, dZ=dZ)


__all__ = [
    "Packed", "pack", "unpack_grad",
    "RNNTape", "rnn_pack", "rnn_forward", "rnn_backward",
    "LSTMTape", "lstm_pack", "lstm_forward", "lstm_backward",
    "GRUTape", "gru_pack", "gru_forward", "gru_backward",
]
