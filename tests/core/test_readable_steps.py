"""One readable step per cell (rnnviz.core.cells) and the fused loops: the same numbers.

And the Cell contract is small: a minimal GRU (minGRU, Feng et al. 2024) written here from
`step`, `gates` and `tape_from_caches` alone runs through the readable path."""

from dataclasses import dataclass

import numpy as np
import pytest

from rnnviz.core.cells import gru_step, keep, lstm_step, rnn_step
from rnnviz.core.functional import sigmoid
from rnnviz.core.model import Model, RNNConfig
from rnnviz.core.recurrent.base import Cell, Gate, rows

VARIANTS = [("rnn", "course", "tanh"), ("rnn", "course", "relu"), ("gru", "course", "tanh"),
            ("gru", "torch", "tanh"), ("lstm", "course", "tanh")]


def setup(cell, variant, activation, dtype="float64", seed=0):
    cfg = RNNConfig(cell=cell, variant=variant, activation=activation, n_x=5, n_a=4, n_y=3,
                    dtype=dtype)
    model = Model.init(cfg, np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    X = rows(rng.normal(size=(5, 3, 7)), np.dtype(dtype))
    state = tuple(rng.normal(size=(3, 4)).astype(dtype) for _ in model.cell.state)
    return model, X, state


@pytest.mark.parametrize("cell,variant,activation", VARIANTS)
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-13), ("float32", 2e-6)])
def test_the_fused_loop_equals_the_readable_step(cell, variant, activation, dtype, tol):
    model, X, state = setup(cell, variant, activation, dtype)
    p = model.cell_params()
    fused = model.cell.forward(model.cell.pack(p), X, state)
    readable = model.cell.forward_readable(p, X, state)
    a, b = model.cell.named_rows(fused), model.cell.named_rows(readable)
    assert set(a) == set(b)
    for k in a:
        np.testing.assert_allclose(b[k], a[k], atol=tol, rtol=0, err_msg=k)


@pytest.mark.parametrize("cell,variant,activation", VARIANTS)
def test_bptt_on_the_readable_tape_equals_bptt_on_the_fused_one(cell, variant, activation):
    model, X, state = setup(cell, variant, activation)
    p = model.cell_params()
    dA = np.random.default_rng(5).normal(size=(7, 3, 4))
    g1 = model.cell.backward(model.cell.forward(model.cell.pack(p), X, state), dA)
    g2 = model.cell.backward(model.cell.forward_readable(p, X, state), dA)
    for k in ("dW", "db", "dX"):
        np.testing.assert_allclose(g2[k], g1[k], atol=1e-12, err_msg=k)


def test_the_edit_hook_changes_the_later_equations_of_the_same_step():
    rng = np.random.default_rng(0)
    p = {k: rng.normal(size=(3, 5)) for k in ("Wf", "Wi", "Wc", "Wo")}
    p.update({k: rng.normal(size=(3, 1)) for k in ("bf", "bi", "bc", "bo")})
    x, a, c = rng.normal(size=(2, 2)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2))

    def forget_nothing(name, v):
        return np.ones_like(v) if name == "gamma_f" else (np.zeros_like(v)
                                                           if name == "gamma_u" else v)

    _, c_next, cache = lstm_step(x, a, c, p, forget_nothing)
    np.testing.assert_array_equal(c_next, c)                    # Γf = 1, Γu = 0: c<t> = c<t-1>
    np.testing.assert_array_equal(cache.ft, 1.0)
    a2, c2, _ = lstm_step(x, a, c, p, keep)
    assert not np.allclose(c2, c)
    seen = []
    rnn_step(x, a, {"Waa": p["Wf"][:, :3], "Wax": p["Wf"][:, 3:], "ba": p["bf"]},
             lambda n, v: seen.append(n) or v)
    gru_step(x, a, {"Wu": p["Wf"], "Wr": p["Wi"], "Wc": p["Wc"], "bu": p["bf"], "br": p["bi"],
                    "bc": p["bc"]}, lambda n, v: seen.append(n) or v)
    assert seen == ["z_a", "a", "z_u", "gamma_u", "z_r", "gamma_r", "z_c", "c_tilde", "c", "a"]


# -- a new cell from the contract alone ---------------------------------------------------------


@dataclass
class MinGRUTape:
    X: np.ndarray
    Z: np.ndarray
    G: np.ndarray
    A: np.ndarray
    a0: np.ndarray


