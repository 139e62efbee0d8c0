"""rnnviz.lm.rank: the rank of the drawn character in ŷ<t> (shown on the Sampling page)."""

import numpy as np

from rnnviz.lm import rank


def test_rank_counts_the_more_likely_entries():
    p = np.array([0.1, 0.5, 0.05, 0.3, 0.05])
    assert [rank(p, i) for i in range(5)] == [3, 1, 4, 2, 4]   # ties share the better rank


def test_rank_agrees_with_a_sort():
    p = np.random.default_rng(0).dirichlet(np.ones(40))
    order = np.argsort(-p)
    for r, i in enumerate(order, start=1):
        assert rank(p, int(i)) == r
