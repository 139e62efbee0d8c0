"""The "h_n" readout (torch users' many-to-one classifier) against finite differences and an
independent forward; the notes' "step" readout stays the default and unchanged.

    ŷ<T_x> = g(W_y [a→^[L]<T_x>; a←^[L]<1>] + b_y)      readout "h_n"
    ŷ<t>   = g(W_y [a→^[L]<t>; a←^[L]<t>] + b_y)        t < T_x, and every t for "step"
"""

import dataclasses

import numpy as np
import pytest

from rnnviz import Model, RNNConfig

from .cases import VARIANT_CELLS, VARIANT_IDS, make_model, make_targets
from .reference import numeric_grad, numeric_grad_sampled, rel_error
from .reference import sigmoid as ref_sigmoid
from .reference import softmax as ref_softmax

M, T_X, N_A = 2, 5, 4
TOL = 1e-7
HEADS = ["many_to_one", "many_to_one_sigmoid"]


def h_n_model(cell, activation, variant, layers, head, bidirectional=True, seed=0):
    step = make_model(cell, activation, bidirectional, head, n_x=3, n_a=N_A, n_y=3,
                      layers=layers, variant=variant, seed=seed)
    cfg = dataclasses.replace(step.config, readout="h_n")
    return Model(cfg, step.params), step


def expected_outputs(trace, params, head, readout):
    """ŷ<t> (n_y, m, T_x) from the trace's top-layer states, one step at a time."""
    fwd, bwd = trace["a_fwd"], trace["a_bwd"]
    out = []
    for t in range(fwd.shape[2]):
        back = bwd[:, :, 0] if (readout == "h_n" and t == fwd.shape[2] - 1) else bwd[:, :, t]
        z = params["Wy"] @ np.concatenate([fwd[:, :, t], back]) + params["by"]
        out.append(ref_sigmoid(z) if head == "many_to_one_sigmoid" else ref_softmax(z))
    return np.stack(out, axis=2)


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize(("cell", "activation", "variant"), VARIANT_CELLS, ids=VARIANT_IDS)
def test_h_n_readout_gradients_match_finite_differences(cell, activation, variant, layers,
                                                         head):
    model, _ = h_n_model(cell, activation, variant, layers, head)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, M, T_X))
    y = make_targets(model, M, T_X, rng)

    def loss():
        return model.loss(model.forward(x), y)

    value, grads, btrace = model.backward(model.forward(x), y)
    assert value == pytest.approx(loss(), rel=1e-13)
    errors = {name: rel_error(*numeric_grad_sampled(loss, W, grads[name], rng, k=8))
              for name, W in model.params.items()}
    errors["x"] = rel_error(numeric_grad(loss, x), btrace["dx"])
    assert max(errors.values()) < TOL, errors
    # W_y reads h_n: every entry of ∂L/∂W_y against finite differences
    assert rel_error(numeric_grad(loss, model.params["Wy"]), grads["Wy"]) < TOL
    # the loss enters a→ at T_x and a← at t = 1 (both the last step of their sweep, so
    # nothing else reaches them): ∂L/∂[a→<T_x>; a←<1>] = W_yᵀ dz_y<T_x>
    p = expected_outputs(model.forward(x), model.params, head, "h_n")[:, :, -1]
    if head == "many_to_one":
        p[y, np.arange(M)] -= 1
    else:
        p = p - y[None]
    dh = model.params["Wy"].T @ p / M
    n = model.config.n_a
    top = btrace.layer(layers)
    np.testing.assert_allclose(top["da_fwd"][:, :, -1], dh[:n], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(top["da_bwd"][:, :, 0], dh[n:], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize(("cell", "activation", "variant"), VARIANT_CELLS, ids=VARIANT_IDS)
def test_h_n_and_step_readouts_against_an_independent_head(cell, activation, variant, head):
    model, step = h_n_model(cell, activation, variant, 2, head, seed=3)
    x = np.random.default_rng(4).standard_normal((3, M, T_X))
    tr_h, tr_s = model.forward(x), step.forward(x)
    # the states do not depend on the readout; only ŷ<T_x> does
    np.testing.assert_array_equal(tr_h["a"], tr_s["a"])
    np.testing.assert_allclose(tr_h["y_hat"], expected_outputs(tr_h, model.params, head, "h_n"),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(tr_s["y_hat"], expected_outputs(tr_s, step.params, head, "step"),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(tr_h["y_hat"][:, :, :-1], tr_s["y_hat"][:, :, :-1])
    assert not np.allclose(tr_h["y_hat"][:, :, -1], tr_s["y_hat"][:, :, -1])
    assert RNNConfig().readout == "step"                       # the course's default


def test_a_unidirectional_model_reads_the_same_either_way():
    model, step = h_n_model("lstm", "tanh", "course", 2, "many_to_one", bidirectional=False)
    x = np.random.default_rng(5).standard_normal((3, M, T_X))
    y = np.array([0, 2])
    lh, gh, _ = model.backward(model.forward(x), y)
    ls, gs, _ = step.backward(step.forward(x), y)
    assert lh == ls and all(np.array_equal(gh[k], gs[k]) for k in gs)


def test_one_step_h_n_is_the_step_readout():
    """T_x = 1: a←<1> is both h_n's half and a←<T_x>, so both readouts agree."""
    model, step = h_n_model("gru", "tanh", "torch", 1, "many_to_one")
    x = np.random.default_rng(6).standard_normal((3, M, 1))
    y = np.array([1, 0])
    lh, gh, bh = model.backward(model.forward(x), y)
    ls, gs, bs = step.backward(step.forward(x), y)
    assert lh == pytest.approx(ls, rel=1e-14)
    for k in gs:
        np.testing.assert_allclose(gh[k], gs[k], rtol=1e-12, atol=1e-15)


def test_the_h_n_readout_needs_a_many_to_one_head():
    with pytest.raises(ValueError, match="many-to-one head"):
        RNNConfig(readout="h_n")
    with pytest.raises(ValueError, match="readout must be one of"):
        RNNConfig(head="many_to_one", readout="last")


def test_save_and_load_keep_the_readout(tmp_path):
    model, _ = h_n_model("rnn", "tanh", "course", 1, "many_to_one")
    model.save(tmp_path / "clf")
    loaded, _ = Model.load(tmp_path / "clf")
    assert loaded.config.readout == "h_n"
