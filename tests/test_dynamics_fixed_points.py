"""Fixed points (rnnviz.dynamics.fixed_points) on networks whose answer is known by hand."""

import numpy as np
import pytest

from rnnviz.core.model import Model, RNNConfig
from rnnviz.dynamics import fixed_points
from rnnviz.dynamics.fixed_points import StepMap, q_and_grad


def rnn(W, b, activation="tanh", n_x=1):
    n = W.shape[0]
    cfg = RNNConfig(cell="rnn", activation=activation, n_x=n_x, n_a=n, n_y=1,
                    head="many_to_one_sigmoid", dtype="float64")
    params = {"Waa": np.asarray(W, float), "Wax": np.zeros((n, n_x)),
              "ba": np.asarray(b, float).reshape(n, 1), "Wy": np.zeros((1, n)),
              "by": np.zeros((1, 1))}
    return Model(cfg, params)


def test_linear_rnn_fixed_point_and_eigenvalues_in_closed_form():
    """a<t> = relu(W a<t-1> + b) is linear where a > 0: a* = (I − W)⁻¹ b, eig J = eig W."""
    W = np.array([[0.5, 0.2], [-0.1, 0.3]])
    b = np.array([1.0, 0.5])
    model = rnn(W, b, activation="relu")
    a_star = np.linalg.solve(np.eye(2) - W, b)
    assert np.all(a_star > 0)
    res = fixed_points(model, n_init=8, states=np.abs(np.random.default_rng(0).normal(
        size=(20, 2))) + 0.5)
    assert len(res.points) == 1 and not res.slow
    p = res.points[0]
    np.testing.assert_allclose(p.s, a_star, atol=1e-6)
    np.testing.assert_allclose(np.sort_complex(p.eigvals), np.sort_complex(np.linalg.eigvals(W)),
                               atol=1e-12)
    assert p.stable and p.kind == "stable" and p.q < res.tol


def test_bistable_network_two_stable_points_and_one_saddle():
    """Unit 1: a = tanh(2a) has a = ±0.9575 (stable, slope 2(1 − a²) < 1) and 0 (slope 2);
    unit 2: a = tanh(a / 2) contracts to 0. So (±0.9575, 0) are stable, (0, 0) a saddle."""
    model = rnn(np.diag([2.0, 0.5]), [0.0, 0.0])
    a = 1.0
    for _ in range(200):
        a = np.tanh(2 * a)
    grid = np.array([[u, v] for u in np.linspace(-1, 1, 9) for v in (-0.5, 0.5)])
    res = fixed_points(model, n_init=40, states=grid, seed=3)
    assert res.counts() == {"stable": 2, "marginal": 0, "saddle": 1, "unstable": 0, "slow": 0}
    stable = sorted(p.s[0] for p in res.points if p.stable)
    np.testing.assert_allclose(stable, [-a, a], atol=1e-6)
    saddle = next(p for p in res.points if p.kind == "saddle")
    np.testing.assert_allclose(saddle.s, [0, 0], atol=1e-6)
    np.testing.assert_allclose(np.abs(saddle.eigvals), [2.0, 0.5], atol=1e-9)
    np.testing.assert_allclose(np.abs(saddle.unstable_directions()), [[1.0, 0.0]], atol=1e-9)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_gradient_of_q_matches_central_differences(cell):
    cfg = RNNConfig(cell=cell, n_x=3, n_a=4, n_y=2, dtype="float64")
    model = Model.init(cfg, np.random.default_rng(0))
    step = StepMap(model, np.array([1.0, -0.5, 0.2]))
    rng = np.random.default_rng(1)
    S = rng.standard_normal((2, step.n_s)) * 0.5
    _, g, _, _ = q_and_grad(step, S)
    eps = 1e-6
    for j in range(step.n_s):
        e = np.zeros(step.n_s)
        e[j] = eps
        fd = (q_and_grad(step, S + e)[0] - q_and_grad(step, S - e)[0]) / (2 * eps)
        np.testing.assert_allclose(g[:, j], fd, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_gated_cell_fixed_points_are_fixed(cell):
    """Random small weights contract: one stable point, F(s*) = s* to the tolerance; the
    LSTM's state is [a; c] (2 n_a)."""
    cfg = RNNConfig(cell=cell, n_x=3, n_a=5, n_y=2, dtype="float64")
    model = Model.init(cfg, np.random.default_rng(2))
    x = np.array([0.3, -1.0, 0.5])
    res = fixed_points(model, x, n_init=6, seed=0)
    assert res.counts()["stable"] == 1 and res.counts()["saddle"] == 0
    step = StepMap(model, x)
    for p in res.points:
        F, _ = step(p.s[None])
        assert np.linalg.norm(F[0] - p.s) < np.sqrt(2 * res.tol)
        assert len(p.s) == len(model.cell.state) * 5


def test_bad_inputs_raise_clear_errors():
    import rnnviz
    m = rnnviz.load_pretrained("char-lm-rnn")
    with pytest.raises(ValueError, match="one token"):
        fixed_points(m, "ab")
    bi = Model.init(RNNConfig(cell="gru", n_x=2, n_a=2, n_y=2, bidirectional=True),
                    np.random.default_rng(0))
    with pytest.raises(ValueError, match="bidirectional"):
        fixed_points(bi)
