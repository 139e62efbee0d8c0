"""Step Jacobians and their spectra (rnnviz.dynamics.jacobians) against finite differences."""

import numpy as np
import pytest

from rnnviz.core.analysis import state_jacobian_norms
from rnnviz.core.model import Model, RNNConfig
from rnnviz.core.recurrent import REGISTRY
from rnnviz.dynamics import (
    jacobian_product,
    jacobian_spectrum,
    spectrum_summary,
    step_jacobians,
)
from rnnviz.dynamics.spectra import singular_values_and_top_pair

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
    real = jacobians.by_halves
    monkeypatch.setattr(jacobians, "by_halves", lambda J: sizes.append(len(J)) or real(J))
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


def _shared(prefix, sj):
    from rnnviz.dynamics.jacobians import _shared_steps

    return _shared_steps(prefix, sj.labels, sj.cell, sj.n_a, sj.layer, tuple(sj.J))


def test_a_prefix_is_not_used_for_a_bidirectional_model_or_another_layer():

    x = np.random.default_rng(8).standard_normal((4, 1, 6))
    bi = small_model("gru", "course", bidirectional=True)
    assert _shared(jacobian_spectrum(bi, x), step_jacobians(bi, x)) == 0
    uni = small_model("gru", "course", layers=2)
    first = jacobian_spectrum(uni, x, layer=1)
    assert _shared(first, step_jacobians(uni, x, layer=2)) == 0
    assert _shared(first, step_jacobians(uni, x, layer=1)) == 6
    assert _shared(None, step_jacobians(uni, x, layer=1)) == 0


@pytest.mark.parametrize("cell,variant,act", CASES)
@pytest.mark.parametrize("layers", [1, 2])
def test_the_steps_after_a_prefix_are_the_same_jacobians(cell, variant, act, layers):
    """With a prefix spectrum, only the steps after the shared ones are formed, from the tape
    cut at the shared step: equal to those steps of the whole sentence's Jacobians, for
    every cell, variant and layer, and for a prefix as long as the sentence (none formed)."""
    from rnnviz.dynamics.jacobians import _step_jacobians

    model = small_model(cell, variant, act, layers)
    x = np.random.default_rng(3).standard_normal((4, 1, 7))
    y = x.copy()
    y[:, :, 4:] = np.random.default_rng(4).standard_normal((4, 1, 3))
    # an array input labels its steps 1..T_x, so every step counts as shared: cut by hand
    for layer in range(1, layers + 1):
        whole = step_jacobians(model, y, layer=layer)
        for keep, labels in ((4, ("1", "2", "3", "4", "a", "b", "c")), (7, whole.labels)):
            first = jacobian_spectrum(model, x, layer=layer)
            first = type(first)(**{**first.__dict__, "labels": labels[:keep]})
            cut, k = _step_jacobians(model, y, layer=layer, prefix=first)
            assert k == keep
            np.testing.assert_allclose(cut.J[""], whole.J[""][keep:], rtol=1e-12, atol=1e-14)
            if whole.carry[""] is not None:
                np.testing.assert_allclose(cut.carry[""], whole.carry[""][keep:], rtol=1e-12)
            spec = jacobian_spectrum(model, y, layer=layer, prefix=first)
            fresh = jacobian_spectrum(model, y, layer=layer)
            np.testing.assert_allclose(spec.sv[""][keep:], fresh.sv[""][keep:], rtol=1e-10)


@pytest.mark.parametrize("name,lanczos_steps", [("char-lm-lstm", "all"), ("char-lm-rnn", "most"),
                                                ("char-lm-gru", "none")])
