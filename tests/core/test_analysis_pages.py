"""The analysis helpers the pages call: shared prefixes and the sensitivity above the diagonal."""

import numpy as np
import pytest

from rnnviz.core.analysis import (
    future_sensitivity,
    sensitivity_matrix,
    shared_prefix,
    shared_prefix_table,
)

from .cases import make_model


@pytest.mark.parametrize("a, b, n", [
    (["he", "said", ",", "teddy", "roosevelt"], ["he", "said", ",", "teddy", "bears"], 4),
    (["teddy"], ["bears"], 0),
    (["a", "b"], ["a", "b", "c"], 2),          # one is a prefix of the other
    ([], ["a"], 0),
    ("abc", "abd", 2),                         # any sequences, characters too
])
def test_shared_prefix(a, b, n):
    assert shared_prefix(a, b) == n
    assert shared_prefix(b, a) == n
    assert list(a[:n]) == list(b[:n])
    assert n == min(len(a), len(b)) or a[n] != b[n]


def test_future_sensitivity_is_the_largest_entry_right_of_the_diagonal():
    S = np.array([[1.0, 0.2, 0.7],
                  [9.0, 1.0, 0.3],
                  [9.0, 9.0, 1.0]])
    assert future_sensitivity(S) == 0.7
    assert future_sensitivity(np.tril(S)) == 0.0
    assert future_sensitivity(np.zeros((0, 0))) == 0.0


@pytest.mark.parametrize("bidirectional", [False, True])
def test_future_sensitivity_of_a_model(bidirectional):
    """A unidirectional RNN cannot react to inputs it has not read: exactly 0 above the
    diagonal; a bidirectional one does."""
    model = make_model("lstm", bidirectional=bidirectional, dtype="float64")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((model.config.n_x, 1, 5))
    S = sensitivity_matrix(model, x)
    assert (future_sensitivity(S) > 1e-6) == bidirectional


def test_shared_prefix_table_reads_each_model_at_the_last_shared_word():
    a = ["he", "said", "teddy", "roosevelt"]
    b = ["he", "said", "teddy", "bears", "are"]
    out_a = {"uni": np.array([0.1, 0.2, 0.3, 0.9]), "bi": np.array([0.1, 0.2, 0.8, 0.9])}
    out_b = {"uni": np.array([0.1, 0.2, 0.3, 0.1, 0.0]), "bi": np.array([0.1, 0.2, 0.1, 0.1, 0])}
    shared, rows = shared_prefix_table(a, b, out_a, out_b, what="P(name)")
    assert shared == 3                                           # "teddy" is word 3
    assert [r["model"] for r in rows] == ["uni", "bi"]
    assert rows[0] == {"model": "uni", "P(name) in A": 0.3, "P(name) in B": 0.3,
                       "|difference|": 0.0}
    assert rows[1]["P(name) in A"] == 0.8 and rows[1]["P(name) in B"] == 0.1
    assert rows[1]["|difference|"] == pytest.approx(0.7)
    assert shared_prefix_table(["x"], ["y"], out_a, out_b) == (0, [])
