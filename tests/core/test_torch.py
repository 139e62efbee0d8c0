"""The NumPy core against PyTorch autograd (float64). Skipped when torch is absent on a
developer's machine, failed when it is absent in CI (tests/core/torch_support.py); the same
quantities are checked without torch in test_course_api.py and test_gradients.py.

torch.nn.LSTM packs its gates as [i | f | g | o] (i = the course's update gate Γu, g = c̃) in
weight_ih (4 n_a, n_x) and weight_hh (4 n_a, n_a); the seed has one (n_a, n_a + n_x) matrix per
gate acting on [a<t-1>; x<t>]. torch.nn.GRU applies the reset gate after the matmul, unlike the
course's full GRU, so the GRU is written out with torch operations instead.
"""

import numpy as np
import pytest

import rnnviz

from .cases import make_model
from .torch_support import import_torch

torch = import_torch()

N_X, N_A, N_Y, M, T_X = 3, 5, 4, 3, 6


def t64(a, grad=False):
    return torch.tensor(np.array(a), dtype=torch.float64, requires_grad=grad)


def np_(t):
    return t.detach().numpy()


@pytest.fixture
def rng():
    return np.random.default_rng(3)


def lstm_to_torch(p, n_a):
    """An nn.LSTM holding the course's LSTM parameters p (torch gate order i, f, g, o)."""
    lstm = torch.nn.LSTM(p["Wf"].shape[1] - n_a, n_a).double()
    W = np.concatenate([p["Wi"], p["Wf"], p["Wc"], p["Wo"]], axis=0)
    b = np.concatenate([p["bi"], p["bf"], p["bc"], p["bo"]], axis=0)[:, 0]
    with torch.no_grad():
        lstm.weight_hh_l0.copy_(t64(W[:, :n_a]))
        lstm.weight_ih_l0.copy_(t64(W[:, n_a:]))
        lstm.bias_ih_l0.copy_(t64(b))
        lstm.bias_hh_l0.zero_()
    return lstm


def lstm_grads_from_torch(lstm, n_a):
    """Per-gate gradients with the course's names from nn.LSTM's fused gradients."""
    W = np.concatenate([np_(lstm.weight_hh_l0.grad), np_(lstm.weight_ih_l0.grad)], axis=1)
    b = np_(lstm.bias_ih_l0.grad)[:, None]
    out = {}
    for i, g in enumerate(("i", "f", "c", "o")):
        out["dW" + g] = W[i * n_a:(i + 1) * n_a]
        out["db" + g] = b[i * n_a:(i + 1) * n_a]
    return out


