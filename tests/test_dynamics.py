"""Step Jacobians and their spectra (rnnviz.dynamics.jacobians) against finite differences."""

import numpy as np
import pytest

from rnnviz.core.analysis import state_jacobian_norms
from rnnviz.core.model import Model, RNNConfig
from rnnviz.core.recurrent import REGISTRY
from rnnviz.dynamics import jacobian_product, jacobian_spectrum, step_jacobians
from rnnviz.dynamics.jacobians import singular_values_and_top_pair

CASES = [(cell, variant, act) for (cell, variant) in REGISTRY
         for act in (("tanh", "relu") if cell == "rnn" else ("tanh",))]


def small_model(cell, variant, act="tanh", layers=1, bidirectional=False, seed=0):
    cfg = RNNConfig(cell=cell, variant=variant, activation=act, n_x=4, n_a=3, n_y=2,
                    layers=layers, bidirectional=bidirectional, dtype="float64")
    model = Model.init(cfg, np.random.default_rng(seed))
    for k, v in model.params.items():         # larger weights: gates away from 1/2
        model.params[k] = v * 3
    return model


def one_step(model, layer, d, X_row, s):
    """F(s) for one step of one layer / direction: the cell's forward pass of length 1."""
    cell, n = model.cell, model.config.n_a
    state = tuple(s[None, i * n:(i + 1) * n].copy() for i in range(len(cell.state)))
    tape = cell.forward(cell.pack(model.cell_params(d, layer)), X_row[None, None], state)
    return np.concatenate([tape.A[0, 0]] + ([tape.C[0, 0]] if "c" in cell.state else []))


def tape_states(tape, cell):
    """s<0..T_x> of a tape, (T_x + 1, n_s), in the tape's reading order."""
    A = np.concatenate([tape.a0[None], tape.A])[:, 0]
    if "c" not in cell.state:
        return A
    C = np.concatenate([tape.c0[None], tape.C])[:, 0]
    return np.concatenate([A, C], axis=1)


