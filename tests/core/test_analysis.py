"""rnnviz.core.analysis against finite differences and direct computations."""

import numpy as np
import pytest

from rnnviz import (
    Model,
    RNNConfig,
    State,
    clip_by_global_norm,
    clip_by_value,
    global_norm,
    gradient_check,
    sensitivity_matrix,
    state_jacobian_norms,
)

from .cases import CELL_IDS, CELLS, VARIANT_CELLS, VARIANT_IDS, make_model, make_targets

T_X = 5
EPS = 1e-6


def fd_state_jacobian_norms(model, x, example):
    """||∂a<T_x>/∂a<t>||_F by centred differences: run x<1..t>, perturb a<t> (c<t> fixed),
    run x<t+1..T_x> from the perturbed state."""
    n, T = model.config.n_a, x.shape[2]
    out = np.full(T, np.sqrt(n))                        # ∂a<T>/∂a<T> = I
    for t in range(1, T):
        s = model.forward(x[:, :, :t]).final_state
        J = np.empty((n, n))
        for j in range(n):
            ends = []
            for sign in (1, -1):
                a = s.a.copy()
                a[j, example] += sign * EPS
                tail = model.forward(x[:, :, t:], state0=State(a, s.c))
                ends.append(tail.final_state.a[:, example])
            J[:, j] = (ends[0] - ends[1]) / (2 * EPS)
        out[t - 1] = np.linalg.norm(J)
    return out


def fd_sensitivity(model, x, example):
    """S[t, t'] = ||∂ŷ<t>/∂x<t'>||_F by centred differences on one example."""
    xe = x[:, example:example + 1, :].copy()
    n_x, _, T = xe.shape
    J = np.zeros((T, T, model.config.n_y, n_x))          # [t, t', class, input unit]
    for tp in range(T):
        for i in range(n_x):
            ys = []
            for sign in (1, -1):
                xp = xe.copy()
                xp[i, 0, tp] += sign * EPS
                ys.append(model.forward(xp)["y_hat"][:, 0, :])     # (n_y, T)
            J[:, tp, :, i] = ((ys[0] - ys[1]) / (2 * EPS)).T
    return np.sqrt((J ** 2).sum(axis=(2, 3)))


# ---------------------------------------------------------------------------------------------
# Jacobians


@pytest.mark.parametrize(("cell", "activation", "variant"), VARIANT_CELLS, ids=VARIANT_IDS)
def test_state_jacobian_norms_match_finite_differences(cell, activation, variant):
    model = make_model(cell, activation, n_x=3, n_a=4, variant=variant)
    x = np.random.default_rng(30).standard_normal((3, 2, T_X))
    trace = model.forward(x)
    for example in (0, 1):
        norms = state_jacobian_norms(model, trace, example=example)
        assert norms.shape == (T_X,)
        assert norms[-1] == pytest.approx(2.0)             # sqrt(n_a): the identity
        np.testing.assert_allclose(norms, fd_state_jacobian_norms(model, x, example),
                                   rtol=1e-6)


def test_state_jacobian_norms_of_a_bidirectional_model_are_the_forward_direction():
    bi = make_model("lstm", bidirectional=True)
    uni = Model(RNNConfig(cell="lstm", n_x=3, n_a=4, n_y=3),
                {**{k[4:]: v for k, v in bi.params.items() if k.startswith("fwd.")},
                 "Wy": bi.params["Wy"][:, :4], "by": bi.params["by"]})
    x = np.random.default_rng(31).standard_normal((3, 1, T_X))
    np.testing.assert_allclose(state_jacobian_norms(bi, bi.forward(x)),
                               state_jacobian_norms(uni, uni.forward(x)), rtol=1e-13)


def test_state_jacobian_norms_vanish_and_explode():
    """Small recurrent weights: the norms shrink going back in time; large ones: they grow."""
    x = np.random.default_rng(32).standard_normal((3, 1, 8))
    for scale, shrinking in ((0.05, True), (3.0, False)):
        model = make_model("rnn", "relu", n_x=3, n_a=4)
        model.params["Waa"][:] = scale * np.eye(4)
        model.params["ba"][:] = 5.0                      # keep every ReLU unit active
        norms = state_jacobian_norms(model, model.forward(x))
        np.testing.assert_allclose(norms, 2.0 * scale ** np.arange(7, -1, -1), rtol=1e-12)
        assert (np.diff(norms) > 0).all() == shrinking


@pytest.mark.parametrize("head", ["many_to_many", "many_to_one_sigmoid"])
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_sensitivity_matrix_unidirectional(cell, activation, head):
    model = make_model(cell, activation, head=head, n_x=3, n_a=4)
    x = np.random.default_rng(33).standard_normal((3, 2, T_X))
    S = sensitivity_matrix(model, x, example=1)
    assert S.shape == (T_X, T_X)
    np.testing.assert_allclose(S, fd_sensitivity(model, x, example=1), rtol=1e-6, atol=1e-9)
    # ŷ<t> cannot depend on a later input: exactly zero above the diagonal
    assert not np.any(np.triu(S, k=1))
    assert np.all(S[np.tril_indices(T_X)] > 0)


@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_sensitivity_matrix_bidirectional(cell, activation):
    model = make_model(cell, activation, bidirectional=True, n_x=3, n_a=4)
    x = np.random.default_rng(34).standard_normal((3, 2, T_X))
    S = sensitivity_matrix(model, x, example=0)
    np.testing.assert_allclose(S, fd_sensitivity(model, x, example=0), rtol=1e-6, atol=1e-9)
    # a←<t> reads the future: every entry, above the diagonal too, is non-zero
    assert np.all(S > 0)


