"""Property tests over random sizes: n_x, n_a, m, T_x, n_y each from 1 to 6."""

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rnnviz import Model, RNNConfig

from .cases import (
    CELL_KEYS,
    CELLS,
    COURSE_CELLS,
    cell_backward_loop,
    cell_loop,
    course_parameters,
    make_model,
    make_targets,
    random_state,
    seq_backward,
    seq_forward,
)

SETTINGS = settings(max_examples=25, deadline=None)
size = st.integers(1, 6)
seeds = st.integers(0, 2**32 - 1)
cells = st.sampled_from(CELLS)
heads = st.sampled_from(["many_to_many", "many_to_one", "many_to_one_sigmoid"])


@SETTINGS
@given(cell=st.sampled_from(COURSE_CELLS), n_x=size, n_a=size, m=size, T=size, n_y=size,
       seed=seeds)
def test_cell_loop_equals_sequence(cell, n_x, n_a, m, T, n_y, seed):
    rng = np.random.default_rng(seed)
    p = course_parameters(cell, rng, n_x, n_a, n_y)
    x, a0 = rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))
    a, y, _, caches = seq_forward(cell, x, a0, p)
    a_loop, y_loop, cell_caches = cell_loop(cell, x, a0, p)
    assert a.shape == (n_a, m, T) and y.shape == (n_y, m, T)
    np.testing.assert_allclose(a, a_loop, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(y, y_loop, rtol=1e-12, atol=1e-14)
    da = rng.standard_normal((n_a, m, T))
    g = seq_backward(cell, da, caches)
    g_loop = cell_backward_loop(cell, da, cell_caches)
    assert set(g) == set(g_loop)
    for k in g:
        assert g[k].shape == g_loop[k].shape, k
        np.testing.assert_allclose(g[k], g_loop[k], rtol=1e-10, atol=1e-12, err_msg=k)


@SETTINGS
@given(arch=cells, bidirectional=st.booleans(), head=heads, n_x=size, n_a=size, m=size,
       T=size, n_y=size, seed=seeds)
def test_shapes_and_probabilities(arch, bidirectional, head, n_x, n_a, m, T, n_y, seed):
    cell, activation = arch
    model = make_model(cell, activation, bidirectional, head, n_x, n_a, n_y, seed=seed)
    n_y = model.config.n_y
    rng = np.random.default_rng(seed)
    x = 2 * rng.standard_normal((n_x, m, T))
    trace = model.forward(x)
    n_dir = 2 if bidirectional else 1
    for k in trace.keys():
        n = {"x": n_x, "z_y": n_y, "y_hat": n_y, "a": n_dir * n_a}.get(k, n_a)
        assert trace[k].shape == (n, m, T), k
    assert not trace.nonfinite.any()
    y_hat = trace["y_hat"]
    if head == "many_to_one_sigmoid":
        # σ = (1 + tanh(z/2)) / 2 is exact to ~1e-16 absolute (not relative, for small σ)
        np.testing.assert_allclose(y_hat, 1 / (1 + np.exp(-trace["z_y"])), rtol=1e-12,
                                   atol=1e-15)
    else:
        np.testing.assert_allclose(y_hat.sum(axis=0), 1.0, rtol=1e-12)
        # the arg-max of ŷ is the arg-max of z_y (softmax is monotone)
        np.testing.assert_array_equal(y_hat.argmax(axis=0), trace["z_y"].argmax(axis=0))
    assert np.all((y_hat >= 0) & (y_hat <= 1))
    y = make_targets(model, m, T, rng)
    loss, grads, btrace = model.backward(trace, y)
    assert loss >= 0
    for k, v in grads.items():
        assert v.shape == model.params[k].shape, k
    assert btrace["dx"].shape == (n_x, m, T)
    assert btrace.grad_norm.shape == (T,)


@SETTINGS
@given(arch=cells, bidirectional=st.booleans(), head=heads, n_x=size, n_a=size, m=size,
       T=size, n_y=size, seed=seeds, data=st.data())
def test_gradient_of_a_random_entry(arch, bidirectional, head, n_x, n_a, m, T, n_y, seed, data):
    cell, activation = arch
    model = make_model(cell, activation, bidirectional, head, n_x, n_a, n_y, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_x, m, T))
    y = make_targets(model, m, T, rng)
    trace = model.forward(x)
    if activation == "relu":        # finite differences across the kink of ReLU are wrong
        z = np.concatenate([trace[k].ravel() for k in trace.keys() if k.startswith("z_a")])
        assume(np.min(np.abs(z)) > 1e-3)
    _, grads, btrace = model.backward(trace, y)

    def derivative(loss_at):
        """d/ds of loss_at(s) at 0 by Richardson's extrapolation of central differences,
        (4 D(h/2) - D(h)) / 3 with D(h) = (f(h) - f(-h)) / 2h: error O(h^4). A plain central
        difference (error h^2 f'''(0) / 6) was off by 1.4e-6 relative where ReLU activations
        reach 25 (seed 9932). No step may move a ReLU pre-activation across its kink."""
        h = 1e-4
        f = {s: loss_at(s) for s in (h, -h, h / 2, -h / 2)}
        loss_at(0.0)
        if activation == "relu":
            for _, t in f.values():
                assume(all(np.array_equal(np.sign(t[k]), np.sign(trace[k]))
                           for k in trace.keys() if k.startswith("z_a")))
        d = {s: (f[s][0] - f[-s][0]) / (2 * s) for s in (h, h / 2)}
        return (4 * d[h / 2] - d[h]) / 3

    name = data.draw(st.sampled_from(sorted(model.params)), label="param")
    W = model.params[name]
    idx = tuple(data.draw(st.integers(0, s - 1)) for s in W.shape)
    old = W[idx]

    def entry(s):
        W[idx] = old + s
        t = model.forward(x)
        return model.loss(t, y), t

    num = derivative(entry)
    assert abs(num - grads[name][idx]) <= 1e-6 * (abs(num) + abs(grads[name][idx])) + 1e-9

    # and the directional derivative along a random direction of every parameter and x
    V = {k: rng.standard_normal(v.shape) for k, v in model.params.items()}
    vx = rng.standard_normal(x.shape)
    saved = {k: v.copy() for k, v in model.params.items()}

    def shifted(s):
        for k in model.params:
            model.params[k][...] = saved[k] + s * V[k]
        t = model.forward(x + s * vx)
        return model.loss(t, y), t

    num = derivative(shifted)
    ana = sum(float(np.sum(grads[k] * V[k])) for k in V) + float(np.sum(btrace["dx"] * vx))
    assert abs(num - ana) <= 1e-6 * (abs(num) + abs(ana)) + 1e-9