@pytest.mark.parametrize("cell,variant,act", CASES)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_step_jacobians_match_central_differences(cell, variant, act, layers, bidirectional):
    model = small_model(cell, variant, act, layers, bidirectional)
    x = np.random.default_rng(1).standard_normal((4, 1, 5))
    trace = model.forward(x)
    eps = 1e-6
    for layer in range(1, layers + 1):
        sj = step_jacobians(model, x, layer=layer)
        for d in model.config.directions:
            tape = trace.layer_tapes[layer - 1][d]
            S = tape_states(tape, model.cell)
            T = S.shape[0] - 1
            for i in range(T):
                n_s = S.shape[1]
                fd = np.empty((n_s, n_s))
                for j in range(n_s):
                    e = np.zeros(n_s)
                    e[j] = eps
                    fd[:, j] = (one_step(model, layer, d, tape.X[i, 0], S[i] + e)
                                - one_step(model, layer, d, tape.X[i, 0], S[i] - e)) / (2 * eps)
                # the tape's step i is input position T-1-i for the backward direction
                J = sj.J[d][T - 1 - i if d == "bwd" else i]
                assert np.abs(fd).max() > 1e-3           # not a vacuous comparison
                np.testing.assert_allclose(J, fd, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("cell,variant,act", CASES)
def test_product_of_step_jacobians_is_the_vanishing_page_gradient(cell, variant, act):
    model = small_model(cell, variant, act, seed=2)
    x = np.random.default_rng(3).standard_normal((4, 1, 7))
    sj = step_jacobians(model, x)
    norms = state_jacobian_norms(model, model.forward(x))
    n = model.config.n_a
    for t in range(7):                 # norms[t] = ‖∂a<T_x>/∂a<t+1>‖ (a-rows, a-columns)
        P = jacobian_product(sj, t + 1)
        assert np.linalg.norm(P[:n, :n]) == pytest.approx(norms[t], rel=1e-10)


@pytest.mark.parametrize("T_x", [6, 11])         # 11: the steps split over two threads
def test_spectrum_is_sorted_and_matches_numpy(T_x):
    model = small_model("lstm", "course", seed=4)
    x = np.random.default_rng(5).standard_normal((4, 1, T_x))
    spec = jacobian_spectrum(model, x, eigenvalues=True)
    sj = step_jacobians(model, x)
    _, (U, V) = singular_values_and_top_pair(sj.J[""])
    for t in range(T_x):
        u, s, vt = np.linalg.svd(sj.J[""][t])       # the top pair, up to a common sign
        # σ = √λ(JᵀJ): exact to eps relative at the top, to ~√eps σ_max absolute below
        np.testing.assert_allclose(spec.sv[""][t], s, rtol=1e-9, atol=1e-7 * s[0])
        np.testing.assert_allclose(spec.sv[""][t, :3], s[:3], rtol=1e-12)
        np.testing.assert_allclose(np.sort(np.abs(spec.eig[""][t])),
                                   np.sort(np.abs(np.linalg.eigvals(sj.J[""][t]))))
        sign = np.sign(u[:, 0] @ U[t])
        np.testing.assert_allclose(sign * U[t], u[:, 0], atol=1e-6)
        np.testing.assert_allclose(sign * V[t], vt[0], atol=1e-6)
    assert np.all(np.diff(spec.sv[""], axis=1) <= 0)
    assert np.all((spec.carry_share[""] >= 0) & (spec.carry_share[""] <= 1))


def test_forget_gate_at_one_puts_a_singular_value_at_one():
    """Γf = 1 (huge forget bias), Γu = 0 and Γo = 0: c<t> = c<t-1> and a<t> = 0, so J<t> is
    diag(0, I): σ_max = 1 at every step, all of it through Γf. A plain RNN has no carry."""
    model = small_model("lstm", "course", seed=6)
    model.params["bf"] = np.full_like(model.params["bf"], 60.0)
    model.params["bi"] = np.full_like(model.params["bi"], -60.0)
    model.params["bo"] = np.full_like(model.params["bo"], -60.0)
    x = np.random.default_rng(7).standard_normal((4, 1, 5))
    spec = jacobian_spectrum(model, x)
    np.testing.assert_allclose(spec.sv[""][:, 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(spec.carry_share[""], 1.0, atol=1e-9)
    assert "Γf" in spec.gate_note("", 0) and "100%" in spec.gate_note("", 0)
    rnn = jacobian_spectrum(small_model("rnn", "course"), x)
    assert np.all(rnn.carry_share[""] == 0) and "no gate" in rnn.gate_note("", 0)


def test_model_in_use_text_and_bad_layer():
    import rnnviz
    m = rnnviz.load_pretrained("char-lm-gru")
    sj = step_jacobians(m, "abc")
    assert sj.J[""].shape == (3, m.config.n_a, m.config.n_a)
    assert sj.labels == ("a", "b", "c")
    with pytest.raises(ValueError, match="layer"):
        step_jacobians(m, "abc", layer=2)
    with pytest.raises(ValueError, match="no tokens"):
        step_jacobians(m, "")


def test_shipped_lstm_spectrum_and_carry_share_match_a_full_svd():
    """On the trained n_a = 256 LSTM (n_s = 512, gates near 1, close top singular values):
    σ1..σ3 as numpy's SVD, the band's floor to 1e-7 σ_max, and the share of σ_max through Γf
    as computed from the SVD's own top pair."""
    import rnnviz
    m = rnnviz.load_pretrained("char-lm-lstm")
    text = "The cat sat on the mat."
    spec = jacobian_spectrum(m, text)
    sj = step_jacobians(m, text)
    J = sj.J[""]
    u, s, vt = np.linalg.svd(J)
    np.testing.assert_allclose(spec.sv[""][:, :3], s[:, :3], rtol=1e-10)
    assert np.all(np.abs(spec.sv[""] - s) <= 1e-7 * s[:, :1])
    share = (u[:, :, 0] * sj.carry[""] * vt[:, 0]).sum(axis=1) / s[:, 0]
    np.testing.assert_allclose(spec.carry_share[""], np.clip(share, 0, 1), atol=1e-5)


@pytest.mark.parametrize("name", ["char-lm-lstm", "char-lm-gru"])
def test_a_new_sentence_reuses_the_steps_it_shares_at_its_start(name, monkeypatch):
    """`prefix`: the steps of the leading tokens two sentences share come from the earlier
    spectrum, the others are computed; the result equals a fresh computation. A text that is
    a prefix of the earlier one computes no step at all."""
    import rnnviz
    from rnnviz.dynamics import jacobians

    m = rnnviz.load_pretrained(name)
    first = jacobian_spectrum(m, "The cat sat on the mat.")
    fresh = jacobian_spectrum(m, "The cat sat on a hat!")
    sizes = []
    real = jacobians._by_halves
    monkeypatch.setattr(jacobians, "_by_halves", lambda J: sizes.append(len(J)) or real(J))
    again = jacobian_spectrum(m, "The cat sat on a hat!", prefix=first)
    assert sizes == [len("a hat!")]               # "The cat sat on " is shared
    np.testing.assert_allclose(again.sv[""], fresh.sv[""], rtol=1e-10, atol=1e-12)
    # the share's top pair comes from a power iteration whose start depends on where the
    # computed steps begin: equal to its accuracy (1e-5 against a full SVD, test above)
    np.testing.assert_allclose(again.carry_share[""], fresh.carry_share[""], atol=1e-6)
    assert again.labels == fresh.labels
    short = jacobian_spectrum(m, "The cat", prefix=first)
    assert sizes[-1] == 0
    np.testing.assert_array_equal(short.sv[""], first.sv[""][:7])


def test_a_prefix_is_not_used_for_a_bidirectional_model_or_another_layer():
    from rnnviz.dynamics.jacobians import _shared_steps

    x = np.random.default_rng(8).standard_normal((4, 1, 6))
    bi = small_model("gru", "course", bidirectional=True)
    assert _shared_steps(jacobian_spectrum(bi, x), step_jacobians(bi, x)) == 0
    uni = small_model("gru", "course", layers=2)
    first = jacobian_spectrum(uni, x, layer=1)
    assert _shared_steps(first, step_jacobians(uni, x, layer=2)) == 0
    assert _shared_steps(first, step_jacobians(uni, x, layer=1)) == 6
    assert _shared_steps(None, step_jacobians(uni, x, layer=1)) == 0
