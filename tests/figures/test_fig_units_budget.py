"""Which heatmap rows the Activations page draws when a trace is too large to send whole."""

import numpy as np

from rnnviz.core.model import Model, RNNConfig
from rnnviz.figures.activations import units_within_budget


def _trace(cell="lstm", n_a=40, T=30, bidirectional=False):
    cfg = RNNConfig(cell=cell, n_x=5, n_a=n_a, n_y=5, bidirectional=bidirectional)
    model = Model.init(cfg, rng=np.random.default_rng(0))
    x = np.eye(5)[:, np.arange(T) % 5][:, None, :]
    return model.forward(x)


def test_everything_fits_draws_every_unit():
    tr = _trace()
    assert units_within_budget(tr, ["a", "c"], max_cells=10**6) == {"a": None, "c": None}


def test_over_budget_keeps_the_units_that_vary_most():
    tr = _trace(n_a=40, T=30)
    keys = ["a", "c", "gamma_f"]
    chosen = units_within_budget(tr, keys, max_cells=900)      # 900 / (3 * 30) = 10 units
    a = np.asarray(tr["a"][:, 0, :])
    expected = np.sort(np.argsort(-a.std(axis=1), kind="stable")[:10])
    for k in keys:
        np.testing.assert_array_equal(chosen[k], expected)


def test_maps_of_another_size_keep_the_units_they_have():
    tr = _trace(n_a=20, T=40, bidirectional=True)               # a is 2 n_a = 40 rows
    chosen = units_within_budget(tr, ["a_fwd", "a", "y_hat"], max_cells=600)
    units = chosen["a_fwd"]
    assert units is not None and len(units) == 8               # the floor of 8 rows
    np.testing.assert_array_equal(chosen["a"], units)          # a's first 20 rows are a→
    assert chosen["y_hat"] is None                              # 5 rows: drawn whole


def test_closed_share_counts_units_below_the_threshold_at_spaces_and_elsewhere():
    from rnnviz.figures.activations import closed_share

    class T:       # a stand-in trace: 4 units, 3 steps
        rows = None

        def __getitem__(self, key):
            g = np.array([[0.05, 0.5, 0.01], [0.5, 0.5, 0.02], [0.5, 0.05, 0.5],
                          [0.5, 0.5, 0.5]])
            return g[:, None, :]

    at, other = closed_share(T(), "gamma_f", ["a", " ", "b"])
    assert at == 0.25                         # step 2 (a space): unit 2 only
    assert other == (0.25 + 0.5) / 2          # steps 1 and 3
    assert closed_share(T(), "gamma_f", ["a", "b", "c"])[0] is None
