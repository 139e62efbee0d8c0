"""Stacked layers and PyTorch's GRU variant: gradients, traces per layer, state round trips.

Finite differences over every cell object (RNN tanh / ReLU, the notes' GRU, PyTorch's GRU,
LSTM) × layers 1-3 × uni/bidirectional × head, float64, every parameter, the input and the
carried state; a stacked model against the same layers run one by one.
"""

import numpy as np
import pytest

from rnnviz import Model, RNNConfig, State

from .cases import VARIANT_CELLS, VARIANT_IDS, make_model, make_targets, random_state
from .reference import numeric_grad, numeric_grad_sampled, rel_error

M, T_X = 2, 4
TOL = 1e-7
HEADS = [("many_to_many", "all"), ("many_to_one", "all"), ("many_to_one_sigmoid", "all")]


@pytest.mark.parametrize(("head", "at"), HEADS, ids=[h for h, _ in HEADS])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize(("cell", "activation", "variant"), VARIANT_CELLS, ids=VARIANT_IDS)
def test_stacked_gradients_match_finite_differences(cell, activation, variant, layers,
                                                    bidirectional, head, at):
    model = make_model(cell, activation, bidirectional, head, n_x=3, n_a=4, n_y=3,
                       layers=layers, variant=variant)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, M, T_X))
    y = make_targets(model, M, T_X, rng, at=at)
    state0 = None if bidirectional else random_state(model, M, rng)

    def loss():
        return model.loss(model.forward(x, state0=state0), y, at=at)

    value, grads, btrace = model.backward(model.forward(x, state0=state0), y, at=at)
    assert value == pytest.approx(loss(), rel=1e-13)
    assert set(grads) == set(model.params)
    # six random entries of every tensor (all of them for 1 layer: tests/core/test_gradients.py)
    errors = {name: rel_error(*numeric_grad_sampled(loss, W, grads[name], rng))
              for name, W in model.params.items()}
    errors["x"] = rel_error(numeric_grad(loss, x), btrace["dx"])
    if state0 is not None:
        errors["a0"] = rel_error(numeric_grad(loss, state0.a), btrace.da0)
    assert max(errors.values()) < TOL, errors
    # the lowest layer's weights get a real gradient through every layer above
    first = [k for k in grads if not k.startswith(("l2.", "l3.", "Wy", "by"))]
    assert np.linalg.norm(np.concatenate([grads[k].ravel() for k in first])) > 1e-3


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize(("cell", "activation", "variant"), VARIANT_CELLS, ids=VARIANT_IDS)
def test_a_stack_is_its_layers_run_one_after_the_other(cell, activation, variant,
                                                       bidirectional):
    """Layer l+1 of a 3-layer model reads a^[l] ([a→; a←] when bidirectional)."""
    model = make_model(cell, activation, bidirectional, n_x=3, n_a=4, layers=3,
                       variant=variant)
    x = np.random.default_rng(6).standard_normal((3, M, T_X))
    trace = model.forward(x)
    dirs = len(model.config.directions)
    inp = x
    for layer in range(1, 4):
        cfg = RNNConfig(cell=cell, activation=activation, variant=variant, n_x=inp.shape[0],
                        n_a=4, n_y=3, bidirectional=bidirectional)
        single = {k[len(f"l{layer}."):] if layer > 1 else k: v
                  for k, v in model.params.items()
                  if (k.startswith(f"l{layer}.") if layer > 1 else not k.startswith("l"))}
        single.update(Wy=np.zeros((3, dirs * 4)), by=np.zeros((3, 1)))
        alone = Model(cfg, single).forward(inp)
        view = trace.layer(layer)
        for key in alone.keys():
            if key in ("z_y", "y_hat"):
                continue
            if key == "x":
                continue
            np.testing.assert_allclose(view[key], alone[key], rtol=1e-12, atol=1e-14,
                                       err_msg=f"layer {layer} {key}")
        inp = np.asarray(alone["a"])
    # unprefixed keys are the top layer's; the output reads it
    np.testing.assert_array_equal(trace["a"], trace.layer(3)["a"])
    assert not np.allclose(trace.layer(1)["a"], trace["a"])
    with pytest.raises(ValueError, match="layer"):
        trace.layer(4)


