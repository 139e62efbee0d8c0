"""The course's step-by-step API (`rnnviz.rnn_cell_forward`, ..., `rnnviz.lstm_backward`).

The sequence functions (a loop of the cell functions) against the fused path, both against a
naive NumPy re-implementation (tests/core/reference.py) and against finite differences; the
exercise's published values.
"""

import numpy as np
import pytest

import rnnviz
from rnnviz.core.cells import GRUCache, LSTMCache, RNNCache
from rnnviz.core.recurrent import GRU, LSTM, RNN
from rnnviz.core.recurrent.base import cols, rows

from . import reference as ref
from .cases import (
    COURSE_CELL_KEYS,
    COURSE_CELLS,
    COURSE_PARAM_NAMES,
    COURSE_SEQ_KEYS,
    cell_backward_loop,
    cell_loop,
    course_parameters,
    seq_backward,
    seq_forward,
)
from .reference import numeric_grad, rel_error

N_X, N_A, N_Y, M, T_X = 3, 5, 2, 4, 6
CELLS = COURSE_CELLS

@pytest.fixture
def rng():
    return np.random.default_rng(7)


def inputs(rng, n_x=N_X, n_a=N_A, m=M, T=T_X):
    return rng.standard_normal((n_x, m, T)), rng.standard_normal((n_a, m))


# ---------------------------------------------------------------------------------------------
# forward


FUSED = {"rnn": RNN("tanh"), "lstm": LSTM(), "gru": GRU()}


@pytest.mark.parametrize("cell", CELLS)
def test_the_fused_path_equals_the_course_loop(cell, rng):
    """The sequence functions loop over the cell functions (the readable path); the cell
    objects' fused loop (the fast path `Model` runs) makes the same states and, read back
    as the course's caches (`step_cache`), the same caches field by field."""
    p = course_parameters(cell, rng, N_X, N_A, N_Y)
    x, a0 = inputs(rng)
    a, y, c, (step_caches, x_cached) = seq_forward(cell, x, a0, p)
    assert x_cached is x and len(step_caches) == T_X
    obj = FUSED[cell]
    state = tuple(np.ascontiguousarray(v.T) for v in
                  ((a0, np.zeros_like(a0)) if cell == "lstm" else (a0,)))
    tape = obj.forward(obj.pack(p), rows(x, np.dtype(np.float64)), state)
    np.testing.assert_allclose(a, cols(tape.A), rtol=1e-12, atol=1e-14)
    for t in range(T_X):
        fused, course = obj.step_cache(tape, p, t), step_caches[t]
        assert type(fused) is type(course)
        for name in fused._fields:
            if name == "parameters":
                assert getattr(fused, name) is p
                continue
            np.testing.assert_allclose(getattr(fused, name), getattr(course, name),
                                       rtol=1e-12, atol=1e-14, err_msg=f"{name} t={t}")
    a_loop, y_loop, _ = cell_loop(cell, x, a0, p)            # the exercise's own loop
    np.testing.assert_allclose(y, y_loop, rtol=1e-12, atol=1e-14)


def test_cache_field_names_follow_the_exercise():
    assert RNNCache._fields == ("a_next", "a_prev", "xt", "parameters")
    assert LSTMCache._fields == ("a_next", "c_next", "a_prev", "c_prev", "ft", "it", "cct",
                                 "ot", "xt", "parameters")
    assert GRUCache._fields == ("c_next", "c_prev", "ut", "rt", "cct", "xt", "parameters")


