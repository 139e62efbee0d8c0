"""Trace / BackwardTrace: keys per architecture, symbols, the tidy DataFrame, BPTT quantities."""

import numpy as np
import pytest

from rnnviz import BackwardTrace, Trace

from . import reference as ref
from .cases import CELL_IDS, CELL_KEYS, CELLS, make_model, make_targets

M, T_X = 2, 5
GRAD_KEYS = {
    "rnn": {"da", "dz_a", "dx"},
    "gru": {"da", "dc", "dgamma_u", "dgamma_r", "dc_tilde", "dz_u", "dz_r", "dz_c", "dx"},
    "lstm": {"da", "dc", "dgamma_f", "dgamma_u", "dgamma_o", "dc_tilde", "dz_f", "dz_u", "dz_o",
             "dz_c", "dx"},
}


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_keys_per_architecture(cell, activation, bidirectional):
    model = make_model(cell, activation, bidirectional)
    rng = np.random.default_rng(40)
    x = rng.standard_normal((3, M, T_X))
    trace = model.forward(x)
    _, _, btrace = model.backward(trace, make_targets(model, M, T_X, rng))
    assert isinstance(trace, Trace) and isinstance(btrace, BackwardTrace)
    common = {"x", "a", "z_y", "y_hat"}
    if bidirectional:
        per_dir = {f"{k}_{d}" for k in CELL_KEYS[cell] for d in ("fwd", "bwd")}
        assert set(trace.keys()) == common | per_dir
        grads = {f"{k}_{d}" for k in GRAD_KEYS[cell] for d in ("fwd", "bwd")} | {"dx"}
        assert set(btrace.keys()) == grads
    else:
        assert set(trace.keys()) == common | CELL_KEYS[cell]
        assert set(btrace.keys()) == GRAD_KEYS[cell]
    for k in trace.keys():
        assert k in trace
        assert trace[k].shape[1:] == (M, T_X)
    assert "gamma_f" not in make_model("gru").forward(x)


def test_getitem_is_the_seed_layout():
    model = make_model("lstm")
    x = np.random.default_rng(41).standard_normal((3, M, T_X))
    trace = model.forward(x)
    np.testing.assert_array_equal(trace["x"], x)
    # trace["gamma_f"][:, i, t - 1] is Γf<t> of example i
    p = model.params
    a1 = trace["a"][:, 1, 0]
    z_f2 = p["Wf"] @ np.concatenate([a1, x[:, 1, 1]]) + p["bf"][:, 0]
    np.testing.assert_allclose(trace["gamma_f"][:, 1, 1], 1 / (1 + np.exp(-z_f2)), rtol=1e-12)
    np.testing.assert_array_equal(trace.y_hat, trace["y_hat"])


