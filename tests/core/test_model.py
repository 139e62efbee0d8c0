"""Model: traces against the course's step API and the NumPy reference, carried state, float32."""

import numpy as np
import pytest

from rnnviz import Model, RNNConfig, State

from . import reference as ref
from .cases import (
    CELL_IDS,
    CELLS,
    VARIANT_CELLS,
    VARIANT_IDS,
    make_model,
    make_targets,
    random_state,
    seq_backward,
    seq_forward,
)

M, T_X = 3, 6
UNI_CELLS = [("rnn", "tanh"), ("gru", "tanh"), ("lstm", "tanh")]   # the seed RNN is tanh only
UNI_IDS = ["rnn", "gru", "lstm"]


# ---------------------------------------------------------------------------------------------
# Model vs the course's step API


@pytest.mark.parametrize(("cell", "activation"), UNI_CELLS, ids=UNI_IDS)
def test_model_trace_equals_seed_forward(cell, activation):
    model = make_model(cell, activation, n_x=4, n_a=5, n_y=3)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, M, T_X))
    a0 = rng.standard_normal((5, M))
    trace = model.forward(x, state0=State(a0, np.zeros_like(a0) if cell == "lstm" else None))
    p = model.to_course_parameters()
    a, y, c, (caches, _) = seq_forward(cell, x, a0, p)
    np.testing.assert_allclose(trace["a"], a, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(trace["y_hat"], y, rtol=1e-12, atol=1e-14)
    if c is not None:
        np.testing.assert_allclose(trace["c"], c, rtol=1e-12, atol=1e-14)
    gates = {"lstm": {"gamma_f": "ft", "gamma_u": "it", "gamma_o": "ot", "c_tilde": "cct"},
             "gru": {"gamma_u": "ut", "gamma_r": "rt", "c_tilde": "cct"}}.get(cell, {})
    for key, field in gates.items():
        expected = np.stack([getattr(caches[t], field) for t in range(T_X)], axis=2)
        np.testing.assert_allclose(trace[key], expected, rtol=1e-12, atol=1e-14, err_msg=key)


@pytest.mark.parametrize(("cell", "activation"), UNI_CELLS, ids=UNI_IDS)
def test_model_backward_equals_seq_backward(cell, activation):
    """An arbitrary upstream gradient of z_y: Model.backward == seed backward of W_y^T dz_y."""
    model = make_model(cell, activation, n_x=4, n_a=5, n_y=3)
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, M, T_X))
    a0 = rng.standard_normal((5, M))
    trace = model.forward(x, state0=State(a0, np.zeros_like(a0) if cell == "lstm" else None))
    dZy = rng.standard_normal((T_X, M, 3))                   # rows layout (T_x, m, n_y)
    loss, grads, btrace = model.backward(trace, dZy=dZy)
    assert np.isnan(loss)
    p = model.to_course_parameters()
    *_, caches = seq_forward(cell, x, a0, p)
    da = np.einsum("tmy,ya->amt", dZy, model.params["Wy"])   # ∂/∂a<t> from the output layer
    g = seq_backward(cell, da, caches)
    for name in model.params:
        if name in ("Wy", "by"):
            continue
        np.testing.assert_allclose(grads[name], g["d" + name], rtol=1e-10, atol=1e-12,
                                   err_msg=name)
    np.testing.assert_allclose(grads["Wy"], np.einsum("tmy,amt->ya", dZy, trace["a"]),
                               rtol=1e-12)
    np.testing.assert_allclose(grads["by"][:, 0], dZy.sum(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_allclose(btrace["dx"], g["dx"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(btrace.da0, g["dc0" if cell == "gru" else "da0"], rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize(("cell", "activation"), UNI_CELLS, ids=UNI_IDS)
def test_to_seed_parameters_names(cell, activation):
    model = make_model(cell, activation)
    p = model.to_course_parameters()
    expected = {"rnn": {"Wax", "Waa", "ba", "Wya", "by"},
                "gru": {"Wu", "Wr", "Wc", "bu", "br", "bc", "Wy", "by"},
                "lstm": {"Wf", "Wi", "Wc", "Wo", "bf", "bi", "bc", "bo", "Wy", "by"}}[cell]
    assert set(p) == expected
    bi = make_model(cell, activation, bidirectional=True)
    for d in ("fwd", "bwd"):
        pd = bi.to_course_parameters(d)
        assert set(pd) == expected
        for k, v in pd.items():
            if k not in ("Wy", "Wya", "by"):
                assert v is bi.params[f"{d}.{k}"]


# ---------------------------------------------------------------------------------------------
# Model vs the NumPy reference, every architecture and both directions


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("head", ["many_to_many", "many_to_one_sigmoid"])
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_model_trace_matches_reference(cell, activation, bidirectional, head):
    model = make_model(cell, activation, bidirectional, head, n_x=3, n_a=4)
    rng = np.random.default_rng(13)
    x = rng.standard_normal((3, M, T_X))
    trace = model.forward(x, tokens=list("abcdef"))
    zeros = (np.zeros((4, M)), np.zeros((4, M)))
    if bidirectional:
        fwd = ref.forward(cell, x, zeros, model.to_course_parameters("fwd"), activation)
        bwd = ref.forward(cell, x[:, :, ::-1], zeros, model.to_course_parameters("bwd"),
                          activation)
        expected = {k + "_fwd": v for k, v in fwd.items()}
        expected.update({k + "_bwd": v[:, :, ::-1] for k, v in bwd.items()})
        expected["a"] = np.concatenate([fwd["a"], bwd["a"][:, :, ::-1]], axis=0)
    else:
        expected = ref.forward(cell, x, zeros, model.to_course_parameters(), activation)
    expected["z_y"], expected["y_hat"] = ref.head(head, expected["a"], model.params["Wy"],
                                                  model.params["by"])
    expected["x"] = x
    assert set(trace.keys()) == set(expected)
    for k, v in expected.items():
        assert trace[k].shape == v.shape, k
        np.testing.assert_allclose(trace[k], v, rtol=1e-12, atol=1e-14, err_msg=k)
    assert trace.tokens == list("abcdef")
    assert trace.T_x == T_X and trace.m == M


@pytest.mark.parametrize(("head", "at"), [("many_to_many", "all"), ("many_to_many", "last"),
                                          ("many_to_one", "all"),
                                          ("many_to_one_sigmoid", "all")])
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_loss_matches_reference(cell, activation, head, at):
    model = make_model(cell, activation, head=head)
    rng = np.random.default_rng(14)
    x = rng.standard_normal((3, M, T_X))
    y = make_targets(model, M, T_X, rng, at=at, ignore=head == "many_to_many")
    trace = model.forward(x)
    expected = ref.loss(head, trace["y_hat"], y, at=at)
    assert model.loss(trace, y, at=at) == pytest.approx(expected, rel=1e-12)
    assert model.backward(trace, y, at=at)[0] == pytest.approx(expected, rel=1e-12)


def test_last_step_loss_gives_no_gradient_to_backward_recurrence():
    """With the loss at T_x only, a←<T_x> is the backward direction's first step (from a zero
    state): its recurrent weights get exactly zero gradient, its input weights do not."""
    model = make_model("rnn", bidirectional=True, head="many_to_one")
    rng = np.random.default_rng(15)
    x = rng.standard_normal((3, M, T_X))
    _, grads, btrace = model.backward(model.forward(x), rng.integers(0, 3, M))
    assert not np.any(grads["bwd.Waa"])
    assert np.linalg.norm(grads["bwd.Wax"]) > 1e-3
    assert np.linalg.norm(grads["fwd.Waa"]) > 1e-3
    # ∂L/∂a←<t> is zero before T_x, ∂L/∂a→<t> is not
    assert not np.any(btrace["da_bwd"][:, :, :-1])
    assert np.all(np.linalg.norm(btrace["da_fwd"], axis=(0, 1)) > 0)


# ---------------------------------------------------------------------------------------------
# carried state


@pytest.mark.parametrize("split", [1, 2, 5])
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_two_chunks_with_carried_state_equal_one_run(cell, activation, split):
    model = make_model(cell, activation)
    rng = np.random.default_rng(16)
    x = rng.standard_normal((3, M, T_X))
    state0 = random_state(model, M, rng)
    whole = model.forward(x, state0=state0)
    first = model.forward(x[:, :, :split], state0=state0)
    second = model.forward(x[:, :, split:], state0=first.final_state)
    for k in whole.keys():
        joined = np.concatenate([first[k], second[k]], axis=2)
        np.testing.assert_allclose(joined, whole[k], rtol=1e-13, atol=1e-15, err_msg=k)
    np.testing.assert_allclose(second.final_state.a, whole.final_state.a, rtol=1e-13)
    np.testing.assert_allclose(first.final_state.a, whole["a"][:, :, split - 1], rtol=1e-13)
    if cell == "lstm":
        np.testing.assert_allclose(second.final_state.c, whole.final_state.c, rtol=1e-13)
        np.testing.assert_allclose(first.final_state.c, whole["c"][:, :, split - 1],
                                   rtol=1e-13)
    else:
        assert whole.final_state.c is None


@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_final_state_is_the_last_step(cell, activation):
    model = make_model(cell, activation)
    x = np.random.default_rng(17).standard_normal((3, M, T_X))
    trace = model.forward(x)
    assert isinstance(trace.final_state, State)
    np.testing.assert_array_equal(trace.final_state.a, trace["a"][:, :, -1])
    if cell == "lstm":
        np.testing.assert_array_equal(trace.final_state.c, trace["c"][:, :, -1])
    # a copy, not a view into the trace
    trace.final_state.a[:] = 0
    assert np.any(trace["a"][:, :, -1])


@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_step_repeated_equals_forward(cell, activation):
    model = make_model(cell, activation)
    rng = np.random.default_rng(18)
    x = rng.standard_normal((3, M, T_X))
    state0 = random_state(model, M, rng)
    trace = model.forward(x, state0=state0)
    state = state0
    for t in range(T_X):
        y_t, state = model.step(x[:, :, t], state)
        np.testing.assert_allclose(y_t, trace["y_hat"][:, :, t], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(state.a, trace["a"][:, :, t], rtol=1e-13, atol=1e-15)
    # from no state: the zero state
    y0, _ = model.step(x[:, :, 0])
    np.testing.assert_allclose(y0, model.forward(x[:, :, :1])["y_hat"][:, :, 0], rtol=1e-13)


@pytest.mark.parametrize(("cell", "activation", "variant"), VARIANT_CELLS, ids=VARIANT_IDS)
def test_read_only_weights_are_packed_once_and_writable_ones_at_every_call(cell, activation,
                                                                          variant):
    """A frozen model (read-only arrays) keeps its packed weights, which read as packing
    afresh does; new arrays are packed again; a model in training (writable arrays updated in
    place) is never served stale weights."""
    model = make_model(cell, activation, variant=variant, layers=2, bidirectional=True)
    x = np.random.default_rng(19).standard_normal((3, M, T_X))
    want = model.forward(x)["y_hat"]
    assert model.packed("bwd", 2) is not model.packed("bwd", 2)     # writable: packed afresh
    for v in model.params.values():
        v.flags.writeable = False
    kept = model.packed("bwd", 2)
    assert model.packed("bwd", 2) is kept and model.packed("fwd", 2) is not kept
    np.testing.assert_array_equal(model.forward(x)["y_hat"], want)
    name = model.config.prefix("bwd", 2) + model.cell.param_names[0]
    model.params[name] = model.params[name] * 2.0                   # a new array: packed again
    model.params[name].flags.writeable = False
    assert model.packed("bwd", 2) is not kept
    assert not np.allclose(model.forward(x)["y_hat"], want)
    trained = make_model(cell, activation, variant=variant)         # in-place updates are seen
    before = trained.forward(x)["y_hat"]
    trained.params[trained.cell.param_names[0]] *= 2.0
    assert not np.allclose(trained.forward(x)["y_hat"], before)


def test_initial_state_is_zero():
    for cell in ("rnn", "gru", "lstm"):
        s = make_model(cell).initial_state(m=2)
        assert s.a.shape == (4, 2) and not np.any(s.a)
        assert (s.c is None) == (cell != "lstm")


def test_bidirectional_model_refuses_carried_state_and_step():
    model = make_model("gru", bidirectional=True)
    x = np.zeros((3, 1, 4))
    assert model.forward(x).final_state is None
    with pytest.raises(ValueError, match="bidirectional model reads the whole sequence"):
        model.forward(x, state0=model.initial_state(1))
    with pytest.raises(ValueError, match="bidirectional"):
        model.step(x[:, :, 0])


# ---------------------------------------------------------------------------------------------
# float32


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_float32_close_to_float64(cell, activation, bidirectional):
    m64 = make_model(cell, activation, bidirectional, n_x=4, n_a=5, n_y=3)
    cfg32 = RNNConfig(**{**m64.config.__dict__, "dtype": "float32"})
    m32 = Model(cfg32, m64.params)
    rng = np.random.default_rng(19)
    x = rng.standard_normal((4, M, T_X))
    y = make_targets(m64, M, T_X, rng)
    t64, t32 = m64.forward(x), m32.forward(x)
    l64, g64, b64 = m64.backward(t64, y)
    l32, g32, b32 = m32.backward(t32, y)
    assert all(v.dtype == np.float32 for v in m32.params.values())
    for k in t64.keys():
        assert t32[k].dtype == np.float32, k
        scale = np.abs(t64[k]).max()
        np.testing.assert_allclose(t32[k], t64[k], rtol=1e-4, atol=1e-5 * scale, err_msg=k)
    assert l32 == pytest.approx(l64, rel=1e-5)
    for k in g64:
        assert g32[k].dtype == np.float32, k
        scale = np.abs(g64[k]).max()
        np.testing.assert_allclose(g32[k], g64[k], rtol=1e-4, atol=1e-5 * scale, err_msg=k)
    for k in b64.keys():
        assert b32[k].dtype == np.float32, k
        scale = np.abs(b64[k]).max()
        np.testing.assert_allclose(b32[k], b64[k], rtol=1e-4, atol=1e-5 * scale, err_msg=k)
    if not bidirectional:
        assert t32.final_state.a.dtype == np.float32
        assert b32.da0.dtype == np.float32


def test_float32_model_casts_float64_inputs_and_state():
    model = make_model("lstm", dtype="float32")
    rng = np.random.default_rng(20)
    x = rng.standard_normal((3, 2, 4))
    state0 = random_state(model, 2, rng)
    trace = model.forward(x, state0=state0)
    assert trace["a"].dtype == np.float32
    assert trace.final_state.c.dtype == np.float32
    y_t, s = model.step(x[:, :, 0], state0)
    assert y_t.dtype == np.float32 and s.a.dtype == np.float32


# ---------------------------------------------------------------------------------------------
# configuration and input validation


@pytest.mark.parametrize("bad", [dict(cell="transformer"), dict(head="one_to_many"),
                                 dict(activation="sigmoid"), dict(dtype="float16"),
                                 dict(n_a=0), dict(head="many_to_one_sigmoid", n_y=2)])
def test_config_rejects_invalid_values(bad):
    field = next(iter(bad)) if len(bad) == 1 else "sigmoid head"
    with pytest.raises(ValueError, match=field):
        RNNConfig(**{"n_x": 3, "n_a": 4, "n_y": 3, **bad})


def test_model_rejects_wrong_parameters_and_inputs():
    model = make_model("lstm")
    params = dict(model.params)
    del params["Wf"]
    with pytest.raises(ValueError, match="Wf"):
        Model(model.config, params)
    with pytest.raises(ValueError, match="Wi"):
        Model(model.config, {**model.params, "Wi": np.zeros((4, 4))})
    with pytest.raises(ValueError, match=r"x must have shape \(n_x=3"):
        model.forward(np.zeros((2, 1, 3)))          # n_x = 3 expected
    with pytest.raises(ValueError, match="at least one example .* and one step"):
        model.forward(np.zeros((3, 1, 0)))          # T_x = 0
    trace = model.forward(np.zeros((3, 2, 4)))
    with pytest.raises(ValueError, match=r"targets must have shape \(m=2, T_x=4\)"):
        model.backward(trace, np.zeros((2, 3), dtype=int))   # wrong (m, T_x)
    with pytest.raises(ValueError, match=r"target classes must be in \[0, 3\)"):
        model.backward(trace, np.full((2, 4), 3))            # class 3 with n_y = 3


def test_n_params_counts_every_entry():
    model = make_model("lstm", bidirectional=True, n_x=3, n_a=4, n_y=3)
    assert model.n_params == 2 * 4 * (4 * (4 + 3) + 4) + 3 * 8 + 3
    other = model.copy()
    other.params["Wy"][:] = 0
    assert np.any(model.params["Wy"])
