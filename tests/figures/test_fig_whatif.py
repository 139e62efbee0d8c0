"""Figures of the What-if page: what each trace holds, and the set values outlined."""

import numpy as np
import pytest
from _fig_spec import spec

from rnnviz.figures import whatif as F


def arrays(T=6, n_a=4, seed=0):
    rng = np.random.default_rng(seed)
    before = np.tanh(rng.standard_normal((T, n_a)))
    after = before.copy()
    after[1:3, 2] = 0.5
    after[3:, 2] += 0.1                                  # the change carried forward
    changed = np.zeros((T, n_a), dtype=bool)
    changed[1:3, 2] = changed[5, 2] = True
    return before, after, changed


def test_states_figure_shows_intact_changed_and_their_difference():
    before, after, changed = arrays()
    fig = spec(F.states_figure(before, after, changed, "a", "a<t>"))
    z = [np.asarray(t["z"], dtype=float) for t in fig["data"]]
    np.testing.assert_allclose(z[0], before.T, atol=1e-6)
    np.testing.assert_allclose(z[1], after.T, atol=1e-6)
    np.testing.assert_allclose(z[2], (after - before).T, atol=1e-6)
    assert [list(t["y"]) for t in fig["data"]] == [["0", "1", "2", "3"]] * 3   # y: its unit
    lay = fig["layout"]
    assert (lay["coloraxis"]["cmin"], lay["coloraxis"]["cmax"]) == (-1.0, 1.0)
    dmax = float(np.abs(after - before).max())
    assert lay["coloraxis2"]["cmax"] == pytest.approx(dmax)
    # steps 2..3 and 6 of unit 2: two outlines in each of the three panels
    boxes = sorted((s["xref"], s["x0"], s["x1"], s["y0"]) for s in lay["shapes"])
    assert boxes == sorted((x, a - 0.5, b + 0.5, 1.5) for x in ("x", "x2", "x3")
                           for a, b in ((2, 3), (6, 6)))


@pytest.mark.parametrize("quantity,lo,hi", [("gamma_f", 0.0, 1.0), ("c_tilde", -1.0, 1.0),
                                            ("c", -3.0, 3.0)])
def test_each_quantity_gets_its_own_value_range(quantity, lo, hi):
    before, after, changed = arrays()
    if quantity == "c":
        before = 3 * before / np.abs(before).max()
    lay = spec(F.states_figure(before, after, changed, quantity, "q"))["layout"]
    assert lay["coloraxis"]["cmin"] == pytest.approx(lo)
    assert lay["coloraxis"]["cmax"] == pytest.approx(hi)


def test_prediction_figure_keeps_a_lifted_output_in_the_top_k():
    before = np.array([0.6, 0.3, 0.1, 0.0])
    after = np.array([0.2, 0.1, 0.0, 0.7])
    fig = spec(F.prediction_figure(["a", "b", "c", "d"], before, after, k=2))
    assert list(fig["data"][0]["x"]) == ["d", "a"]
    np.testing.assert_allclose(fig["data"][1]["y"], [0.7, 0.2])


def test_seed_table_figure_bars_span_the_worst_and_best_seed():
    cells = {"lstm": {5: {"mean": 1.0, "std": 0.0, "min": 1.0, "max": 1.0, "n": 5},
                      80: {"mean": 0.6, "std": 0.2, "min": 0.45, "max": 1.0, "n": 5}}}
    fig = spec(F.seed_table_figure(cells))
    t = fig["data"][0]
    np.testing.assert_allclose(t["error_y"]["array"], [0.0, 0.4])
    np.testing.assert_allclose(t["error_y"]["arrayminus"], [0.0, 0.15])
    assert list(fig["layout"]["xaxis"]["tickvals"]) == [5, 80]
    assert t["customdata"][1] == [5, 0.2, 0.45, 1.0]


def test_a_wide_model_shows_the_units_set_and_those_moved_most():
    from rnnviz.figures.whatif import shown_units, states_figure

    rng = np.random.default_rng(0)
    before = rng.normal(size=(5, 200))
    after = before.copy()
    changed = np.zeros_like(before, dtype=bool)
    changed[:, 150] = True                          # the unit the request set
    after[:, 150] = 0.0
    after[2, 7] += 5.0                              # moved most by the change
    after[3, 42] += 1.0                             # moved next
    keep = shown_units(before, after, changed, max_rows=3)
    assert keep.tolist() == [7, 42, 150]
    fig = states_figure(before, after, changed, "a", "a<t>", max_rows=3).to_dict()
    assert fig["layout"]["yaxis"]["type"] == "category"
    assert list(fig["data"][0]["y"]) == ["7", "42", "150"]       # a click's y is the unit
    rows = [sh for sh in fig["layout"]["shapes"] if sh["xref"] == "x"]
    assert [(sh["y0"], sh["y1"]) for sh in rows] == [(1.5, 2.5)]   # unit 150 is row 2
    assert states_figure(before[:, :3], after[:, :3], changed[:, :3], "a", "a<t>"
                         ).to_dict()["data"][0]["y"] == ["0", "1", "2"]