@pytest.mark.parametrize(("cell", "activation", "variant"), VARIANT_CELLS, ids=VARIANT_IDS)
def test_layer_views_of_the_backward_trace_and_the_tidy_frame(cell, activation, variant):
    model = make_model(cell, activation, n_x=3, n_a=4, layers=2, variant=variant)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, M, T_X))
    trace = model.forward(x, tokens=list("abcd"))
    _, _, bt = model.backward(trace, make_targets(model, M, T_X, rng))
    # ∂L/∂a^[1]<t> is the gradient layer 2 sends down: W_x^[2]-side dx of layer 2
    assert set(bt.layer(1).keys()) == set(bt.layer(2).keys())
    assert not np.allclose(bt.layer(1)["da"], bt.layer(2)["da"])
    np.testing.assert_array_equal(bt["da"], bt.layer(2)["da"])
    np.testing.assert_array_equal(bt.layer(1)["dx"], bt["dx"])
    df = trace.layer(1).to_dataframe(keys=["a"])
    assert set(df["layer"]) == {1}
    assert set(trace.to_dataframe(keys=["a"])["layer"]) == {2}
    np.testing.assert_allclose(df["value"].to_numpy().reshape(T_X, 4),
                               trace.layer(1)["a"][:, 0, :].T)


@pytest.mark.parametrize(("cell", "activation", "variant"), VARIANT_CELLS, ids=VARIANT_IDS)
def test_stacked_state_round_trip(cell, activation, variant):
    """Two chunks with the carried (layers, n_a, m) state equal one run."""
    model = make_model(cell, activation, n_x=3, n_a=4, layers=3, variant=variant)
    x = np.random.default_rng(8).standard_normal((3, M, 7))
    whole = model.forward(x)
    first = model.forward(x[:, :, :3])
    second = model.forward(x[:, :, 3:], state0=first.final_state)
    np.testing.assert_allclose(np.concatenate([first["a"], second["a"]], axis=2), whole["a"],
                               rtol=1e-12, atol=1e-14)
    assert whole.final_state.a.shape == (3, 4, M)
    np.testing.assert_allclose(second.final_state.a, whole.final_state.a, rtol=1e-12)
    for layer in (1, 2):
        np.testing.assert_allclose(whole.final_state.a[layer - 1],
                                   whole.layer(layer)["a"][:, :, -1], rtol=1e-14)


def test_bad_layer_counts_and_variants_are_refused():
    with pytest.raises(ValueError, match="layers"):
        RNNConfig(layers=0)
    with pytest.raises(ValueError, match="variant"):
        RNNConfig(cell="lstm", variant="torch")
    model = make_model("lstm", layers=2)
    with pytest.raises(ValueError, match="state"):
        model.forward(np.zeros((3, 1, 2)), state0=State(np.zeros((2, 4, 1))))
    with pytest.raises(ValueError, match=r"shape \(2, 4, 1\)"):
        model.forward(np.zeros((3, 1, 2)), state0=State(np.zeros((4, 1)), np.zeros((4, 1))))


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_backward_without_the_input_gradient_gives_the_same_parameter_gradients(
        layers, bidirectional):
    model = make_model("lstm", bidirectional=bidirectional, layers=layers)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, M, T_X))
    y = make_targets(model, M, T_X, rng)
    trace = model.forward(x)
    loss, grads, bt = model.backward(trace, y)
    loss2, grads2, bt2 = model.backward(trace, y, input_grad=False)
    assert loss2 == loss and "dx" in bt and "dx" not in bt2 and "dx" not in bt2.layer(1)
    for k in grads:
        np.testing.assert_array_equal(grads2[k], grads[k])
    np.testing.assert_array_equal(bt2["da" if not bidirectional else "da_fwd"],
                                  bt["da" if not bidirectional else "da_fwd"])


def test_save_and_load_keep_layers_and_variant(tmp_path):
    model = make_model("gru", bidirectional=True, layers=2, variant="torch")
    model.save(tmp_path / "m")
    loaded, _ = Model.load(tmp_path / "m")
    assert loaded.config == model.config
    x = np.random.default_rng(10).standard_normal((3, M, T_X))
    np.testing.assert_array_equal(loaded.forward(x)["y_hat"], model.forward(x)["y_hat"])
