"""The fast Jacobian products (Cell.jacobian_pullback, analysis.state_jacobian_norms) against
the explicit step Jacobians multiplied out one by one, the way they were computed before.

Finite differences for the same norms: tests/core/test_analysis.py.
"""

import numpy as np
import pytest

from rnnviz.core import analysis as A
from rnnviz.core.model import Model, RNNConfig

from .cases import VARIANT_CELLS, VARIANT_IDS, make_model


def explicit_norms(model, trace, example=0):
    """||∂a<T_x>/∂a<t>||_F from the full (n_s, n_s) step Jacobians, multiplied in float64."""
    d = model.config.directions[0]
    J = model.cell.step_jacobians(model.cell_params(d, model.config.layers),
                                  trace.tapes[d])[:, example]
    n = model.config.n_a
    out, prod = np.empty(J.shape[0]), np.eye(J.shape[1])
    for i in range(J.shape[0] - 1, -1, -1):
        out[i] = np.linalg.norm(prod[:n, :n])
        prod = prod @ J[i]
    return out


def pullback_and_jacobians(cell, activation, variant, dtype, n_a=5, T=6, m=2):
    model = make_model(cell, activation, n_x=3, n_a=n_a, variant=variant)
    trace = model.forward(np.random.default_rng(40).standard_normal((3, m, T)))
    d = model.config.directions[0]
    params = model.cell_params(d, 1)
    J = model.cell.step_jacobians(params, trace.tapes[d])
    pulls = [model.cell.jacobian_pullback(params, trace.tapes[d], e, dtype) for e in range(m)]
    return J, pulls


@pytest.mark.parametrize(("cell", "activation", "variant"), VARIANT_CELLS, ids=VARIANT_IDS)
def test_pullback_is_rows_times_the_step_jacobian(cell, activation, variant):
    J, pulls = pullback_and_jacobians(cell, activation, variant, np.float64)
    rng = np.random.default_rng(41)
    n_s = J.shape[-1]
    for example, pull in enumerate(pulls):
        for i in range(J.shape[0]):
            R = rng.standard_normal((3, n_s))           # any rows, not only the identity
            np.testing.assert_allclose(pull(R, i), R @ J[i, example], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("cell", "activation", "variant"), VARIANT_CELLS, ids=VARIANT_IDS)
def test_pullback_in_float32_stays_close(cell, activation, variant):
    J, pulls = pullback_and_jacobians(cell, activation, variant, np.float32)
    R = np.random.default_rng(42).standard_normal((4, J.shape[-1])).astype(np.float32)
    out = pulls[1](R, 2)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, R.astype(np.float64) @ J[2, 1], rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize(("cell", "activation", "variant"), VARIANT_CELLS, ids=VARIANT_IDS)
def test_norms_equal_the_explicit_product(cell, activation, variant):
    model = make_model(cell, activation, n_x=3, n_a=6, variant=variant, std=0.5)
    x = np.random.default_rng(43).standard_normal((3, 2, 40))
    trace = model.forward(x)
    for example in (0, 1):
        ref = explicit_norms(model, trace, example)
        assert ref.min() < 1e-3 * ref.max()              # a curve with some range to it
        np.testing.assert_allclose(A.state_jacobian_norms(model, trace, example), ref,
                                   rtol=1e-10)
        np.testing.assert_allclose(A.state_jacobian_norms(model, trace, example,
                                                          dtype=np.float32), ref, rtol=1e-4)


@pytest.mark.parametrize(("rho", "low", "high"), [(0.2, 0, 1e-60), (2.5, 1e40, np.inf)])
def test_float32_products_neither_underflow_nor_overflow(rho, low, high):
    """Norms far outside float32's range (~1e-38 .. 3e38) come out right in float32: the rows
    are rescaled every step and the scale is kept apart in float64."""
    cfg = RNNConfig(cell="rnn", n_x=4, n_a=8, n_y=4, activation="relu", dtype="float64")
    model = Model.init(cfg, rng=np.random.default_rng(44))
    # positive W_aa and b_a: every ReLU unit stays on, and ∂a<t>/∂a<t-1> = W_aa of radius ρ
    W = np.random.default_rng(44).random((8, 8))
    model.params["Waa"][:] = rho * W / np.abs(np.linalg.eigvals(W)).max()
    model.params["ba"][:] = 50.0
    x = np.random.default_rng(45).standard_normal((4, 1, 120))
    trace = model.forward(x)
    ref = explicit_norms(model, trace)
    assert low < ref[0] < high
    np.testing.assert_allclose(A.state_jacobian_norms(model, trace, dtype=np.float32), ref,
                               rtol=1e-4)


def test_a_cut_path_gives_zeros_and_a_nan_gives_nans():
    model = make_model("rnn", "relu", n_x=3, n_a=4)
    x = np.random.default_rng(46).standard_normal((3, 1, 6))
    model.params["ba"][:] = -100.0                        # every ReLU unit off: g' = 0
    norms = A.state_jacobian_norms(model, model.forward(x))
    np.testing.assert_array_equal(norms, [0, 0, 0, 0, 0, 2.0])
    np.testing.assert_array_equal(norms, explicit_norms(model, model.forward(x)))
    model = make_model("lstm", n_x=3, n_a=4)
    trace = model.forward(x)
    trace.tapes[""].G[2, 0, 0] = np.nan                   # Γo of unit 1 at t = 3
    norms = A.state_jacobian_norms(model, trace)
    assert np.isnan(norms[:2]).all() and np.isfinite(norms[2:]).all()