def test_the_band_matches_a_full_svd_on_the_shipped_lms(name, lanczos_steps, monkeypatch):
    """`top=3`: σ1..σ3 as numpy's SVD, the lower edge within [σ_min, σ_min + band_tol σ1],
    the carry share from the SVD's own top pair; and the route each step takes: Lanczos with
    a norm bound on every LSTM step (a closed forget gate), most RNN steps (a saturated unit),
    no GRU step (its exact route: every singular value)."""
    import rnnviz
    from rnnviz.dynamics import spectra

    m = rnnviz.load_pretrained(name)
    text = "The cat sat on the mat, and then it sat on the hat."
    exact = []
    real = spectra.gram_singular_values
    monkeypatch.setattr(spectra, "gram_singular_values",
                        lambda J: exact.append(len(J)) or real(J))
    band = jacobian_spectrum(m, text, top=3)
    sj = step_jacobians(m, text)
    u, s, vt = np.linalg.svd(sj.J[""])
    T = len(s)
    assert band.sv[""].shape == (T, 4) and (band.top, band.band_tol) == (3, 1e-3)
    np.testing.assert_allclose(band.sv[""][:, :3], s[:, :3], rtol=1e-10)
    edge = band.sv[""][:, 3]
    assert np.all(edge >= s[:, -1] - 1e-7 * s[:, 0])
    assert np.all(edge <= s[:, -1] + 1e-3 * s[:, 0])
    if sj.carry[""] is not None:
        share = (u[:, :, 0] * sj.carry[""] * vt[:, 0]).sum(axis=1) / s[:, 0]
        np.testing.assert_allclose(band.carry_share[""], np.clip(share, 0, 1), atol=1e-5)
    exact_steps = sum(exact)
    if lanczos_steps == "all":
        assert exact_steps == 0
    elif lanczos_steps == "most":
        assert exact_steps < T / 4
    else:
        assert exact_steps == T
        np.testing.assert_allclose(edge, s[:, -1], atol=1e-7 * s[:, 0].max())


def test_lanczos_finds_known_singular_values_and_bounds_the_smallest():
    """Batched Lanczos on matrices of known spectra: each step's σ1..σ3 and top right singular
    vector, whichever other steps share its batch; θ_min bounds σ_min² from above; the norm
    bound is above σ_min; a step that cannot settle in `max_m` products is NaN, not
    ok, and leaves the others alone."""
    from rnnviz.core.recurrent.step_operator import StepOperator
    from rnnviz.dynamics.spectra import lanczos_top

    rng = np.random.default_rng(11)
    n, T = 200, 3
    sigma = np.sort(rng.uniform(0.01, 1.0, (T, n)), axis=1)[:, ::-1]
    sigma[:, :3] = [[5.0, 4.0, 3.5], [2.0, 1.5, 1.2], [9.0, 8.99, 3.0]]
    J, right = np.empty((T, n, n)), np.empty((T, n, n))
    for t in range(T):
        Q1, _ = np.linalg.qr(rng.standard_normal((n, n)))
        right[t], _ = np.linalg.qr(rng.standard_normal((n, n)))
        J[t] = Q1 @ np.diag(sigma[t]) @ right[t].T
    theta, v, theta_min, ok = lanczos_top(J, 3)
    assert ok.all()
    np.testing.assert_allclose(np.sqrt(theta), sigma[:, :3], rtol=1e-11)
    for t in range(T):
        assert abs(abs(v[t] @ right[t][:, 0]) - 1) < 1e-8            # the top right vector
        alone = lanczos_top(J[t:t + 1], 3)
        np.testing.assert_allclose(alone[0][0], theta[t], rtol=1e-13)
    assert np.all(theta_min >= sigma[:, -1] ** 2 - 1e-12)
    b = StepOperator.of_matrices(J).sigma_min_bound()
    np.testing.assert_allclose(b, np.minimum(np.linalg.norm(J, axis=1).min(axis=1),
                                             np.linalg.norm(J, axis=2).min(axis=1)))
    assert np.all(sigma[:, -1] <= b)
    # a zero column makes σ_min = 0, and the bound says so
    J[1, :, 7] = 0.0
    assert StepOperator.of_matrices(J).sigma_min_bound()[1] == 0.0
    # step 2's σ3 = 1.2 sits close to the bulk (≤ 1): 20 products do not settle it (28 do),
    # so that step is left to the exact route and the others are as before
    theta, v, _, ok = lanczos_top(J, 3, max_m=20)
    assert ok.tolist() == [True, False, True] and np.isnan(theta[1]).all()
    np.testing.assert_allclose(np.sqrt(theta[[0, 2]]), sigma[[0, 2], :3], rtol=1e-11)