# ---------------------------------------------------------------------------------------------
# clipping


@pytest.fixture
def grads():
    rng = np.random.default_rng(35)
    return {"Waa": 4 * rng.standard_normal((4, 4)), "ba": 4 * rng.standard_normal((4, 1)),
            "Wy": 4 * rng.standard_normal((3, 4))}


def test_clip_by_value(grads):
    before = {k: v.copy() for k, v in grads.items()}
    clipped = clip_by_value(grads, 1.5)
    assert set(clipped) == set(grads)
    for k, g in clipped.items():
        assert g.shape == grads[k].shape
        assert np.all(np.abs(g) <= 1.5)
        inside = np.abs(before[k]) <= 1.5
        np.testing.assert_array_equal(g[inside], before[k][inside])
        np.testing.assert_array_equal(g[~inside], 1.5 * np.sign(before[k][~inside]))
        np.testing.assert_array_equal(grads[k], before[k])      # a new dict, inputs untouched
    assert any((np.abs(v) > 1.5).any() for v in before.values())


def test_global_norm(grads):
    flat = np.concatenate([g.ravel() for g in grads.values()])
    assert global_norm(grads) == pytest.approx(np.sqrt(np.sum(flat ** 2)), rel=1e-14)
    assert global_norm({"W": np.zeros((2, 2))}) == 0.0


def test_clip_by_global_norm_above_the_threshold(grads):
    norm = global_norm(grads)
    assert norm > 5
    clipped, before = clip_by_global_norm(grads, 5.0)
    assert before == norm
    assert global_norm(clipped) == pytest.approx(5.0, rel=1e-14)
    for k in grads:                                   # same direction, scaled by 5 / ||g||
        np.testing.assert_allclose(clipped[k], grads[k] * (5.0 / norm), rtol=1e-14)


def test_clip_by_global_norm_below_the_threshold(grads):
    norm = global_norm(grads)
    clipped, before = clip_by_global_norm(grads, 2 * norm)
    assert before == norm
    for k in grads:
        np.testing.assert_array_equal(clipped[k], grads[k])
    zeros = {"W": np.zeros((2, 3))}
    clipped, before = clip_by_global_norm(zeros, 1.0)
    assert before == 0.0
    np.testing.assert_array_equal(clipped["W"], zeros["W"])


# ---------------------------------------------------------------------------------------------
# gradient_check


@pytest.mark.parametrize("at", ["all", "last"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_gradient_check_passes_on_float64(cell, activation, bidirectional, at):
    model = make_model(cell, activation, bidirectional)
    rng = np.random.default_rng(36)
    x = rng.standard_normal((3, 2, T_X))
    y = make_targets(model, 2, T_X, rng, at=at)
    saved = {k: v.copy() for k, v in model.params.items()}
    rows = gradient_check(model, x, y, n_entries=3, rng=np.random.default_rng(0), at=at)
    assert len(rows) == sum(min(3, v.size) for v in model.params.values())
    assert {r["param"] for r in rows} == set(model.params)
    _, grads, _ = model.backward(model.forward(x), y, at=at)
    for r in rows:
        assert r["rel_error"] < 1e-6, r
        assert r["analytic"] == grads[r["param"]][r["index"]]
    for k, v in saved.items():                        # parameters restored exactly
        np.testing.assert_array_equal(model.params[k], v)


def test_gradient_check_detects_a_wrong_gradient():
    model = make_model("gru")
    rng = np.random.default_rng(37)
    x = rng.standard_normal((3, 2, T_X))
    y = make_targets(model, 2, T_X, rng)
    backward = model.backward

    def wrong_backward(trace, y, at="all"):
        loss, grads, btrace = backward(trace, y, at=at)
        grads["Wr"] = 1.01 * grads["Wr"]
        return loss, grads, btrace

    model.backward = wrong_backward
    rows = gradient_check(model, x, y, keys=["Wr", "Wu"], n_entries=4)
    errors = {r["param"]: r["rel_error"] for r in rows}
    assert errors["Wu"] < 1e-6
    assert min(r["rel_error"] for r in rows if r["param"] == "Wr") > 1e-3


def test_gradient_check_keep_checks_only_the_largest_gradients_of_each_draw():
    """keep=k: of the same random draw, the k entries with the largest |∂L/∂θ|, in that order,
    each with its own two forward passes, and nothing else; rows equal the full check's."""
    model = make_model("lstm")
    rng = np.random.default_rng(38)
    x = rng.standard_normal((3, 2, T_X))
    y = make_targets(model, 2, T_X, rng)
    keys = ["Wf", "Wc", "Wy"]
    full = gradient_check(model, x, y, keys=keys, n_entries=4, rng=np.random.default_rng(5))
    expected = []
    for key in keys:
        mine = [r for r in full if r["param"] == key]
        expected += sorted(mine, key=lambda r: -abs(r["analytic"]))[:2]
    assert [r["analytic"] for r in expected] != [r["analytic"] for r in full[:6]]

    forwards = []
    forward = model.forward
    model.forward = lambda *a, **k: forwards.append(1) or forward(*a, **k)
    kept = gradient_check(model, x, y, keys=keys, n_entries=4, rng=np.random.default_rng(5),
                          keep=2)
    assert kept == expected
    assert len(forwards) == 1 + 2 * 2 * len(keys)      # the backward's, then two per entry
