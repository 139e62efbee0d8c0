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
  - The lower edge, σ_min to within `band_tol` σ1: σ_min ≤ ‖J e_i‖ and ‖e_iᵀ J‖ for every i
    (the smallest column and row norm) and σ_min² ≤ θ_min (the smallest Ritz value); when the
    least of these, b, is at most `band_tol` σ1, σ_min ∈ [0, b] and b is drawn. A saturated
    unit (tanh' ≈ 0) or a closed forget gate makes a row or column tiny: every step of the
    shipped LSTM LM, nearly every step of the RNN LM. Any other step (every step of the GRU
    LM) takes the exact route above.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def lanczos_top(J: np.ndarray, k: int, tol: float = 1e-12, max_m: int = 96, seed: int = 0):
    """(θ (k,) the largest eigenvalues of JᵀJ, largest first; v (n,) the top eigenvector;
    θ_min the smallest Ritz value, an upper bound on λ_min(JᵀJ)) of J (n, n), by Lanczos from a
    fixed random start (`seed`: the result depends on J alone). None when the k values have
    not met `tol` after `max_m` products (the caller then solves that step exactly)."""
    n = J.shape[1]
    k = min(k, n)
    Q = np.empty((n + 1, n))
    q = np.random.default_rng(seed).standard_normal(n)
    Q[0] = q / math.sqrt(q @ q)
    alpha, beta = np.empty(n), np.empty(n)
    for j in range(min(n, max_m)):
        w = J.T @ (J @ Q[j])                           # G q_j
        alpha[j] = Q[j] @ w
        Qj = Q[:j + 1]
        w -= Qj.T @ (Qj @ w)                           # full reorthogonalisation, twice
        w -= Qj.T @ (Qj @ w)
        beta[j] = b = math.sqrt(w @ w)
        m = j + 1
        if (m >= max(k, 12) and m % 4 == 0) or m == n or b == 0.0:   # every 4th from 12
            T = np.diag(alpha[:m]) + np.diag(beta[:m - 1], 1) + np.diag(beta[:m - 1], -1)
            theta, S = np.linalg.eigh(T)               # ascending
            top = theta[-1]
            bounds = b * np.abs(S[-1, -k:])            # |λ − θ_i| ≤ β_m |s_{m,i}|
            if m == n or b == 0.0 or top <= 0.0 or np.all(bounds <= tol * top):
                v = Qj.T @ S[:, -1]
                return theta[::-1][:k], v / math.sqrt(v @ v), theta[0]
        Q[m] = w / b
    return None


def norm_bounds(J: np.ndarray) -> tuple[float, float]:
    """(b, c): b = min over i of ‖J e_i‖ and ‖e_iᵀ J‖, an upper bound on σ_min(J); c = the
    largest of those norms, a lower bound on σ_max(J)."""
    cols = np.einsum("ij,ij->j", J, J)
    rows = np.einsum("ij,ij->i", J, J)
    return (math.sqrt(max(min(cols.min(), rows.min()), 0.0)),
            math.sqrt(max(cols.max(), rows.max())))


def spectrum_band(J: np.ndarray, k: int = 3, band_tol: float = 1e-3, tol: float = 1e-12):
    """(S (T, k+1): σ1..σk then the band's lower edge, (U, V) the top singular pair per step)
    of J (T, n, n); the lower edge is σ_min to within band_tol σ1 (module docstring).

    A step whose smallest row or column norm b is at most band_tol times its largest (so at
    most band_tol σ1) takes the Lanczos route; the others, and a step Lanczos does not settle,
    the exact one (`singular_values_and_top_pair`, two threads)."""
    T, n = J.shape[0], J.shape[2]
    k = min(k, n)
    S = np.empty((T, k + 1))
    V = np.empty((T, n))
    exact = []
    for t in range(T):
        b, c = norm_bounds(J[t])
        found = lanczos_top(J[t], k, tol) if b <= band_tol * c else None
        if found is None:
            exact.append(t)
            continue
        theta, V[t], theta_min = found
        S[t, :k] = np.sqrt(np.clip(theta, 0.0, None))
        S[t, k] = min(b, math.sqrt(max(theta_min, 0.0)))       # σ_min ∈ [0, S[t, k]]
    if exact:
        every, (_, V[exact]) = by_halves(J[exact])
        S[exact, :k] = every[:, :k]
        S[exact, k] = every[:, -1]
    U = np.einsum("tij,tj->ti", J, V)
    U /= np.maximum(np.linalg.norm(U, axis=1, keepdims=True), 1e-300)
    return S, (U, V)


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
    G = np.swapaxes(J, 1, 2) @ J                         # J<t>ᵀ J<t>, symmetric
    lam = np.linalg.eigvalsh(G)[:, ::-1]                 # largest first
    S = np.sqrt(np.clip(lam, 0.0, None))
    V = np.empty(J.shape[::2])
    for t in range(len(J)):
        found = lanczos_top(J[t], 1)
        V[t] = found[1] if found is not None else np.linalg.eigh(G[t])[1][:, -1]
    U = np.einsum("tij,tj->ti", J, V)
    U /= np.maximum(np.linalg.norm(U, axis=1, keepdims=True), 1e-300)
    return S, (U, V)


def by_halves(J, min_steps=8):
    """`singular_values_and_top_pair` on the two halves of the steps in two threads (LAPACK
    and BLAS release the GIL, and the app runs one BLAS thread per call): on two free cores
    about half the time. The halves are joined along the steps."""
    if len(J) < min_steps:
        return singular_values_and_top_pair(J)
    half = len(J) // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(singular_values_and_top_pair, (J[:half], J[half:]))
    S = np.concatenate([first[0], second[0]])
    pair = tuple(np.concatenate([a, b]) for a, b in zip(first[1], second[1], strict=True))
    return S, pair