@SETTINGS
@given(arch=cells, head=heads, n_x=size, n_a=size, m=size, T=size, n_y=size, seed=seeds)
def test_bidirectional_is_two_unidirectional_runs(arch, head, n_x, n_a, m, T, n_y, seed):
    """a = [a→; a←]; a← is the forward code run on the reversed sequence with bwd parameters."""
    cell, activation = arch
    model = make_model(cell, activation, True, head, n_x, n_a, n_y, seed=seed)
    x = np.random.default_rng(seed).standard_normal((n_x, m, T))
    trace = model.forward(x)
    np.testing.assert_array_equal(trace["a"], np.concatenate([trace["a_fwd"], trace["a_bwd"]]))
    uni_cfg = RNNConfig(cell=cell, n_x=n_x, n_a=n_a, n_y=model.config.n_y,
                        activation=activation, head=head)
    Wy = model.params["Wy"]
    for d, xs, cols in (("fwd", x, slice(0, n_a)), ("bwd", x[:, :, ::-1], slice(n_a, None))):
        p = {k: v for k, v in model.to_course_parameters(d).items() if k not in ("Wy", "Wya")}
        uni = Model(uni_cfg, {**p, "Wy": Wy[:, cols]})
        ut = uni.forward(xs)
        for k in CELL_KEYS[cell]:
            expected = ut[k] if d == "fwd" else ut[k][:, :, ::-1]
            np.testing.assert_allclose(trace[f"{k}_{d}"], expected, rtol=1e-13, atol=1e-15,
                                       err_msg=f"{k}_{d}")
    # ŷ<t> reads both directions: the sum of the two unidirectional output pre-activations
    z_fwd = np.einsum("ya,amt->ymt", Wy[:, :n_a], trace["a_fwd"])
    z_bwd = np.einsum("ya,amt->ymt", Wy[:, n_a:], trace["a_bwd"])
    np.testing.assert_allclose(trace["z_y"], z_fwd + z_bwd + model.params["by"][:, :, None],
                               rtol=1e-12, atol=1e-14)


@SETTINGS
@given(arch=cells, n_x=size, n_a=size, m=size, T=st.integers(2, 6), seed=seeds,
       data=st.data())
def test_carried_state_round_trip(arch, n_x, n_a, m, T, seed, data):
    cell, activation = arch
    model = make_model(cell, activation, n_x=n_x, n_a=n_a, seed=seed)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_x, m, T))
    state0 = random_state(model, m, rng)
    k = data.draw(st.integers(1, T - 1), label="split")
    whole = model.forward(x, state0=state0)
    first = model.forward(x[:, :, :k], state0=state0)
    second = model.forward(x[:, :, k:], state0=first.final_state)
    for key in ("a", "y_hat", "c") if cell == "lstm" else ("a", "y_hat"):
        np.testing.assert_allclose(np.concatenate([first[key], second[key]], axis=2),
                                   whole[key], rtol=1e-13, atol=1e-15, err_msg=key)
    np.testing.assert_allclose(second.final_state.a, whole.final_state.a, rtol=1e-13,
                               atol=1e-15)
