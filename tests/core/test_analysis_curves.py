"""The computations behind the figures (rnnviz.core.analysis): gradient curves and their
summaries, clipping, the bidirectional score split, unit rankings."""

import warnings

import numpy as np
import pytest

from rnnviz.core import analysis as A
from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model, RNNConfig

N_X = 7


def one_hot(ids, n_x=N_X):
    x = np.zeros((n_x, 1, len(ids)))
    x[ids, 0, np.arange(len(ids))] = 1
    return x


def models(rho=0.9, n_a=8, forget_bias=1.0, seed=0):
    init = InitConfig(scheme="orthogonal", spectral_radius=rho, forget_bias=forget_bias)
    return {cell: Model.init(RNNConfig(cell=cell, n_x=N_X, n_a=n_a, n_y=N_X, dtype="float64"),
                             rng=np.random.default_rng(seed), init=init)
            for cell in ("rnn", "gru", "lstm")}


def test_repeat_ids():
    ids, target = A.repeat_ids(np.array([5, 6, 7]), 7)
    assert ids.tolist() == [5, 6, 7, 5, 6, 7, 5] and target == 6
    with pytest.raises(ValueError, match="no tokens"):
        A.repeat_ids(np.array([], dtype=int), 3)


def test_gradient_curves_are_the_backward_norms_and_the_jacobian_products():
    ms = models(n_a=5)
    ids, target = A.repeat_ids([1, 4, 2, 6, 3], 30)
    x = one_hot(ids)
    loss = A.gradient_curves(ms, x, target)
    jac = A.gradient_curves(ms, x, target, measure="jacobian")
    for name, m in ms.items():
        tr = m.forward(x)
        _, _, bt = m.backward(tr, np.array([target]), at="last")
        np.testing.assert_allclose(loss[name]["norms"], bt.grad_norm, rtol=1e-12)
        np.testing.assert_allclose(jac[name]["norms"], A.state_jacobian_norms(m, tr),
                                   rtol=1e-5)             # the page's products are float32
        assert not loss[name]["nonfinite"]
    with pytest.raises(ValueError, match="measure"):
        A.gradient_curves(ms, x, target, measure="nope")


def test_vanishing_reach_of_a_clean_exponential_decay():
    # 0.8^k at k steps back: below 1e-3 from k = 31 on (0.8^30 = 1.24e-3, 0.8^31 = 9.9e-4).
    norms = 0.8 ** np.arange(100)[::-1]
    assert A.vanishing_reach(norms) == 31
    assert A.decay_per_step(norms) == pytest.approx(0.8, rel=1e-9)


def test_vanishing_reach_ignores_a_one_off_dip_of_a_flat_noisy_curve():
    # The trained LSTM of issue 14: around 10^-2.5 of its end value all the way back, with
    # one early dip below 10^-3 at 32 steps back. It never vanishes within the sequence.
    rng = np.random.default_rng(0)
    back = 10 ** (-2.5 + 0.1 * rng.standard_normal(100))
    back[0] = 1.0                                   # the value at T_x itself
    back[32] = 1e-4
    norms = back[::-1]
    assert A.vanishing_reach(norms) is None
    assert 0.95 < A.decay_per_step(norms) < 1.05
    # The old first-crossing rule would have said 32: the dip is the only point below.
    assert np.flatnonzero(norms[::-1] < 1e-3 * norms[-1]).tolist() == [32]


def test_vanishing_reach_edge_cases():
    assert A.vanishing_reach(np.array([1e-9, 1e-6, 1e-4, 1e-2, 1.0])) == 2
    assert A.vanishing_reach(np.ones(10)) is None
    assert A.vanishing_reach(np.array([1.0, 1.0, 2.0])) is None
    assert A.vanishing_reach(np.array([0.5, np.inf])) is None        # not finite at T_x
    assert A.vanishing_reach(np.array([np.nan, 1.0, 1.0])) == 2       # NaN: the gradient is gone
    assert A.vanishing_reach(np.array([5e-4, 2e-3, 1.0])) == 2         # recovers, then falls
    assert A.vanishing_reach(np.zeros(0)) is None
    assert A.decay_per_step(np.array([1.0])) is None


