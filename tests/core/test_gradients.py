"""Model.backward against centred finite differences, float64, every parameter and the input.

Every architecture (RNN tanh / ReLU, GRU, LSTM; uni- and bidirectional) with every loss
(per-step softmax, with ignored targets, at the last step only, many-to-one softmax and
sigmoid). Relative error per tensor: ||num - ana|| / (||num|| + ||ana||) < 1e-7.
"""

import numpy as np
import pytest

from .cases import CELL_IDS, CELLS, LOSS_IDS, LOSSES, make_model, make_targets, random_state
from .reference import numeric_grad, rel_error

M, T_X = 2, 5
TOL = 1e-7


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize(("head", "at", "ignore"), LOSSES, ids=LOSS_IDS)
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_model_gradients_match_finite_differences(cell, activation, bidirectional, head, at,
                                                  ignore):
    model = make_model(cell, activation, bidirectional, head, n_x=3, n_a=4, n_y=3)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, M, T_X))
    y = make_targets(model, M, T_X, rng, at=at, ignore=ignore)
    state0 = None if bidirectional else random_state(model, M, rng)

    def loss():
        return model.loss(model.forward(x, state0=state0), y, at=at)

    trace = model.forward(x, state0=state0)
    value, grads, btrace = model.backward(trace, y, at=at)
    assert value == pytest.approx(loss(), rel=1e-14)
    assert set(grads) == set(model.params)

    errors = {}
    for name, W in model.params.items():
        assert grads[name].shape == W.shape
        errors[name] = rel_error(numeric_grad(loss, W), grads[name])
    errors["x"] = rel_error(numeric_grad(loss, x), btrace["dx"])
    if state0 is not None:
        errors["a0"] = rel_error(numeric_grad(loss, state0.a), btrace.da0)
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_gradients_are_not_trivially_zero(cell, activation):
    """Guards the test above: the tensors it compares carry real, non-zero gradients."""
    model = make_model(cell, activation, bidirectional=True)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, M, T_X))
    y = make_targets(model, M, T_X, rng)
    _, grads, btrace = model.backward(model.forward(x), y)
    for name, g in grads.items():
        assert np.linalg.norm(g) > 1e-3, name
    assert np.linalg.norm(btrace["dx"]) > 1e-3


def test_ignored_targets_do_not_contribute():
    """-1 entries drop out of the loss and its gradient: same as a loss without those steps."""
    model = make_model("lstm", n_y=3)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 4))
    y = np.array([[0, -1, 2, 1], [-1, -1, 1, 0]])
    trace = model.forward(x)
    loss, grads, _ = model.backward(trace, y)
    p = trace["y_hat"]
    expected = -(np.log(p[0, 0, 0]) + np.log(p[2, 0, 2]) + np.log(p[1, 0, 3])
                 + np.log(p[1, 1, 2]) + np.log(p[0, 1, 3])) / 2
    assert loss == pytest.approx(expected, rel=1e-12)
    # a different class at an ignored step changes nothing
    y2 = y.copy()
    y2[y2 < 0] = -1
    y2[0, 1] = -1
    loss2, grads2, _ = model.backward(trace, y2)
    assert loss2 == loss
    for k in grads:
        np.testing.assert_array_equal(grads2[k], grads[k])
    # all steps ignored: zero loss, zero gradient
    loss0, grads0, _ = model.backward(trace, np.full((2, 4), -1))
    assert loss0 == 0.0
    assert all(not np.any(g) for g in grads0.values())