@pytest.mark.parametrize(("key", "expected"), [
    ("c_tilde", "c̃<t>"),
    ("a_bwd", "a←<t>"),
    ("a_fwd", "a→<t>"),
    ("a", "a<t>"),
    ("c", "c<t>"),
    ("x", "x<t>"),
    ("y_hat", "ŷ<t>"),
    ("gamma_u", "Γu<t>"),
    ("gamma_f", "Γf<t>"),
    ("gamma_o", "Γo<t>"),
    ("gamma_r", "Γr<t>"),
    ("gamma_f_bwd", "Γf←<t>"),
    ("c_tilde_fwd", "c̃→<t>"),
    ("da", "∂L/∂a<t>"),
    ("dc_tilde", "∂L/∂c̃<t>"),
    ("dgamma_f", "∂L/∂Γf<t>"),
    ("da_bwd", "∂L/∂a←<t>"),
])
def test_symbols(key, expected):
    trace = make_model("lstm").forward(np.zeros((3, 1, 2)))
    assert trace.symbol(key) == expected


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_to_dataframe(bidirectional):
    model = make_model("lstm", bidirectional=bidirectional)
    x = np.random.default_rng(42).standard_normal((3, M, T_X))
    tokens = ["h", "e", "l", "l", "o"]
    trace = model.forward(x, tokens=tokens)
    df = trace.to_dataframe(example=1)
    assert list(df.columns) == ["t", "token", "unit", "quantity", "symbol", "value", "layer",
                                "intervened"]
    assert not df.intervened.any()                  # no intervention: nothing marked
    assert (df["layer"] == 1).all()
    assert len(df) == sum(trace[k].shape[0] * T_X for k in trace.keys())
    assert df["t"].min() == 1 and df["t"].max() == T_X
    assert set(df["quantity"]) == set(trace.keys())
    for row in df.sample(60, random_state=0).itertuples():
        assert row.value == trace[row.quantity][row.unit, 1, row.t - 1]
        assert row.token == tokens[row.t - 1]
        assert row.symbol == trace.symbol(row.quantity)
    # one quantity as a (unit, t) table equals the array of example 1
    gf = df[df["quantity"] == ("gamma_f_bwd" if bidirectional else "gamma_f")]
    table = gf.pivot(index="unit", columns="t", values="value").to_numpy()
    np.testing.assert_array_equal(table, trace["gamma_f_bwd" if bidirectional else "gamma_f"]
                                  [:, 1, :])
    # selected keys; no tokens -> "t=…" labels
    df_a = model.forward(x).to_dataframe(keys=["a"])
    assert set(df_a["quantity"]) == {"a"}
    assert df_a["token"].iloc[0] == "t=1"
    np.testing.assert_array_equal(df_a["value"].to_numpy().reshape(T_X, -1).T,
                                  model.forward(x)["a"][:, 0, :])


def test_to_dataframe_of_a_float32_trace_and_a_backward_trace():
    model = make_model("gru", dtype="float32")
    rng = np.random.default_rng(43)
    x = rng.standard_normal((3, M, T_X))
    trace = model.forward(x)
    _, _, btrace = model.backward(trace, make_targets(model, M, T_X, rng))
    df = btrace.to_dataframe(example=0, keys=["dgamma_r"])
    assert df["value"].dtype == np.float64
    np.testing.assert_array_equal(df["value"].to_numpy().reshape(T_X, -1).T,
                                  btrace["dgamma_r"][:, 0, :].astype(np.float64))
    assert set(df["symbol"]) == {"∂L/∂Γr<t>"}


