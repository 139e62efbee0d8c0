"""Extreme inputs: stable activations, huge weights, and the `nonfinite` flags of a trace."""

import warnings
from contextlib import contextmanager

import numpy as np
import pytest

from rnnviz import (
    InitConfig,
    Model,
    RNNConfig,
    clip_by_global_norm,
    global_norm,
    log_softmax,
    sigmoid,
    softmax,
)
from rnnviz.core.functional import scaled_norm

from .cases import (
    CELL_IDS,
    CELLS,
    COURSE_CELLS,
    cell_backward_loop,
    cell_loop,
    course_parameters,
    make_model,
    make_targets,
    seq_backward,
    seq_forward,
)

DTYPES = [np.float32, np.float64]


@contextmanager
def no_floating_point_trouble():
    """Any overflow / invalid / divide-by-zero or any warning at all fails the test."""
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        yield


# ---------------------------------------------------------------------------------------------
# activations


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_sigmoid_saturates_without_overflow(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 88.0]], dtype=dtype)
    with no_floating_point_trouble():
        s = sigmoid(z)
    assert s.dtype == dtype
    np.testing.assert_array_equal(s, np.array([[1, 0, 0.5], [0, 1, 1]], dtype=dtype))
    np.testing.assert_array_equal(z, np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 88.0]], dtype))


def test_sigmoid_values():
    z = np.linspace(-30, 30, 121)
    expected = 1 / (1 + np.exp(-z))
    # (1 + tanh(z/2)) / 2 is accurate to ~1e-16 absolute everywhere
    np.testing.assert_allclose(sigmoid(z), expected, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(sigmoid(z) + sigmoid(-z), 1.0, rtol=1e-15)


def test_sigmoid_of_a_scalar():
    assert sigmoid(0.0) == 0.5
    assert sigmoid(-1e4) == 0.0
    s32 = sigmoid(np.float32(1e4))
    assert s32 == 1 and s32.dtype == np.float32


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_softmax_and_log_softmax_on_huge_scores(dtype):
    z = np.array([[1e4, -1e4, 1e4], [-1e4, 1e4, 1e4], [0.0, 0.0, -1e4]], dtype=dtype)
    with no_floating_point_trouble():
        p = softmax(z)
        lp = log_softmax(z)
        p_rows = softmax(z.T, axis=-1)
    assert p.dtype == dtype and lp.dtype == dtype
    np.testing.assert_array_equal(p, np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 0]], dtype))
    np.testing.assert_array_equal(p_rows, p.T)
    np.testing.assert_allclose(lp, np.array([[0, -2e4, -np.log(2)],
                                             [-2e4, 0, -np.log(2)],
                                             [-1e4, -1e4, -2e4 - np.log(2)]]), rtol=1e-6)
    assert np.all(np.isfinite(lp))


def test_softmax_values():
    z = np.random.default_rng(0).standard_normal((5, 3, 4))
    expected = np.exp(z) / np.exp(z).sum(axis=0)
    np.testing.assert_allclose(softmax(z), expected, rtol=1e-14)
    np.testing.assert_allclose(log_softmax(z), np.log(expected), rtol=1e-13, atol=1e-15)
    # invariant to adding a constant per column
    np.testing.assert_allclose(softmax(z + 1e3), softmax(z), rtol=1e-12)