class MinGRU(Cell):
    """minGRU: the gates read x<t> only (no W_a), so the recurrence is a linear scan.

        Γu<t> = σ(W_u x<t> + b_u)
        c̃<t>  = W_c x<t> + b_c             (no tanh in minGRU: a linear candidate)
        a<t>  = Γu<t> * c̃<t> + (1 - Γu<t>) * a<t-1>
    """

    name = "mingru"
    gates = (Gate("gamma_u", "z_u", "u", "u", r"\Gamma_{{u,{j}}}", "sigmoid", "a"),
             Gate("c_tilde", "z_c", "c", "c", r"\tilde{{c}}_{{{j}}}", "identity", "a"))

    def param_shapes(self, n_a, n_x):
        return {"Wu": (n_a, n_x), "bu": (n_a, 1), "Wc": (n_a, n_x), "bc": (n_a, 1)}

    def step(self, params, xt, state, edit=keep):
        (a_prev,) = state
        u = edit("gamma_u", sigmoid(edit("z_u", params["Wu"] @ xt + params["bu"])))
        ct = edit("c_tilde", edit("z_c", params["Wc"] @ xt + params["bc"]))
        a = edit("a", u * ct + (1 - u) * a_prev)
        return (a,), (a, a_prev, u, ct, xt, params)

    def tape_from_caches(self, caches, dtype):
        def stack(i):
            return np.stack([c[i].T for c in caches]).astype(dtype)

        return MinGRUTape(X=stack(4), Z=None, G=np.concatenate([stack(2), stack(3)], axis=2),
                          A=stack(0), a0=np.ascontiguousarray(caches[0][1].T, dtype=dtype))


def mingru_params(rng, n_a=3, n_x=4):
    return {k: rng.normal(size=s) for k, s in MinGRU().param_shapes(n_a, n_x).items()}


def test_a_new_cell_runs_through_the_readable_path_and_equals_its_closed_form():
    rng = np.random.default_rng(7)
    p = mingru_params(rng)
    X = rng.normal(size=(6, 2, 4))
    a0 = rng.normal(size=(2, 3))
    tape = MinGRU().forward_readable(p, X, (a0,))
    # the linear scan by hand: a<t> = Π_{j<=t}(1-u_j) a<0> + Σ_k Π_{k<j<=t}(1-u_j) u_k c̃_k
    U = sigmoid(X @ p["Wu"].T + p["bu"][:, 0])
    Ct = X @ p["Wc"].T + p["bc"][:, 0]
    for t in range(6):
        keep_all = np.prod(1 - U[: t + 1], axis=0)
        want = keep_all * a0 + sum(np.prod(1 - U[k + 1: t + 1], axis=0) * U[k] * Ct[k]
                                   for k in range(t + 1))
        np.testing.assert_allclose(tape.A[t], want, atol=1e-12)
    named = MinGRU().named_rows(tape)
    np.testing.assert_allclose(named["z_u"], X @ p["Wu"].T + p["bu"][:, 0], atol=1e-12)


def test_a_new_cells_gradient_through_the_readable_path_matches_finite_differences():
    """∂(Σ w * a<T>)/∂W_u by the chain rule through the scan vs centred differences of the
    readable forward: the readable path is differentiable as written."""
    rng = np.random.default_rng(8)
    p = mingru_params(rng)
    X = rng.normal(size=(5, 1, 4))
    a0 = np.zeros((1, 3))
    w = rng.normal(size=3)

    def f(params):
        return float(MinGRU().forward_readable(params, X, (a0,)).A[-1, 0] @ w)

    tape = MinGRU().forward_readable(p, X, (a0,))
    U, Ct = tape.G[:, 0, :3], tape.G[:, 0, 3:]
    A_prev = np.concatenate([a0, tape.A[:-1, 0]])
    da, dWu = w.copy(), np.zeros_like(p["Wu"])
    for t in range(4, -1, -1):                 # BPTT of a<t> = u c̃ + (1 - u) a<t-1>
        dz = da * (Ct[t] - A_prev[t]) * U[t] * (1 - U[t])
        dWu += np.outer(dz, X[t, 0])
        da = da * (1 - U[t])
    eps = 1e-6
    for i, j in [(0, 0), (1, 2), (2, 3)]:
        hi, lo = {**p, "Wu": p["Wu"].copy()}, {**p, "Wu": p["Wu"].copy()}
        hi["Wu"][i, j] += eps
        lo["Wu"][i, j] -= eps
        np.testing.assert_allclose(dWu[i, j], (f(hi) - f(lo)) / (2 * eps), rtol=1e-6)
