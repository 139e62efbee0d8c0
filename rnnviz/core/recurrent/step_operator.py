"""The step Jacobians J<t> = ∂s<t>/∂s<t-1> of a tape as products, every step at once.

A spectrum that needs only σ1..σk of each J<t> (Lanczos) touches J<t> through J<t> x and
J<t>ᵀ y alone. A cell whose J<t> is diagonal factors times its recurrent weights,

    RNN   J<t> = diag(g'(z<t>)) W_aa
    LSTM  J<t> = [[diag(v_o) W_o + diag(κ) D<t>, diag(κ Γf)], [D<t>, diag(Γf)]]   (lstm.py)

computes those products for every step in one GEMM against the weights, without forming the
T_x matrices of n_s² numbers: `StepOperator` holds the per-step factors (T, ·) and the rules
that apply them. A cell without such rules gets its formed Jacobians (`StepOperator.formed`).

A bound for free (used by `rnnviz.dynamics.spectra`): every column and row norm of J<t> is
at least σ_min(J<t>), and so is anything at least as large as one of them. `sigma_min_bound()`
is the least of whichever a cell has cheaply: every row and column norm (formed, RNN), some
of them (LSTM), upper bounds of the row norms (GRU). A saturated unit or a closed gate makes
one of them tiny, and with it the bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache

import numpy as np


@dataclass(frozen=True)
class StepOperator:
    """J<t> for the steps `steps` of a tape (T of them), as products:

        mv(X)[i]  = J<steps[i]> X[i]        X (T, n_s)
        rmv(Y)[i] = J<steps[i]>ᵀ Y[i]       Y (T, n_s)

    `f`: the per-step factors the rules read, (T, ·) each; `take(idx)` keeps some steps.
    `dense()`: the same steps' J<t> (T, n_s, n_s), formed (the exact route of a spectrum)."""

    f: dict
    mv_rule: Callable            # (f, X) -> (T, n_s)
    rmv_rule: Callable           # (f, Y) -> (T, n_s)
    bound_rule: Callable         # f -> (T,): σ_min(J<t>) ≤ bound
    formed: Callable             # () -> (T_all, n_s, n_s), every step of the tape
    steps: np.ndarray            # which of `formed`'s steps these are
    n_s: int

    def __len__(self) -> int:
        return len(self.steps)

    def mv(self, X: np.ndarray) -> np.ndarray:
        return self.mv_rule(self.f, X)

    def rmv(self, Y: np.ndarray) -> np.ndarray:
        return self.rmv_rule(self.f, Y)

    def sigma_min_bound(self) -> np.ndarray:
        """(T,) b with σ_min(J<t>) ≤ b[t], from row and column norms (module docstring)."""
        return self.bound_rule(self.f)

    def finite(self) -> np.ndarray:
        """(T,) True where every factor of the step is finite (the state did not overflow)."""
        ok = np.ones(len(self), dtype=bool)
        for v in self.f.values():
            ok &= np.isfinite(v).all(axis=tuple(range(1, v.ndim)))
        return ok

    def take(self, idx) -> StepOperator:
        idx = np.asarray(idx)
        return replace(self, f={k: v[idx] for k, v in self.f.items()}, steps=self.steps[idx])

    def dense(self) -> np.ndarray:
        return self.formed()[self.steps]

    @classmethod
    def of_matrices(cls, J: np.ndarray) -> StepOperator:
        """The operator of formed Jacobians J (T, n_s, n_s): J<t> x one GEMV a step."""
        J = np.asarray(J)
        return cls(f={"J": J}, mv_rule=_dense_mv, rmv_rule=_dense_rmv,
                   bound_rule=_dense_bound, formed=lambda: J, steps=np.arange(len(J)),
                   n_s=J.shape[2])

    @classmethod
    def matrix_free(cls, f: dict, mv_rule, rmv_rule, bound_rule, form, n_s: int):
        """The operator of a cell's rules; `form()` forms every step's J<t> (once, on demand:
        only a step no bound settles needs it)."""
        T = len(next(iter(f.values())))
        return cls(f=f, mv_rule=mv_rule, rmv_rule=rmv_rule, bound_rule=bound_rule,
                   formed=cache(form), steps=np.arange(T), n_s=n_s)


def _dense_mv(f, X):
    return np.matmul(f["J"], X[..., None])[..., 0]


def _dense_rmv(f, Y):
    return np.matmul(Y[:, None, :], f["J"])[:, 0]


def _dense_bound(f):
    J = f["J"]
    return least_norm(np.einsum("tij,tij->tj", J, J), np.einsum("tij,tij->ti", J, J))


def least_norm(*squared_norms) -> np.ndarray:
    """(T,) the least norm of each step, from squared norms (T, ·) of rows or columns."""
    lo = np.min([s.min(axis=1) for s in squared_norms], axis=0)
    return np.sqrt(np.maximum(lo, 0.0))
