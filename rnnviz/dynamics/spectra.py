"""Singular values of the step Jacobians J<t> (T, n, n): every one of them, or the band the
Dynamics page draws.

* `singular_values_and_top_pair`: all n of them per step, from `eigvalsh` of the Gram matrix
  JᵀJ, and the top singular pair. What `jacobian_spectrum` returns by default. Exact, but at
  n = 512 (the LSTM LM's [a; c]) 14 ms of `eigvalsh` a step: most of a new sentence's time on
  the Dynamics page, which draws four numbers a step.
* `spectrum_band`: just those numbers, σ1..σk (lines) and the band's lower edge, with the top
  pair. `jacobian_spectrum(..., top=k)`.
  - σ1..σk and the top right singular vector: Lanczos on G = JᵀJ (products Jᵀ(J q)) with
    full reorthogonalisation, stopped when each of the k largest Ritz values θ_i has the
    residual bound β_m |s_{m,i}| ≤ `tol` θ_1. An eigenvalue of G then lies within that bound
    of each θ_i, and θ_i ≤ λ_i (interlacing): σ_i = √θ_i to about `tol`, relative. 20–40
    products on the shipped LMs. The caveat of single-vector Lanczos: a singular value of
    multiplicity > 1 is found once (the tests compare with the SVD on the shipped models).
    Every step runs in one batch, through the cell's `StepOperator`: for the RNN and the
    LSTM the products of all steps are a GEMM against the recurrent weights, and the
    Jacobians are never formed (benchmarks/spectrum.py).
  - The lower edge, σ_min to within `band_tol` σ1: σ_min ≤ ‖J e_i‖ and ‖e_iᵀ J‖ for every i
    (any column or row norm the operator has: `StepOperator.sigma_min_bound`) and σ_min² ≤ θ_min
    (the smallest Ritz value); when the least of these, b, is at most `band_tol` σ1,
    σ_min ∈ [0, b] and b is drawn. A saturated unit (tanh' ≈ 0) or a closed forget gate
    makes a row or column tiny: every step of the shipped LSTM LM, nearly every step of the
    RNN LM. Any other step (every step of the GRU LM) takes the exact route above, on its
    formed Jacobian.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from rnnviz.core.recurrent.step_operator import StepOperator


def lanczos_top(op, k: int, tol: float = 1e-12, max_m: int = 96, seed: int = 0):
    """(θ (T, k) the largest eigenvalues of J<t>ᵀJ<t>, largest first; V (T, n) the top
    eigenvectors; θ_min (T,) the smallest Ritz values, upper bounds on λ_min(J<t>ᵀJ<t>);
    ok (T,) where the k values met `tol`) for every step of `op` (a `StepOperator`, or
    formed J (T, n, n)), by Lanczos from one fixed random start (`seed`: a step's result
    depends on its J<t> alone). Rows that are not `ok` (not settled after `max_m` products)
    are NaN: the caller solves those steps exactly.

    All the steps run together: each product G q = Jᵀ(J q) is one `op.mv` and one `op.rmv`
    for every step still running (a GEMM against the weights, for a matrix-free operator),
    and a step leaves the batch when its values settle (checked every 4th product from 12)."""
    if not isinstance(op, StepOperator):
        op = StepOperator.of_matrices(op)
    T, n = len(op), op.n_s
    k = min(k, n)
    theta, V = np.full((T, k), np.nan), np.full((T, n), np.nan)
    theta_min, ok = np.full(T, np.nan), np.zeros(T, dtype=bool)
    if T == 0:
        return theta, V, theta_min, ok
    m_max = min(n, max_m)
    q = np.random.default_rng(seed).standard_normal(n)
    Q = np.empty((T, m_max + 1, n))                    # the Lanczos vectors of each step
    Q[:, 0] = q / math.sqrt(q @ q)
    alpha, beta = np.empty((T, m_max)), np.empty((T, m_max))
    rows = np.arange(T)                                # the steps still in the batch
    for j in range(m_max):
        w = op.rmv(op.mv(Q[:, j]))                     # G q_j, every step
        alpha[:, j] = np.einsum("tn,tn->t", Q[:, j], w)
        Qj = Q[:, :j + 1]
        for _ in range(2):                             # full reorthogonalisation, twice
            w -= np.matmul(np.matmul(Qj, w[..., None]).transpose(0, 2, 1), Qj)[:, 0]
        b = np.sqrt(np.einsum("tn,tn->t", w, w))
        beta[:, j] = b
        m = j + 1
        if (m >= max(k, 12) and m % 4 == 0) or m == m_max or (b == 0.0).any():
            th, S = np.linalg.eigh(_tridiagonal(alpha[:, :m], beta[:, :m - 1]))  # ascending
            top = th[:, -1]
            bounds = b[:, None] * np.abs(S[:, -1, -k:])          # |λ − θ_i| ≤ β_m |s_{m,i}|
            done = (b == 0.0) | (top <= 0.0) | np.all(bounds <= tol * top[:, None], axis=1)
            if m == n:                                 # a full basis: the values are exact
                done[:] = True
            if done.any():
                d = np.flatnonzero(done)
                v = np.einsum("tmn,tm->tn", Q[d, :m], S[d, :, -1])
                theta[rows[d]] = th[d, ::-1][:, :k]
                V[rows[d]] = v / np.linalg.norm(v, axis=1, keepdims=True)
                theta_min[rows[d]], ok[rows[d]] = th[d, 0], True
                keep = np.flatnonzero(~done)
                if not len(keep) or m == m_max:
                    break
                rows, op = rows[keep], op.take(keep)
                Q, alpha, beta, w, b = Q[keep], alpha[keep], beta[keep], w[keep], b[keep]
        if m == m_max:
            break
        Q[:, m] = w / b[:, None]
    return theta, V, theta_min, ok


def _tridiagonal(alpha, beta):
    """The Lanczos matrices (T, m, m) of diagonals alpha (T, m) and beta (T, m - 1)."""
    T, m = alpha.shape
    out = np.zeros((T, m, m))
    i = np.arange(m)
    out[:, i, i] = alpha
    out[:, i[:-1], i[1:]] = beta
    out[:, i[1:], i[:-1]] = beta
    return out


def spectrum_band(J, k: int = 3, band_tol: float = 1e-3, tol: float = 1e-12):
    """(S (T, k+1): σ1..σk then the band's lower edge, (U, V) the top singular pair per step)
    of the step Jacobians J (a `StepOperator`, or formed (T, n, n)); the lower edge is σ_min
    to within band_tol σ1 (module docstring).

    Every step takes the Lanczos route (all of them together, through the operator's
    products); a step whose bound b = min(row / column norm bound, √θ_min) is at most
    band_tol σ1 is then settled, σ_min ∈ [0, b]. The others, and a step Lanczos does not
    settle, take the exact route for their singular values (`gram_singular_values` of the
    formed J<t>, two threads)."""
    op = J if isinstance(J, StepOperator) else StepOperator.of_matrices(J)
    T, n = len(op), op.n_s
    k = min(k, n)
    theta, V, theta_min, ok = lanczos_top(op, k, tol)
    S = np.empty((T, k + 1))
    S[:, :k] = np.sqrt(np.clip(theta, 0.0, None))
    S[:, k] = np.minimum(op.sigma_min_bound(), np.sqrt(np.maximum(theta_min, 0.0)))
    exact = np.flatnonzero(~(ok & (S[:, k] <= band_tol * S[:, 0])))
    if len(exact):
        Jx = op.take(exact).dense()
        every = in_halves(gram_singular_values, Jx)
        S[exact, :k] = every[:, :k]
        S[exact, k] = every[:, -1]
        for i in np.flatnonzero(~ok[exact]):            # no Lanczos pair: the Gram's own
            V[exact[i]] = np.linalg.eigh(Jx[i].T @ Jx[i])[1][:, -1]
    U = op.mv(V)
    U /= np.maximum(np.linalg.norm(U, axis=1, keepdims=True), 1e-300)
    return S, (U, V)


def gram_singular_values(J):
    """σ (T, n) of J (T, n, n), largest first, from the Gram matrices:
    σ_k(J<t>) = √λ_k(J<t>ᵀ J<t>) (one batched GEMM and `eigvalsh`)."""
    G = np.swapaxes(J, 1, 2) @ J                         # J<t>ᵀ J<t>, symmetric
    return np.sqrt(np.clip(np.linalg.eigvalsh(G)[:, ::-1], 0.0, None))


def singular_values_and_top_pair(J):
    """(σ (T, n) largest first, (u, v) the top singular pair per step) of J (T, n, n), from
    the Gram matrices JᵀJ:

        σ_k(J<t>) = √λ_k(J<t>ᵀ J<t>)          (one batched GEMM and `eigvalsh`)
        v<t> = top eigenvector of J<t>ᵀ J<t>   (`lanczos_top`, k = 1: its residual below
                                                1e-12 λ_max, so v is exact to that over the
                                                gap λ1 − λ2; `eigh` where it does not settle)
        u<t> = J<t> v<t> / ‖J<t> v<t>‖

    For the n_s = 512 LSTM LM this is about 3× faster than `np.linalg.svd`. The price: a
    singular value is exact to about √eps σ_max ≈ 1e-8 σ_max in absolute terms, so a σ_min
    below that shows as about 1e-8 σ_max rather than its true tiny value (σ_max and the large
    values are exact to eps, relative)."""
    S = gram_singular_values(J)
    _, V, _, ok = lanczos_top(J, 1)
    for t in np.flatnonzero(~ok):
        V[t] = np.linalg.eigh(J[t].T @ J[t])[1][:, -1]
    U = np.einsum("tij,tj->ti", J, V)
    U /= np.maximum(np.linalg.norm(U, axis=1, keepdims=True), 1e-300)
    return S, (U, V)


def by_halves(J, min_steps=8):
    """`singular_values_and_top_pair` in two threads (`in_halves`)."""
    return in_halves(singular_values_and_top_pair, J, min_steps)


def in_halves(fn, J, min_steps=8):
    """fn(J) computed as fn on the two halves of the steps in two threads (LAPACK and BLAS
    release the GIL, and the app runs one BLAS thread per call): on two free cores about half
    the time. The halves' results (arrays, or tuples of them) are joined along the steps."""
    if len(J) < min_steps:
        return fn(J)
    half = len(J) // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(fn, (J[:half], J[half:]))
    return _join(first, second)


def _join(a, b):
    if isinstance(a, tuple):
        return tuple(_join(x, y) for x, y in zip(a, b, strict=True))
    return np.concatenate([a, b])