def test_seed_lstm_matches_torch_lstm(rng):
    p = {k: 0.6 * rng.standard_normal((N_A, N_A + N_X)) for k in ("Wf", "Wi", "Wc", "Wo")}
    p.update({k: 0.6 * rng.standard_normal((N_A, 1)) for k in ("bf", "bi", "bc", "bo")})
    p["Wy"], p["by"] = rng.standard_normal((N_Y, N_A)), rng.standard_normal((N_Y, 1))
    x, a0 = rng.standard_normal((N_X, M, T_X)), rng.standard_normal((N_A, M))
    R = rng.standard_normal((N_A, M, T_X))

    a, y, c, caches = rnnviz.lstm_forward(x, a0, p)
    g = rnnviz.lstm_backward(R, caches)

    lstm = lstm_to_torch(p, N_A)
    xt = t64(x.transpose(2, 1, 0), grad=True)                  # torch: (T_x, m, n_x)
    h0 = t64(a0.T[None], grad=True)
    out, _ = lstm(xt, (h0, torch.zeros(1, M, N_A, dtype=torch.float64)))
    # torch returns h<t> only; c<t> step by step from the final state of each prefix
    c_torch = np.stack([np_(lstm(xt[:t + 1], (h0, torch.zeros_like(h0)))[1][1][0]).T
                        for t in range(T_X)], axis=2)
    np.testing.assert_allclose(a, np_(out).transpose(2, 1, 0), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(c, c_torch, rtol=1e-12, atol=1e-13)
    (out * t64(R.transpose(2, 1, 0))).sum().backward()          # J = Σ a * R
    expected = lstm_grads_from_torch(lstm, N_A)
    for k, v in expected.items():
        np.testing.assert_allclose(g[k], v, rtol=1e-10, atol=1e-12, err_msg=k)
    np.testing.assert_allclose(g["dx"], np_(xt.grad).transpose(2, 1, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g["da0"], np_(h0.grad)[0].T, rtol=1e-10, atol=1e-12)


def test_seed_rnn_matches_torch_rnn(rng):
    p = {"Wax": rng.standard_normal((N_A, N_X)), "Waa": 0.5 * rng.standard_normal((N_A, N_A)),
         "ba": rng.standard_normal((N_A, 1)), "Wya": rng.standard_normal((N_Y, N_A)),
         "by": rng.standard_normal((N_Y, 1))}
    x, a0 = rng.standard_normal((N_X, M, T_X)), rng.standard_normal((N_A, M))
    R = rng.standard_normal((N_A, M, T_X))
    a, y_pred, caches = rnnviz.rnn_forward(x, a0, p)
    g = rnnviz.rnn_backward(R, caches)

    rnn = torch.nn.RNN(N_X, N_A, nonlinearity="tanh").double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(t64(p["Wax"]))
        rnn.weight_hh_l0.copy_(t64(p["Waa"]))
        rnn.bias_ih_l0.copy_(t64(p["ba"][:, 0]))
        rnn.bias_hh_l0.zero_()
    xt = t64(x.transpose(2, 1, 0), grad=True)
    h0 = t64(a0.T[None], grad=True)
    out, _ = rnn(xt, h0)
    y_torch = torch.softmax(out @ t64(p["Wya"]).T + t64(p["by"][:, 0]), dim=-1)
    np.testing.assert_allclose(a, np_(out).transpose(2, 1, 0), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(y_pred, np_(y_torch).transpose(2, 1, 0), rtol=1e-12, atol=1e-13)
    (out * t64(R.transpose(2, 1, 0))).sum().backward()
    np.testing.assert_allclose(g["dWax"], np_(rnn.weight_ih_l0.grad), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g["dWaa"], np_(rnn.weight_hh_l0.grad), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g["dba"][:, 0], np_(rnn.bias_ih_l0.grad), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(g["dx"], np_(xt.grad).transpose(2, 1, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g["da0"], np_(h0.grad)[0].T, rtol=1e-10, atol=1e-12)


def test_seed_gru_matches_torch_autograd(rng):
    """The course's full GRU written with torch ops, differentiated by autograd."""
    p = {k: 0.6 * rng.standard_normal((N_A, N_A + N_X)) for k in ("Wu", "Wr", "Wc")}
    p.update({k: 0.6 * rng.standard_normal((N_A, 1)) for k in ("bu", "br", "bc")})
    p["Wy"], p["by"] = rng.standard_normal((N_Y, N_A)), rng.standard_normal((N_Y, 1))
    x, c0 = rng.standard_normal((N_X, M, T_X)), rng.standard_normal((N_A, M))
    R = rng.standard_normal((N_A, M, T_X))
    c, _, caches = rnnviz.gru_forward(x, c0, p)
    g = rnnviz.gru_backward(R, caches)

    tp = {k: t64(v, grad=True) for k, v in p.items()}
    tx, tc0 = t64(x, grad=True), t64(c0, grad=True)
    c_prev, cs = tc0, []
    for t in range(T_X):
        xt = tx[:, :, t]
        gamma_u = torch.sigmoid(tp["Wu"] @ torch.cat([c_prev, xt]) + tp["bu"])
        gamma_r = torch.sigmoid(tp["Wr"] @ torch.cat([c_prev, xt]) + tp["br"])
        c_tilde = torch.tanh(tp["Wc"] @ torch.cat([gamma_r * c_prev, xt]) + tp["bc"])
        c_prev = gamma_u * c_tilde + (1 - gamma_u) * c_prev
        cs.append(c_prev)
    c_torch = torch.stack(cs, dim=2)
    np.testing.assert_allclose(c, np_(c_torch), rtol=1e-12, atol=1e-13)
    (c_torch * t64(R)).sum().backward()
    for k in ("Wu", "Wr", "Wc", "bu", "br", "bc"):
        np.testing.assert_allclose(g["d" + k], np_(tp[k].grad), rtol=1e-10, atol=1e-12,
                                   err_msg=k)
    np.testing.assert_allclose(g["dx"], np_(tx.grad), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g["dc0"], np_(tc0.grad), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("head", ["many_to_many", "many_to_one", "many_to_one_sigmoid"])
def test_bidirectional_lstm_model_matches_torch(head, rng):
    """Model (bidirectional LSTM + head + loss) against nn.LSTM(bidirectional) + Linear + loss."""
    model = make_model("lstm", bidirectional=True, head=head, n_x=N_X, n_a=N_A, n_y=N_Y)
    x = rng.standard_normal((N_X, M, T_X))
    n_y = model.config.n_y
    if head == "many_to_many":
        y = rng.integers(0, n_y, size=(M, T_X))
        y[0, 2] = -1
    elif head == "many_to_one":
        y = rng.integers(0, n_y, size=M)
    else:
        y = np.array([1.0, 0.0, 1.0])
    loss, grads, btrace = model.backward(model.forward(x), y)

    lstm = torch.nn.LSTM(N_X, N_A, bidirectional=True).double()
    fwd, bwd = model.to_course_parameters("fwd"), model.to_course_parameters("bwd")
    for sfx, p in (("", fwd), ("_reverse", bwd)):
        W = np.concatenate([p["Wi"], p["Wf"], p["Wc"], p["Wo"]], axis=0)
        b = np.concatenate([p["bi"], p["bf"], p["bc"], p["bo"]], axis=0)[:, 0]
        with torch.no_grad():
            getattr(lstm, "weight_hh_l0" + sfx).copy_(t64(W[:, :N_A]))
            getattr(lstm, "weight_ih_l0" + sfx).copy_(t64(W[:, N_A:]))
            getattr(lstm, "bias_ih_l0" + sfx).copy_(t64(b))
            getattr(lstm, "bias_hh_l0" + sfx).zero_()
    Wy, by = t64(model.params["Wy"], grad=True), t64(model.params["by"][:, 0], grad=True)
    xt = t64(x.transpose(2, 1, 0), grad=True)
    out, _ = lstm(xt)                                             # (T, m, 2 n_a) = [a→; a←]
    z = out @ Wy.T + by
    if head == "many_to_many":
        yt = torch.tensor(y.T)
        total = torch.nn.functional.cross_entropy(z.reshape(-1, n_y), yt.reshape(-1),
                                                  ignore_index=-1, reduction="sum")
    elif head == "many_to_one":
        total = torch.nn.functional.cross_entropy(z[-1], torch.tensor(y), reduction="sum")
    else:
        total = torch.nn.functional.binary_cross_entropy_with_logits(
            z[-1, :, 0], t64(y), reduction="sum")
    torch_loss = total / M
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    np.testing.assert_allclose(model.forward(x)["a"], np_(out).transpose(2, 1, 0), rtol=1e-12,
                               atol=1e-13)
    np.testing.assert_allclose(grads["Wy"], np_(Wy.grad), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["by"][:, 0], np_(by.grad), rtol=1e-10, atol=1e-12)
    for d, sfx in (("fwd", ""), ("bwd", "_reverse")):
        W = np.concatenate([np_(getattr(lstm, "weight_hh_l0" + sfx).grad),
                            np_(getattr(lstm, "weight_ih_l0" + sfx).grad)], axis=1)
        b = np_(getattr(lstm, "bias_ih_l0" + sfx).grad)
        for i, gate in enumerate(("i", "f", "c", "o")):
            rows = slice(i * N_A, (i + 1) * N_A)
            np.testing.assert_allclose(grads[f"{d}.W{gate}"], W[rows], rtol=1e-10, atol=1e-12,
                                       err_msg=f"{d}.W{gate}")
            np.testing.assert_allclose(grads[f"{d}.b{gate}"][:, 0], b[rows], rtol=1e-10,
                                       atol=1e-12, err_msg=f"{d}.b{gate}")
    np.testing.assert_allclose(btrace["dx"], np_(xt.grad).transpose(2, 1, 0), rtol=1e-10,
                               atol=1e-12)


def test_relu_rnn_model_matches_torch(rng):
    model = make_model("rnn", "relu", head="many_to_many", n_x=N_X, n_a=N_A, n_y=N_Y)
    x = rng.standard_normal((N_X, M, T_X))
    y = rng.integers(0, N_Y, size=(M, T_X))
    loss, grads, btrace = model.backward(model.forward(x), y)
    rnn = torch.nn.RNN(N_X, N_A, nonlinearity="relu").double()
    P = model.params
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(t64(P["Wax"]))
        rnn.weight_hh_l0.copy_(t64(P["Waa"]))
        rnn.bias_ih_l0.copy_(t64(P["ba"][:, 0]))
        rnn.bias_hh_l0.zero_()
    Wy, by = t64(P["Wy"], grad=True), t64(P["by"][:, 0], grad=True)
    xt = t64(x.transpose(2, 1, 0), grad=True)
    out, _ = rnn(xt)
    z = out @ Wy.T + by
    torch_loss = torch.nn.functional.cross_entropy(
        z.reshape(-1, N_Y), torch.tensor(y.T).reshape(-1), reduction="sum") / M
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    for name, t in (("Wax", rnn.weight_ih_l0), ("Waa", rnn.weight_hh_l0)):
        np.testing.assert_allclose(grads[name], np_(t.grad), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["ba"][:, 0], np_(rnn.bias_ih_l0.grad), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(grads["Wy"], np_(Wy.grad), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(btrace["dx"], np_(xt.grad).transpose(2, 1, 0), rtol=1e-10,
                               atol=1e-12)