# ---------------------------------------------------------------------------------------------
# BackwardTrace quantities against the naive BPTT of tests/core/reference.py


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_backward_trace_matches_reference(cell, activation, bidirectional):
    """∂L/∂a<t> (incl. from step t+1), ∂L/∂c<t>, ∂L/∂Γ (w.r.t. the gate value, e.g.
    ∂L/∂Γf = ∂L/∂c<t> * c<t-1>) and ∂L/∂z per step, per direction."""
    model = make_model(cell, activation, bidirectional)
    rng = np.random.default_rng(44)
    x = rng.standard_normal((3, M, T_X))
    y = make_targets(model, M, T_X, rng)
    trace = model.forward(x)
    loss, grads, btrace = model.backward(trace, y)
    # ∂L/∂z_y<t> = (ŷ<t> - one_hot(y<t>)) / m, then ∂L/∂a<t> from the head = W_y^T ∂L/∂z_y<t>
    dz_y = trace["y_hat"].copy()
    for i in range(M):
        for t in range(T_X):
            dz_y[y[i, t], i, t] -= 1
    dz_y /= M
    da_head = np.einsum("ya,ymt->amt", model.params["Wy"], dz_y)
    n = model.config.n_a
    zeros = (np.zeros((n, M)), np.zeros((n, M)))
    expected = {}
    runs = [("fwd", 1), ("bwd", -1)] if bidirectional else [("", 1)]
    for j, (d, step) in enumerate(runs):
        p = model.to_course_parameters(d)
        xs, da = x[:, :, ::step], da_head[j * n:(j + 1) * n, :, ::step]
        fwd = ref.forward(cell, xs, zeros, p, activation)
        g = ref.backward(cell, da, xs, zeros, p, fwd, activation)
        sfx = f"_{d}" if d else ""
        for k in GRAD_KEYS[cell]:
            expected[k + sfx] = g[k][:, :, ::step]
        for k in p:
            if k not in ("Wy", "Wya", "by"):
                np.testing.assert_allclose(grads[model.config.prefix(d) + k], g["d" + k],
                                           rtol=1e-10, atol=1e-13, err_msg=k)
    if bidirectional:
        expected["dx"] = expected["dx_fwd"] + expected["dx_bwd"]
    assert set(btrace.keys()) == set(expected)
    for k, v in expected.items():
        np.testing.assert_allclose(btrace[k], v, rtol=1e-10, atol=1e-13, err_msg=k)
    assert btrace.loss == loss


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize(("cell", "activation"), CELLS, ids=CELL_IDS)
def test_grad_norm_is_the_norm_of_da(cell, activation, bidirectional):
    model = make_model(cell, activation, bidirectional)
    rng = np.random.default_rng(45)
    x = rng.standard_normal((3, M, T_X))
    _, _, btrace = model.backward(model.forward(x), make_targets(model, M, T_X, rng))
    if bidirectional:
        da = np.concatenate([btrace["da_fwd"], btrace["da_bwd"]])
    else:
        da = btrace["da"]
    expected = [np.linalg.norm(da[:, :, t]) for t in range(T_X)]
    assert btrace.grad_norm.shape == (T_X,)
    np.testing.assert_allclose(btrace.grad_norm, expected, rtol=1e-13)
    assert np.all(btrace.grad_norm > 0)


def test_lstm_gate_gradients_match_finite_differences():
    """∂L/∂Γf<t> by perturbing Γf<t> itself: rerun the LSTM with Γf<t> + ε at one step."""
    model = make_model("lstm")
    rng = np.random.default_rng(46)
    x = rng.standard_normal((3, M, T_X))
    y = make_targets(model, M, T_X, rng)
    _, _, btrace = model.backward(model.forward(x), y)
    p = model.to_course_parameters()
    n = model.config.n_a

    def loss_with_gate_shift(gate, t, unit, example, shift):
        a_prev, c_prev = np.zeros((n, M)), np.zeros((n, M))
        y_hat = np.zeros((3, M, T_X))
        for s in range(T_X):
            concat = np.concatenate([a_prev, x[:, :, s]])
            g = {"f": ref.sigmoid(p["Wf"] @ concat + p["bf"]),
                 "u": ref.sigmoid(p["Wi"] @ concat + p["bi"]),
                 "o": ref.sigmoid(p["Wo"] @ concat + p["bo"]),
                 "c": np.tanh(p["Wc"] @ concat + p["bc"])}
            if s == t:
                g[gate][unit, example] += shift
            c_prev = g["f"] * c_prev + g["u"] * g["c"]
            a_prev = g["o"] * np.tanh(c_prev)
            y_hat[:, :, s] = ref.softmax(p["Wy"] @ a_prev + p["by"])
        return ref.loss("many_to_many", y_hat, y)

    keys = {"f": "dgamma_f", "u": "dgamma_u", "o": "dgamma_o", "c": "dc_tilde"}
    eps = 1e-6
    for gate, key in keys.items():
        for t, unit, example in ((0, 1, 0), (2, 3, 1), (T_X - 1, 0, 1)):
            num = (loss_with_gate_shift(gate, t, unit, example, eps)
                   - loss_with_gate_shift(gate, t, unit, example, -eps)) / (2 * eps)
            assert btrace[key][unit, example, t] == pytest.approx(num, rel=1e-6, abs=1e-10), \
                (key, t)
