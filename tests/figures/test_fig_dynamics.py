"""Figures of the Dynamics page: what each trace holds."""

import numpy as np
import plotly.graph_objects as go

from rnnviz.core.model import Model, RNNConfig
from rnnviz.dynamics import fixed_points, jacobian_spectrum
from rnnviz.figures import dynamics as F


def bistable():
    cfg = RNNConfig(cell="rnn", n_x=1, n_a=2, n_y=1, head="many_to_one_sigmoid",
                    dtype="float64")
    return Model(cfg, {"Waa": np.diag([2.0, 0.5]), "Wax": np.zeros((2, 1)),
                       "ba": np.zeros((2, 1)), "Wy": np.zeros((1, 2)), "by": np.zeros((1, 1))})


def test_spectrum_figure_band_lines_and_hover():
    model = Model.init(RNNConfig(cell="gru", n_x=3, n_a=4, n_y=2, dtype="float64"),
                       np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((3, 1, 6))
    spec = jacobian_spectrum(model, x)
    fig = F.spectrum_figure({"GRU": spec}, top=2)
    go.Figure(fig.to_dict())                                  # valid Plotly
    by = {t.name: t for t in fig.data}
    np.testing.assert_allclose(by["GRU band"].y, spec.sv[""][:, 0])
    np.testing.assert_allclose(by["GRU min"].y, spec.sv[""][:, -1])
    np.testing.assert_allclose(by["GRU σ2"].y, spec.sv[""][:, 1])
    assert "1 − Γu" in by["GRU σ1"].customdata[0][1]
    assert any(s.y0 == 1 and s.y1 == 1 for s in fig.layout.shapes)


def test_fixed_point_figure_and_eigenvalues():
    res = fixed_points(bistable(), n_init=40, seed=3,
                       states=np.array([[u, v] for u in np.linspace(-1, 1, 9)
                                        for v in (-0.5, 0.5)]))
    traj = np.array([[np.tanh(0.1 * t), 0.0] for t in range(30)])
    fig = F.fixed_point_figure(res, traj)
    go.Figure(fig.to_dict())
    by = {t.name: t for t in fig.data}
    assert len(by["stable"].x) == 2 and len(by["saddle"].x) == 1
    assert "unstable directions" in by
    # a click on a marker names its point: customdata is the index in res.points; the
    # trajectory takes no hover, so the click cannot land on it instead
    for kind in ("stable", "saddle"):
        assert [res.points[i].kind for i in by[kind].customdata] == [kind] * len(by[kind].x)
    assert sorted([*by["stable"].customdata, *by["saddle"].customdata]) == [0, 1, 2]
    assert by["trajectory"].hoverinfo == "skip" and fig.layout.clickmode == "event"
    sel = F.fixed_point_figure(res, traj, selected=2)
    sizes = {i: s for t in sel.data if t.customdata is not None
             for i, s in zip(t.customdata, t.marker.size, strict=True)}
    assert sizes[2] > sizes[0] == sizes[1]
    saddle = next(p for p in res.points if p.kind == "saddle")
    names = {t.name: t for t in F.eigen_figure(saddle).data}
    np.testing.assert_allclose(np.abs(names["|λ| > 1"].x), [2.0])
    np.testing.assert_allclose(np.abs(names["|λ| < 1"].x), [0.5])