@pytest.mark.parametrize("cell,variant,act", CASES)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_the_step_operator_is_the_formed_jacobians(cell, variant, act, bidirectional):
    """`Cell.jacobian_operator`: J<t> x and J<t>ᵀ y for every step equal the formed
    `step_jacobians`, for every cell, variant and direction; its bound on σ_min is a row or
    column norm (the course GRU: at least the least row norm), and a subset of steps is
    those steps."""
    model = small_model(cell, variant, act, bidirectional=bidirectional, seed=2)
    x = np.random.default_rng(9).standard_normal((4, 1, 6))
    trace = model.forward(x)
    rng = np.random.default_rng(10)
    for d in model.config.directions:
        tape = trace.tapes[d]
        params = model.cell_params(d, 1)
        J = np.asarray(model.cell.step_jacobians(params, tape))[:, 0]
        op = model.cell.jacobian_operator(params, tape)
        X, Y = rng.standard_normal((2, 6, J.shape[1]))
        np.testing.assert_allclose(op.mv(X), np.einsum("tij,tj->ti", J, X), atol=1e-13)
        np.testing.assert_allclose(op.rmv(Y), np.einsum("tij,ti->tj", J, Y), atol=1e-13)
        rows, cols = np.linalg.norm(J, axis=2), np.linalg.norm(J, axis=1)
        b = op.sigma_min_bound()
        s = np.linalg.svd(J, compute_uv=False)
        assert np.all(b >= s[:, -1] - 1e-12)
        if (cell, variant) == ("gru", "course"):    # upper bounds of the row norms
            assert np.all(b >= rows.min(axis=1) - 1e-12)
        else:                                       # the least of some row / column norms
            norms = np.concatenate([rows, cols], axis=1)
            assert np.all(np.abs(norms - b[:, None]).min(axis=1) <= 1e-12)
        sub = op.take([4, 1])
        np.testing.assert_allclose(sub.mv(X[:2]), np.einsum("tij,tj->ti", J[[4, 1]], X[:2]),
                                   atol=1e-13)
        np.testing.assert_array_equal(sub.dense(), J[[4, 1]])
        assert op.finite().all()


def test_the_lstm_operator_bounds_read_a_closed_forget_gate():
    """The LSTM's cheap bounds include the c-columns, Γf_j √(1 + κ_j²): a forget gate shut
    (a huge negative bias) makes every step's b tiny, as the formed Jacobian's least
    column norm."""
    model = small_model("lstm", "course", seed=4)
    model.params["bf"] = np.full_like(model.params["bf"], -40.0)
    x = np.random.default_rng(3).standard_normal((4, 1, 5))
    tape = model.forward(x).tapes[""]
    op = model.cell.jacobian_operator(model.cell_params("", 1), tape)
    J = op.dense()
    b = op.sigma_min_bound()
    np.testing.assert_allclose(b, np.linalg.norm(J, axis=1).min(axis=1), rtol=1e-9)
    assert np.all(b < 1e-15) and np.all(np.linalg.norm(J, axis=1).max(axis=1) > 1e-3)