@pytest.mark.parametrize("cell", CELLS)
def test_sequence_forward_matches_numpy_reference(cell, rng):
    p = course_parameters(cell, rng, N_X, N_A, N_Y)
    x, a0 = inputs(rng)
    a, y, c, (step_caches, _) = seq_forward(cell, x, a0, p)
    expected = ref.forward(cell, x, (a0, np.zeros_like(a0)), p)
    np.testing.assert_allclose(a, expected["a"], rtol=1e-12, atol=1e-14)
    if c is not None:
        np.testing.assert_allclose(c, expected["c"], rtol=1e-12, atol=1e-14)
    Wy = p["Wya"] if cell == "rnn" else p["Wy"]
    _, y_ref = ref.head("many_to_many", expected["a"], Wy, p["by"])
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-14)
    # named gate values in the caches
    gates = {"lstm": {"ft": "gamma_f", "it": "gamma_u", "cct": "c_tilde", "ot": "gamma_o"},
             "gru": {"ut": "gamma_u", "rt": "gamma_r", "cct": "c_tilde"}}.get(cell, {})
    for t in range(T_X):
        for field, key in gates.items():
            np.testing.assert_allclose(getattr(step_caches[t], field), expected[key][:, :, t],
                                       rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell", CELLS)
def test_sequence_shapes_and_dtypes(cell, rng):
    for dtype in (np.float32, np.float64):
        p = course_parameters(cell, rng, N_X, N_A, N_Y, dtype=dtype)
        x, a0 = inputs(rng, m=2, T=3)
        a, y, c, caches = seq_forward(cell, x.astype(dtype), a0.astype(dtype), p)
        assert a.shape == (N_A, 2, 3) and a.dtype == dtype
        assert y.shape == (N_Y, 2, 3) and y.dtype == dtype
        np.testing.assert_allclose(y.sum(axis=0), 1, rtol=1e-6)
        g = seq_backward(cell, np.ones_like(a), caches)
        assert set(g) == COURSE_SEQ_KEYS[cell]
        for k, v in g.items():
            assert v.dtype == dtype, k


# ---------------------------------------------------------------------------------------------
# backward


@pytest.mark.parametrize("cell", CELLS)
def test_cell_backward_keys(cell, rng):
    p = course_parameters(cell, rng, N_X, N_A, N_Y)
    x, a0 = inputs(rng)
    _, _, caches = cell_loop(cell, x, a0, p)
    da = rng.standard_normal(a0.shape)
    if cell == "rnn":
        g = rnnviz.rnn_cell_backward(da, caches[2])
    elif cell == "lstm":
        g = rnnviz.lstm_cell_backward(da, rng.standard_normal(a0.shape), caches[2])
    else:
        g = rnnviz.gru_cell_backward(da, caches[2])
    assert set(g) == COURSE_CELL_KEYS[cell]
    for k, v in g.items():
        name = k[1:]
        if name in p:
            assert v.shape == p[name].shape, k
    assert g["dxt"].shape == (N_X, M)


@pytest.mark.parametrize("cell", CELLS)
def test_cell_backward_loop_equals_sequence_backward(cell, rng):
    p = course_parameters(cell, rng, N_X, N_A, N_Y)
    x, a0 = inputs(rng)
    da = rng.standard_normal((N_A, M, T_X))
    _, _, _, fused_caches = seq_forward(cell, x, a0, p)
    _, _, caches = cell_loop(cell, x, a0, p)
    g = seq_backward(cell, da, fused_caches)
    g_loop = cell_backward_loop(cell, da, caches)
    assert set(g) == COURSE_SEQ_KEYS[cell]
    assert set(g_loop) == set(g)
    for k in g:
        np.testing.assert_allclose(g[k], g_loop[k], rtol=1e-10, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("cell", CELLS)
def test_sequence_backward_accepts_a_list_of_cell_caches(cell, rng):
    p = course_parameters(cell, rng, N_X, N_A, N_Y)
    x, a0 = inputs(rng)
    da = rng.standard_normal((N_A, M, T_X))
    _, _, _, fused_caches = seq_forward(cell, x, a0, p)
    _, _, caches = cell_loop(cell, x, a0, p)
    g = seq_backward(cell, da, fused_caches)
    g_list = seq_backward(cell, da, (caches, x))
    for k in g:
        np.testing.assert_allclose(g_list[k], g[k], rtol=1e-10, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("cell", CELLS)
def test_sequence_backward_matches_numpy_reference(cell, rng):
    p = course_parameters(cell, rng, N_X, N_A, N_Y)
    x, a0 = inputs(rng)
    da = rng.standard_normal((N_A, M, T_X))
    *_, caches = seq_forward(cell, x, a0, p)
    g = seq_backward(cell, da, caches)
    state0 = (a0, np.zeros_like(a0))
    expected = ref.backward(cell, da, x, state0, p, ref.forward(cell, x, state0, p))
    for k in g:
        np.testing.assert_allclose(g[k], expected[k], rtol=1e-10, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("cell", CELLS)
def test_sequence_backward_matches_finite_differences(cell, rng):
    """J = Σ a * R for a random R, so ∂J/∂a = R is the upstream gradient `da`."""
    p = course_parameters(cell, rng, n_x=3, n_a=4, n_y=N_Y)
    x, a0 = inputs(rng, n_x=3, n_a=4, m=2, T=5)
    R = rng.standard_normal((4, 2, 5))

    def J():
        return float(np.sum(seq_forward(cell, x, a0, p)[0] * R))

    g = seq_backward(cell, R, seq_forward(cell, x, a0, p)[3])
    errors = {"d" + k: rel_error(numeric_grad(J, p[k]), g["d" + k])
              for k in COURSE_PARAM_NAMES[cell]}
    errors["dx"] = rel_error(numeric_grad(J, x), g["dx"])
    d0 = "dc0" if cell == "gru" else "da0"
    errors[d0] = rel_error(numeric_grad(J, a0), g[d0])
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("cell", CELLS)
def test_cell_backward_matches_finite_differences(cell, rng):
    """One step, J = Σ a<t> * R (+ Σ c<t> * S for the LSTM): every key of the cell backward."""
    p = course_parameters(cell, rng, n_x=3, n_a=4, n_y=N_Y)
    xt, a_prev = rng.standard_normal((3, 2)), rng.standard_normal((4, 2))
    c_prev = rng.standard_normal((4, 2))
    R, S = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))

    def J():
        if cell == "lstm":
            a, c, _, _ = rnnviz.lstm_cell_forward(xt, a_prev, c_prev, p)
            return float(np.sum(a * R) + np.sum(c * S))
        step = rnnviz.rnn_cell_forward if cell == "rnn" else rnnviz.gru_cell_forward
        return float(np.sum(step(xt, a_prev, p)[0] * R))

    if cell == "lstm":
        g = rnnviz.lstm_cell_backward(R, S, rnnviz.lstm_cell_forward(xt, a_prev, c_prev, p)[3])
    elif cell == "rnn":
        g = rnnviz.rnn_cell_backward(R, rnnviz.rnn_cell_forward(xt, a_prev, p)[2])
    else:
        g = rnnviz.gru_cell_backward(R, rnnviz.gru_cell_forward(xt, a_prev, p)[2])
    errors = {"d" + k: rel_error(numeric_grad(J, p[k]), g["d" + k])
              for k in COURSE_PARAM_NAMES[cell]}
    errors["dxt"] = rel_error(numeric_grad(J, xt), g["dxt"])
    errors["dprev"] = rel_error(numeric_grad(J, a_prev), g["dc_prev" if cell == "gru"
                                                          else "da_prev"])
    if cell == "lstm":
        errors["dc_prev"] = rel_error(numeric_grad(J, c_prev), g["dc_prev"])
    assert max(errors.values()) < 1e-7, errors


# ---------------------------------------------------------------------------------------------
# the exercise's published outputs
#
# The classic notebook seeds NumPy's legacy global RNG (np.random.seed(1)) and prints these
# numbers. A local RandomState(1) draws the same stream without touching the global RNG.


def _exercise_rng():
    return np.random.RandomState(1)


def test_published_rnn_cell_forward_values():
    r = _exercise_rng()
    xt, a_prev = r.randn(3, 10), r.randn(5, 10)
    p = {"Waa": r.randn(5, 5), "Wax": r.randn(5, 3), "Wya": r.randn(2, 5),
         "ba": r.randn(5, 1), "by": r.randn(2, 1)}
    a_next, yt_pred, _ = rnnviz.rnn_cell_forward(xt, a_prev, p)
    np.testing.assert_allclose(a_next[4], [0.59584544, 0.18141802, 0.61311866, 0.99808218,
                                           0.85016201, 0.99980978, -0.18887155, 0.99815551,
                                           0.6531151, 0.82872037], atol=1e-8)
    np.testing.assert_allclose(yt_pred[1], [0.9888161, 0.01682021, 0.21140899, 0.36817467,
                                            0.98988387, 0.88945212, 0.36920224, 0.9966312,
                                            0.9982559, 0.17746526], atol=1e-8)


def test_published_rnn_forward_values():
    r = _exercise_rng()
    x, a0 = r.randn(3, 10, 4), r.randn(5, 10)
    p = {"Waa": r.randn(5, 5), "Wax": r.randn(5, 3), "Wya": r.randn(2, 5),
         "ba": r.randn(5, 1), "by": r.randn(2, 1)}
    a, y_pred, caches = rnnviz.rnn_forward(x, a0, p)
    np.testing.assert_allclose(a[4][1], [-0.99999375, 0.77911235, -0.99861469, -0.99833267],
                               atol=1e-8)
    np.testing.assert_allclose(y_pred[1][3], [0.79560373, 0.86224861, 0.11118257, 0.81515947],
                               atol=1e-8)
    np.testing.assert_allclose(caches[1][1][3], [-1.1425182, -0.34934272, -0.20889423,
                                                 0.58662319], atol=1e-8)
    assert len(caches) == 2


def _exercise_lstm_parameters(r):
    p = {}
    for k in ("Wf", "bf", "Wi", "bi", "Wo", "bo", "Wc", "bc"):
        p[k] = r.randn(5, 5 + 3) if k[0] == "W" else r.randn(5, 1)
    p["Wy"], p["by"] = r.randn(2, 5), r.randn(2, 1)
    return p


def test_published_lstm_cell_forward_values():
    r = _exercise_rng()
    xt, a_prev, c_prev = r.randn(3, 10), r.randn(5, 10), r.randn(5, 10)
    p = _exercise_lstm_parameters(r)
    a_next, c_next, yt, cache = rnnviz.lstm_cell_forward(xt, a_prev, c_prev, p)
    np.testing.assert_allclose(a_next[4], [-0.66408471, 0.0036921, 0.02088357, 0.22834167,
                                           -0.85575339, 0.00138482, 0.76566531, 0.34631421,
                                           -0.00215674, 0.43827275], atol=1e-8)
    np.testing.assert_allclose(c_next[2], [0.63267805, 1.00570849, 0.35504474, 0.20690913,
                                           -1.64566718, 0.11832942, 0.76449811, -0.0981561,
                                           -0.74348425, -0.26810932], atol=1e-8)
    np.testing.assert_allclose(yt[1], [0.79913913, 0.15986619, 0.22412122, 0.15606108,
                                       0.97057211, 0.31146381, 0.00943007, 0.12666353,
                                       0.39380172, 0.07828381], atol=1e-8)
    np.testing.assert_allclose(cache[1][3], [-0.16263996, 1.03729328, 0.72938082, -0.54101719,
                                             0.02752074, -0.30821874, 0.07651101, -1.03752894,
                                             1.41219977, -0.37647422], atol=1e-8)
    assert len(cache) == 10


def test_published_lstm_forward_values():
    r = _exercise_rng()
    x, a0 = r.randn(3, 10, 7), r.randn(5, 10)
    p = _exercise_lstm_parameters(r)
    a, y, c, caches = rnnviz.lstm_forward(x, a0, p)
    assert a[4][3][6] == pytest.approx(0.172117767533, abs=1e-11)
    assert y[1][4][3] == pytest.approx(0.95087346185, abs=1e-11)
    assert c[1][2][1] == pytest.approx(-0.855544916718, abs=1e-11)
    np.testing.assert_allclose(caches[1][1][1], [0.82797464, 0.23009474, 0.76201118,
                                                 -0.22232814, -0.20075807, 0.18656139,
                                                 0.41005165], atol=1e-8)
    assert len(caches) == 2


# ---------------------------------------------------------------------------------------------
# T_x of the backward pass comes from da (the exercise's rule)
#
# The exercise's lstm_backward test cell runs lstm_forward over 7 steps and passes da with 4;
# its lstm_backward takes T_x from da and reads caches[0..3]. The notebook prints expected
# values; they were produced by a lstm_backward that passes neither the carried ∂L/∂a<t> nor
# ∂L/∂c<t> back to step t-1 (its loop calls lstm_cell_backward(da[:, :, t], 0, caches[t])),
# so full BPTT cannot reproduce them. Both are checked: the published numbers from rnnviz's
# cell functions in that loop (same draws, same caches), and rnnviz's lstm_backward against the
# full BPTT through the cell functions over the first 4 caches.


def _exercise_lstm_backward_case():
    r = _exercise_rng()
    x, a0 = r.randn(3, 10, 7), r.randn(5, 10)
    p = {}
    for k in ("Wf", "bf", "Wi", "bi", "Wo", "bo", "Wc", "bc"):
        p[k] = r.randn(5, 5 + 3) if k[0] == "W" else r.randn(5, 1)
    p["Wy"], p["by"] = np.zeros((2, 5)), np.zeros((2, 1))   # left over in the notebook; unused
    out = rnnviz.lstm_forward(x, a0, p)
    return out[-1], r.randn(5, 10, 4)


def test_published_lstm_backward_values_come_from_the_cells_without_carry():
    caches, da = _exercise_lstm_backward_case()
    dx = np.zeros((3, 10, 4))
    total = {}
    for t in reversed(range(4)):
        g = rnnviz.lstm_cell_backward(da[:, :, t], np.zeros((5, 10)), caches[0][t])
        dx[:, :, t] = g["dxt"]
        for k, v in g.items():
            total[k] = v if k in ("dxt", "da_prev", "dc_prev") else total.get(k, 0) + v
    # the notebook's printed expected output
    np.testing.assert_allclose(dx[1][2], [-0.00173313, 0.08287442, -0.30545663, -0.43281115],
                               atol=1e-8)
    assert total["da_prev"][2][3] == pytest.approx(-0.0959115019540047, abs=1e-12)
    assert total["dWf"][3][1] == pytest.approx(-0.06981985612744011, abs=1e-12)
    assert total["dWi"][1][2] == pytest.approx(0.10237182024854766, abs=1e-12)
    assert total["dWc"][3][1] == pytest.approx(-0.062498379492745254, abs=1e-12)
    assert total["dWo"][1][2] == pytest.approx(0.04843891314443009, abs=1e-12)
    np.testing.assert_allclose([total[k][4, 0] for k in ("dbf", "dbi", "dbc", "dbo")],
                               [-0.0565788, -0.15399065, -0.29691142, -0.29798344], atol=1e-8)


def test_lstm_backward_takes_T_x_from_da_as_the_exercise():
    caches, da = _exercise_lstm_backward_case()
    g = rnnviz.lstm_backward(da, caches)
    assert g["dx"].shape == (3, 10, 4)
    expected = cell_backward_loop("lstm", da, caches[0][:4])
    for k in COURSE_SEQ_KEYS["lstm"]:
        np.testing.assert_allclose(g[k], expected[k], rtol=1e-12, atol=1e-14, err_msg=k)
    # full BPTT adds ∂L/∂a<t+1> and ∂L/∂c<t+1>: only step T_x = 4 equals the published value
    np.testing.assert_allclose(g["dx"][1][2], [0.00218254, 0.28205375, -0.48292508,
                                               -0.43281115], atol=1e-8)
    assert g["da0"][2][3] == pytest.approx(0.3127703102572605, abs=1e-12)
    assert g["dWi"][1][2] == pytest.approx(0.40512433092981853, abs=1e-12)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("fused", [True, False], ids=["fused-caches", "cell-caches"])
def test_every_backward_takes_T_x_from_da(cell, fused, rng):
    p = course_parameters(cell, rng, N_X, N_A, N_Y)
    x, a0 = inputs(rng)
    caches = seq_forward(cell, x, a0, p)[-1]
    if not fused:
        caches = (cell_loop(cell, x, a0, p)[2], x)
    T = T_X - 2
    da = rng.standard_normal((N_A, M, T))
    g = seq_backward(cell, da, caches)
    expected = cell_backward_loop(cell, da, list(caches[0])[:T])
    assert g["dx"].shape == (N_X, M, T)
    for k in COURSE_SEQ_KEYS[cell]:
        np.testing.assert_allclose(g[k], expected[k], rtol=1e-10, atol=1e-12, err_msg=k)
    with pytest.raises(ValueError, match="steps"):
        seq_backward(cell, rng.standard_normal((N_A, M, T_X + 1)), caches)


def test_published_rnn_backward_values():
    r = _exercise_rng()
    x, a0 = r.randn(3, 10, 4), r.randn(5, 10)
    p = {"Wax": r.randn(5, 3), "Waa": r.randn(5, 5), "Wya": r.randn(2, 5),
         "ba": r.randn(5, 1), "by": r.randn(2, 1)}
    caches = rnnviz.rnn_forward(x, a0, p)[-1]
    g = rnnviz.rnn_backward(r.randn(5, 10, 4), caches)
    np.testing.assert_allclose(g["dx"][1][2], [-2.07101689, -0.59255627, 0.02466855,
                                               0.01483317], atol=1e-8)
    assert g["da0"][2][3] == pytest.approx(-0.3149423751266499, abs=1e-12)
    assert g["dWax"][3][1] == pytest.approx(11.264104496527777, abs=1e-10)
    assert g["dWaa"][1][2] == pytest.approx(2.3033331265798926, abs=1e-10)
    assert g["dba"][4] == pytest.approx([-0.74747722], abs=1e-8)