def test_lstm_with_open_forget_gates_keeps_the_gradient_longer_than_the_rnn():
    ms = models(rho=0.8, n_a=16, forget_bias=5.0)
    ids, target = A.repeat_ids([1, 4, 2, 6, 3, 5], 120)
    c = A.gradient_curves(ms, one_hot(ids), target)
    rnn, lstm = A.vanishing_reach(c["rnn"]["norms"]), A.vanishing_reach(c["lstm"]["norms"])
    assert rnn is not None and (lstm is None or lstm > rnn)
    assert A.decay_per_step(c["rnn"]["norms"]) < A.decay_per_step(c["lstm"]["norms"])


def test_growth():
    assert A.growth(np.array([8.0, 4.0, 2.0])) == 4.0
    assert A.growth(np.array([1.0, 0.0])) == float("inf")


def test_clip_summary():
    g = {"W": np.array([[3.0, -4.0]]), "b": np.array([[12.0]])}        # ||g|| = 13
    none = A.clip_summary(g, "none", 1.0)
    assert none["norm_before"] == none["norm_after"] == pytest.approx(13.0)
    by_norm = A.clip_summary(g, "norm", 1.0)
    assert by_norm["norm_after"] == pytest.approx(1.0) and by_norm["cosine"] == pytest.approx(1)
    by_value = A.clip_summary(g, "value", 3.5)
    assert by_value["max_after"] == 3.5 and by_value["max_before"] == 12.0
    clipped = np.array([3.0, -3.5, 3.5])
    flat = np.array([3.0, -4.0, 12.0])
    assert by_value["cosine"] == pytest.approx(clipped @ flat / 13 / np.linalg.norm(clipped))


def test_clip_summary_of_gradients_that_overflowed_warns_nothing():
    """An uploaded model with a NaN weight: every gradient NaN, some NaN and some not."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # numpy's "All-NaN slice" would raise
        nan = A.clip_summary({"W": np.full((2, 2), np.nan)}, "value", 1.0)
        part = A.clip_summary({"W": np.array([[np.nan, -5.0]]), "b": np.array([[2.0]])},
                              "none", 1.0)
    assert np.isnan(nan["max_before"]) and np.isnan(nan["max_after"]) and np.isnan(nan["cosine"])
    assert part["max_before"] == part["max_after"] == 5.0
    assert A.clip_summary({"W": np.zeros((0, 2))}, "none", 1.0)["max_before"] == 0.0


def bimodel(cell="lstm", n_y=2):
    cfg = RNNConfig(cell=cell, n_x=N_X, n_a=5, n_y=n_y, bidirectional=True)
    return Model.init(cfg, rng=np.random.default_rng(0))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_direction_split_is_exactly_the_log_odds(cell):
    model = bimodel(cell)
    trace = model.forward(one_hot([1, 4, 2, 6, 0]))
    split = A.direction_split(model.params["Wy"], model.params["by"], trace["a_fwd"][:, 0],
                              trace["a_bwd"][:, 0], cls=1)
    y = trace["y_hat"][:, 0]
    np.testing.assert_allclose(split["total"], np.log(y[1] / y[0]), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(split["fwd"] + split["bwd"] + split["bias"], split["total"])


def test_direction_split_with_more_classes_uses_the_mean_of_the_others():
    model = bimodel(n_y=4)
    trace = model.forward(one_hot([3, 3, 5]))
    split = A.direction_split(model.params["Wy"], model.params["by"], trace["a_fwd"][:, 0],
                              trace["a_bwd"][:, 0], cls=2)
    z = trace["z_y"][:, 0]
    np.testing.assert_allclose(split["total"], z[2] - z[[0, 1, 3]].mean(axis=0), atol=1e-12)


def test_suggest_units_ranks_by_change_over_time():
    m = models(n_a=8)["lstm"]
    trace = m.forward(one_hot([1, 4, 2, 6, 0, 3, 3, 5]))
    a = trace["a"][:, 0, :]
    got = A.suggest_units(trace, "a", k=3)
    assert [u for u, _ in got] == list(np.argsort(-a.std(axis=1), kind="stable")[:3])
    u = got[0][0]
    assert f"std {a[u].std():.2f}" in got[0][1]


def test_most_active_units():
    rng = np.random.default_rng(1)
    X = rng.uniform(-0.01, 0.01, (200, 30))
    busy = [3, 50, 199]
    X[busy] = rng.uniform(-1, 1, (3, 30))
    assert A.most_active_units(X, 3).tolist() == busy
    assert A.most_active_units(X[:2], 3).tolist() == [0, 1]
