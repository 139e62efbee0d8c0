"""InitConfig(scheme="pytorch"): torch's nn.RNN / nn.GRU / nn.LSTM `reset_parameters`.

torch draws every weight and both biases b_ih, b_hh from U(-k, k), k = 1/√n_a. In the course's
layout one b = b_ih + b_hh, so b is the sum of two: triangular on [-2k, 2k], variance 2k²/3,
P(|b| > k) = 1/4 (a single uniform would give k²/3 and 0). The numbers below come from these
formulas; the last test draws an actual torch module and compares the two samples.
"""

import numpy as np
import pytest

from rnnviz import InitConfig, Model, RNNConfig
from rnnviz.core.init import bias, input_block, recurrent

from .cases import VARIANT_CELLS, VARIANT_IDS

N_A, N_X = 256, 40
TORCH = InitConfig(scheme="pytorch", forget_bias=0.0)


def ks_distance(a, b):
    """Two-sample Kolmogorov-Smirnov statistic sup |F_a - F_b|."""
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    grid = np.concatenate([a, b])
    return float(np.max(np.abs(np.searchsorted(a, grid, side="right") / a.size
                               - np.searchsorted(b, grid, side="right") / b.size)))


def ks_critical(n, m, c=1.95):
    """The KS distance two samples of one distribution stay under at α ≈ 0.001."""
    return c * np.sqrt((n + m) / (n * m))


def split(model):
    """(weights, folded biases, plain biases) of every layer and direction, flattened.
    The torch GRU's b_c = b_in and b_ca = b_hn are single draws; every other b is a sum."""
    cfg = model.config
    weights, folded, plain = [], [], []
    for name, v in model.params.items():
        if name in ("Wy", "by"):
            continue
        gate = name.rsplit(".", 1)[-1]
        if gate.startswith("W"):
            weights.append(v.ravel())
        elif cfg.variant == "torch" and gate in ("bc", "bca"):
            plain.append(v.ravel())
        else:
            folded.append(v.ravel())
    return tuple(np.concatenate(xs) if xs else np.zeros(0) for xs in (weights, folded, plain))


def test_the_three_draws_follow_the_formulas():
    rng = np.random.default_rng(0)
    k = 1 / np.sqrt(N_A)
    W_aa, W_ax = recurrent(rng, N_A, TORCH), input_block(rng, N_A, N_X, TORCH)
    assert W_aa.shape == (N_A, N_A) and W_ax.shape == (N_A, N_X)
    for W in (W_aa, W_ax):
        assert np.abs(W).max() <= k and np.abs(W).max() > 0.99 * k
        assert np.var(W) == pytest.approx(k**2 / 3, rel=0.05)
        assert abs(np.mean(W)) < 0.02 * k
    b = np.concatenate([bias(rng, N_A, TORCH) for _ in range(40)])       # 10 240 values
    assert b.shape == (40 * N_A, 1)
    assert np.abs(b).max() <= 2 * k and np.abs(b).max() > 1.8 * k
    assert np.var(b) == pytest.approx(2 * k**2 / 3, rel=0.05)
    assert np.mean(np.abs(b) > k) == pytest.approx(0.25, abs=0.02)


def test_other_schemes_keep_zero_biases_and_xavier_inputs_without_drawing():
    for scheme in ("xavier", "orthogonal", "normal"):
        init = InitConfig(scheme=scheme)
        rng = np.random.default_rng(1)
        assert not np.any(bias(rng, 8, init))
        # no draw: the generator is where it was
        assert rng.random() == np.random.default_rng(1).random()
        bound = np.sqrt(6 / (8 + 5))
        assert np.abs(input_block(np.random.default_rng(2), 8, 5, init)).max() <= bound


@pytest.mark.parametrize(("cell", "activation", "variant"), VARIANT_CELLS, ids=VARIANT_IDS)
def test_every_cell_draws_torch_ranges_and_variances(cell, activation, variant):
    cfg = RNNConfig(cell=cell, n_x=N_X, n_a=N_A, n_y=3, activation=activation, layers=2,
                    bidirectional=True, variant=variant)
    model = Model.init(cfg, np.random.default_rng(3), init=TORCH)
    k = 1 / np.sqrt(N_A)
    weights, folded, plain = split(model)
    assert np.abs(weights).max() <= k and np.abs(weights).max() > 0.99 * k
    assert np.var(weights) == pytest.approx(k**2 / 3, rel=0.03)
    # 1024 (RNN) to 4096 (LSTM) folded biases: 4 standard errors of the variance at most
    rel = 4 * 1.18 / np.sqrt(folded.size)
    assert np.abs(folded).max() <= 2 * k
    assert np.var(folded) == pytest.approx(2 * k**2 / 3, rel=rel)
    assert np.mean(np.abs(folded) > k) == pytest.approx(0.25, abs=4 * 0.433 / np.sqrt(
        folded.size))
    if variant == "torch":                  # b_in and b_hn: one U(-k, k) each, as in torch
        assert np.abs(plain).max() <= k
        assert np.var(plain) == pytest.approx(k**2 / 3, rel=0.1)
    # the output layer is not torch's recurrent module: Xavier and zero, as for every scheme
    assert np.abs(model.params["Wy"]).max() <= np.sqrt(6 / (3 + 2 * N_A))
    assert not np.any(model.params["by"])


def test_forget_bias_adds_to_the_drawn_bias():
    cfg = RNNConfig(cell="lstm", n_x=N_X, n_a=N_A, n_y=3)
    plain = Model.init(cfg, np.random.default_rng(4), init=TORCH)
    shifted = Model.init(cfg, np.random.default_rng(4),
                         init=InitConfig(scheme="pytorch", forget_bias=1.0))
    np.testing.assert_allclose(shifted.params["bf"], plain.params["bf"] + 1.0)
    for name in ("Wf", "Wi", "Wc", "Wo", "bi", "bc", "bo"):
        np.testing.assert_array_equal(shifted.params[name], plain.params[name])


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_the_same_distribution_as_an_actual_torch_module(cell):
    from .torch_support import import_torch

    torch = import_torch()
    from rnnviz.core.torch_layout import from_torch

    module = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = module(N_X, N_A, num_layers=2, bidirectional=True)
    cfg, theirs = from_torch({k: v.detach().numpy() for k, v in net.state_dict().items()},
                             n_y=3)
    ours = Model.init(cfg, np.random.default_rng(5), init=TORCH)
    theirs = Model(cfg, theirs)
    for a, b, what in zip(split(ours), split(theirs), ("weights", "folded biases",
                                                       "b_c, b_ca"), strict=True):
        assert a.size == b.size, what
        if a.size == 0:
            continue
        assert np.abs(a).max() <= np.abs(b).max() * 1.02 + 1e-7, what
        assert np.var(a) == pytest.approx(np.var(b), rel=0.2), what
        assert ks_distance(a, b) < ks_critical(a.size, b.size), what
    # a single uniform for the folded bias would be told apart by the same test
    k = 1 / np.sqrt(N_A)
    single = np.random.default_rng(6).uniform(-k, k, size=split(theirs)[1].size)
    assert ks_distance(single, split(theirs)[1]) > ks_critical(single.size, single.size)