def test_scaled_norm():
    v = np.random.default_rng(9).standard_normal((4, 3, 5))
    assert scaled_norm(v) == pytest.approx(np.linalg.norm(v.ravel()), rel=1e-14)
    np.testing.assert_allclose(scaled_norm(v.reshape(4, -1), axis=1),
                               np.linalg.norm(v.reshape(4, -1), axis=1), rtol=1e-14)
    with no_floating_point_trouble():
        assert scaled_norm([1e200, -1e200]) == pytest.approx(np.sqrt(2) * 1e200, rel=1e-14)
        assert scaled_norm([1e-200, 1e-200]) == pytest.approx(np.sqrt(2) * 1e-200, rel=1e-14)
        f32 = np.full(3, np.finfo(np.float32).max, dtype=np.float32)
        assert scaled_norm(f32) == pytest.approx(np.sqrt(3) * 3.4028234663852886e38, rel=1e-7)
        assert scaled_norm(np.zeros(3)) == 0.0
        assert scaled_norm(np.zeros(0)) == 0.0
        assert scaled_norm([1.0, np.inf]) == np.inf
        assert scaled_norm([-np.inf, 1.0]) == np.inf
        rows = scaled_norm(np.array([[3.0, 4.0], [0.0, 0.0], [np.inf, 1.0]]), axis=1)
    np.testing.assert_array_equal(rows, [5.0, 0.0, np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(scaled_norm([1.0, np.nan]))


# ---------------------------------------------------------------------------------------------
# huge weights and inputs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_huge_weights_and_inputs_run_without_warnings(cell, activation, bidirectional, dtype):
    base = make_model(cell, activation, bidirectional, dtype=dtype)
    model = Model(base.config, {k: 1e3 * v for k, v in base.params.items()})
    rng = np.random.default_rng(5)
    x = 1e4 * rng.standard_normal((3, 2, 6))
    y = make_targets(model, 2, 6, rng)
    with no_floating_point_trouble():
        trace = model.forward(x)
        loss, grads, btrace = model.backward(trace, y)
        grad_norm = btrace.grad_norm
        norm = global_norm(grads)
        clipped, _ = clip_by_global_norm(grads, 1.0)
        frame = trace.to_dataframe()
    assert not trace.nonfinite.any()
    assert np.isfinite(loss) and loss >= 0
    assert all(np.all(np.isfinite(g)) for g in grads.values())
    assert np.all(np.isfinite(grad_norm)) and np.isfinite(norm)
    assert global_norm(clipped) == pytest.approx(1.0, rel=1e-6)
    assert np.isfinite(frame["value"]).all()
    if activation == "tanh":            # bounded states, saturated gates
        assert np.abs(trace["a"]).max() <= 1
        for k in trace.keys():
            if k.startswith("gamma_"):
                g = trace[k]
                assert np.all((g >= 0) & (g <= 1))
                assert np.mean((g == 0) | (g == 1)) > 0.9, k
    np.testing.assert_allclose(trace["y_hat"].sum(axis=0), 1, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("cell", COURSE_CELLS)
def test_course_api_with_huge_weights_and_inputs(cell, dtype):
    rng = np.random.default_rng(7)
    p = {k: 1e3 * v for k, v in course_parameters(cell, rng, 3, 4, 2, dtype=dtype).items()}
    x = (1e4 * rng.standard_normal((3, 2, 6))).astype(dtype)
    a0 = np.zeros((4, 2), dtype)
    with no_floating_point_trouble():
        a, y, _, caches = seq_forward(cell, x, a0, p)
        g = seq_backward(cell, np.ones_like(a), caches)
        a_loop, y_loop, cell_caches = cell_loop(cell, x, a0, p)
        g_loop = cell_backward_loop(cell, np.ones_like(a), cell_caches)
    assert a.dtype == dtype and np.abs(a).max() <= 1
    np.testing.assert_allclose(a, a_loop, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(y.sum(axis=0), 1, rtol=1e-6)
    for k, v in g.items():
        assert np.all(np.isfinite(v)), k
        np.testing.assert_allclose(v, g_loop[k], rtol=1e-4, atol=1e-6 * np.abs(v).max(),
                                   err_msg=k)


# ---------------------------------------------------------------------------------------------
# nonfinite flags


def reference_relu_flags(model, x, dtype=np.float32):
    """Naive loop of the same ReLU RNN: (any inf/NaN among z, a, z_y, ŷ at step t, max |value|
    at step t)."""
    p = {k: v.astype(dtype) for k, v in model.params.items()}
    a = np.zeros((model.config.n_a, x.shape[1]), dtype)
    flags, peaks = [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(x.shape[2]):
            z = p["Waa"] @ a + p["Wax"] @ x[:, :, t].astype(dtype) + p["ba"]
            a = np.maximum(z, 0)
            z_y = p["Wy"] @ a + p["by"]
            y = np.exp(z_y - z_y.max(axis=0)) / np.exp(z_y - z_y.max(axis=0)).sum(axis=0)
            flags.append(not all(np.isfinite(v).all() for v in (z, a, z_y, y)))
            peaks.append(np.abs(np.concatenate([z, a, z_y])).max())
    return np.array(flags), np.array(peaks)


def test_nonfinite_flags_exploding_relu_rnn():
    """ReLU RNN with spectral radius 50 in float32: values grow ~50x per step and overflow."""
    cfg = RNNConfig(cell="rnn", n_x=3, n_a=8, n_y=3, activation="relu", dtype="float32")
    model = Model.init(cfg, rng=np.random.default_rng(0), init=InitConfig(spectral_radius=50.0))
    x = np.abs(np.random.default_rng(1).standard_normal((3, 1, 300)))
    with no_floating_point_trouble():
        trace = model.forward(x)
        flags = trace.nonfinite
    expected, peaks = reference_relu_flags(model, x)
    first = int(np.argmax(expected))
    assert 5 < first < 100
    # clear of the float32 limit on both sides, so rounding cannot move the boundary
    f32_max = float(np.finfo(np.float32).max)
    _, exact_peaks = reference_relu_flags(model, x[:, :, :first + 1], np.float64)
    assert 1e30 < peaks[first - 1] < f32_max / 2
    assert exact_peaks[first] > 2 * f32_max
    assert flags.dtype == bool and flags.shape == (300,)
    assert not flags[:first].any()
    assert flags[first:].all()
    np.testing.assert_array_equal(flags, expected)
    # the same weights in float64 stay finite for those steps
    m64 = Model(RNNConfig(**{**cfg.__dict__, "dtype": "float64"}), model.params)
    assert not m64.forward(x[:, :, :first + 2]).nonfinite.any()


@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_nonfinite_flags_an_infinite_input_at_its_step_only(cell, activation):
    """x<3> = +inf in one unit: z<3> = ±inf, but tanh and σ saturate to finite gate values and
    states, so only step 3 is flagged (ReLU passes the inf on: every step from 3)."""
    x = np.random.default_rng(8).standard_normal((3, 2, 6))
    x[0, 1, 2] = np.inf
    model = make_model(cell, activation)
    with no_floating_point_trouble():
        trace = model.forward(x)
        flags = trace.nonfinite
    pre = [k for k in trace.keys() if k.startswith("z_") and k != "z_y"]
    assert all(np.isinf(trace[k][:, 1, 2]).any() for k in pre)
    if activation == "relu":
        np.testing.assert_array_equal(flags, [False, False, True, True, True, True])
    else:
        np.testing.assert_array_equal(flags, [False, False, True, False, False, False])
        assert np.isfinite(trace["a"]).all() and np.isfinite(trace["y_hat"]).all()


@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_nonfinite_flags_follow_a_nan_input(cell, activation):
    """NaN in x<3>: steps 1-2 clean, every step from 3 on flagged; bidirectional: a←<t> for
    t <= 3 reads x<3>, and ŷ<t> reads a←<t>, so every step is flagged."""
    x = np.random.default_rng(6).standard_normal((3, 2, 6))
    x[1, 0, 2] = np.nan
    uni = make_model(cell, activation).forward(x)
    np.testing.assert_array_equal(uni.nonfinite, [False, False, True, True, True, True])
    assert np.isnan(uni["a"][:, 0, 2:]).all()
    assert np.isfinite(uni["a"][:, 1, :]).all()          # the other example is untouched
    bi = make_model(cell, activation, bidirectional=True).forward(x)
    assert bi.nonfinite.all()
    assert np.isfinite(bi["a_fwd"][:, 0, :2]).all() and np.isfinite(bi["a_bwd"][:, 0, 3:]).all()


def exploding_float64_gradients():
    """ReLU RNN, spectral radius 50, float64, 120 steps, one upstream gradient at T_x: every
    value stays finite, ∂L/∂a<t> grows ~50x per step back in time, to ~1e200 (norm² > 1e308)."""
    cfg = RNNConfig(cell="rnn", n_x=3, n_a=8, n_y=3, activation="relu")
    model = Model.init(cfg, rng=np.random.default_rng(0), init=InitConfig(spectral_radius=50.0))
    x = np.abs(np.random.default_rng(1).standard_normal((3, 1, 120)))
    trace = model.forward(x)
    dZy = np.zeros((120, 1, 3))
    dZy[-1, 0, 0] = 1.0
    _, grads, btrace = model.backward(trace, dZy=dZy)
    assert not trace.nonfinite.any()
    assert all(np.isfinite(g).all() for g in grads.values()) and np.isfinite(btrace["da"]).all()
    assert np.abs(btrace["da"]).max() > 1e160
    return grads, btrace


def reference_norm(v):
    """||v|| without overflow: max|v| * ||v / max|v|||."""
    s = np.abs(v).max()
    return 0.0 if s == 0 else float(s * np.sqrt(np.sum((v / s) ** 2)))


def test_grad_norm_of_exploding_but_finite_gradients():
    """Squaring ∂L/∂a<t> ~ 1e200 overflows float64: the norm must be computed scaled."""
    _, btrace = exploding_float64_gradients()
    with no_floating_point_trouble():
        grad_norm = btrace.grad_norm
    expected = [reference_norm(btrace["da"][:, :, t]) for t in range(120)]
    np.testing.assert_allclose(grad_norm, expected, rtol=1e-12)


def test_clip_by_global_norm_of_exploding_but_finite_gradients():
    """A finite global norm above ~1.3e154 must not overflow to inf (and then skip clipping)."""
    grads, _ = exploding_float64_gradients()
    expected = reference_norm(np.concatenate([g.ravel() for g in grads.values()]))
    assert np.isfinite(expected)
    with no_floating_point_trouble():
        norm = global_norm(grads)
        clipped, before = clip_by_global_norm(grads, 5.0)
    assert norm == pytest.approx(expected, rel=1e-12)
    assert before == pytest.approx(expected, rel=1e-12)
    assert reference_norm(np.concatenate([g.ravel() for g in clipped.values()])) == pytest.approx(
        5.0, rel=1e-12)