@pytest.mark.parametrize("name", ["char-lm-lstm", "char-lm-gru"])
def test_a_band_reuses_only_a_band_prefix(name):
    """A band computed after another text's band takes the shared steps from it and equals a
    fresh band; a full spectrum is never a band's prefix, nor the other way round."""
    import rnnviz
    from rnnviz.dynamics import jacobians

    m = rnnviz.load_pretrained(name)
    first = jacobian_spectrum(m, "The cat sat on the mat.", top=3)
    again = jacobian_spectrum(m, "The cat sat on a hat!", prefix=first, top=3)
    fresh = jacobian_spectrum(m, "The cat sat on a hat!", top=3)
    np.testing.assert_allclose(again.sv[""], fresh.sv[""], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(again.carry_share[""], fresh.carry_share[""], atol=1e-9)
    full = jacobian_spectrum(m, "The cat sat on the mat.")
    sj = step_jacobians(m, "The cat sat on a hat!")
    args = (sj.labels, sj.cell, sj.n_a, sj.layer, ("",))
    assert jacobians._shared_steps(first, *args, kind=(3, 1e-3)) == len("The cat sat on ")
    assert jacobians._shared_steps(full, *args, kind=(3, 1e-3)) == 0
    assert jacobians._shared_steps(first, *args) == 0
    assert jacobian_spectrum(m, "The cat sat on a hat!", prefix=first).sv[""].shape[1] == 2 * 256 \
        if name.endswith("lstm") else 256


@pytest.mark.parametrize("cell,variant,act", CASES)
@pytest.mark.parametrize("layers,bidirectional", [(1, True), (2, False)])
def test_the_band_through_products_is_the_full_spectrums_top(cell, variant, act, layers,
                                                            bidirectional):
    """`top=3` reads the steps through `Cell.jacobian_operator` (products, both directions in
    the input's time order, any layer): σ1..σ3 as the full spectrum from the formed
    Jacobians, its lower edge within [σ_min, σ_min + band_tol σ1], the same carry share."""
    cfg = RNNConfig(cell=cell, variant=variant, activation=act, n_x=4, n_a=6, n_y=2,
                    layers=layers, bidirectional=bidirectional, dtype="float64")
    model = Model.init(cfg, np.random.default_rng(5))
    for k, v in model.params.items():         # larger weights: gates away from 1/2
        model.params[k] = v * 3
    x = np.random.default_rng(6).standard_normal((4, 1, 9))
    for layer in range(1, layers + 1):
        band = jacobian_spectrum(model, x, layer=layer, top=3)
        full = jacobian_spectrum(model, x, layer=layer)
        assert list(band.sv) == list(model.config.directions)
        for d in band.sv:
            s = full.sv[d]
            # a zero singular value (a ReLU unit off) is noise at √eps σ1 in the full one
            assert np.all(np.abs(band.sv[d][:, :3] - s[:, :3]) <= 1e-9 * s[:, :3]
                          + 1e-7 * s[:, :1])
            assert np.all(band.sv[d][:, 3] >= s[:, -1] - 1e-7 * s[:, 0])
            assert np.all(band.sv[d][:, 3] <= s[:, -1] + 1e-3 * s[:, 0])
            np.testing.assert_allclose(band.carry_share[d], full.carry_share[d], atol=1e-6)


def test_a_band_of_a_two_unit_model_draws_two_lines():
    """n_s = 2 < 3: the band has σ1, σ2 and its edge; the figure draws two σ lines, not the
    edge as a third."""
    from rnnviz.figures.dynamics import spectrum_figure

    model = small_model("rnn", "course")
    cfg = RNNConfig(cell="rnn", n_x=4, n_a=2, n_y=2, dtype="float64")
    model = Model.init(cfg, np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((4, 1, 5))
    band = jacobian_spectrum(model, x, top=3)
    full = jacobian_spectrum(model, x)
    assert band.sv[""].shape == (5, 3)
    np.testing.assert_allclose(band.sv[""][:, :2], full.sv[""], rtol=1e-10)
    names = [t["name"] for t in spectrum_figure({"m": band}).to_dict()["data"]]
    assert names == ["m min", "m band", "m σ1", "m σ2"]


@pytest.mark.parametrize("top", [None, 3])
def test_a_network_whose_state_overflows_gets_nan_steps_not_an_error(top):
    """A NaN recurrent weight reached from step 3 on: the spectrum of steps 1-2 is the same
    as without it, the later steps are NaN (left blank), the summary counts the finite ones
    and the hover says why; eigenvalues likewise."""
    model = small_model("gru", "course")
    x = np.random.default_rng(2).standard_normal((4, 1, 6))
    clean = jacobian_spectrum(model, x, top=top)
    x[0, 0, 2] = np.nan                                    # the input of step 3
    spec = jacobian_spectrum(model, x, top=top, eigenvalues=top is None)
    assert spec.nonfinite("").tolist() == [False, False, True, True, True, True]
    np.testing.assert_allclose(spec.sv[""][:2], clean.sv[""][:2], rtol=1e-12)
    assert np.isnan(spec.sv[""][2:]).all() and np.isnan(spec.carry_share[""][2:]).all()
    s = spectrum_summary(spec)
    assert s["steps"] == 6 and s["median"] == pytest.approx(np.median(clean.sv[""][:2, 0]))
    assert "not finite" in spec.gate_note("", 3)
    if top is None:
        assert np.isnan(spec.eig[""][2:]).all() and np.isfinite(spec.eig[""][:2]).all()
