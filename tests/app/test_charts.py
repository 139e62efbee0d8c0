"""The chart element's Python side (`rnnviz_app.charts`): what it sends for a figure.

The element receives the figure our figure functions build, as Plotly's JSON (float32
typed arrays stay typed arrays), the app's config, and a `uirevision` derived from the axes:
the same when an edit keeps the axes (the user's zoom is kept), new when they change.
"""

from __future__ import annotations

import base64
import hashlib
import re

import numpy as np
import pytest

from rnnviz.figures.figure import figure
from rnnviz_app import charts
from rnnviz_app.widgets import PLOTLY_CONFIG


def _heatmap(tokens, z):
    return figure([dict(type="heatmap", z=z, x=list(range(1, len(tokens) + 1)),
                        hovertext=[list(tokens)] * z.shape[0])],
                  dict(title=dict(text="a<t>"), xaxis=dict(tickmode="array",
                       tickvals=list(range(1, len(tokens) + 1)), ticktext=list(tokens))),
                  compact=True)


def test_the_payload_is_the_figure_with_its_typed_arrays_and_the_config():
    z = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    sent = charts.payload(_heatmap(["<b>", "x", "y"], z), PLOTLY_CONFIG)
    assert sent["config"] == PLOTLY_CONFIG
    trace = sent["figure"]["data"][0]
    assert trace["z"]["dtype"] == "f4"
    got = np.frombuffer(base64.b64decode(trace["z"]["bdata"]), dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(got, z)                       # the same numbers arrive
    # user text stays text: the tick label and the hover text are the token as typed
    assert sent["figure"]["layout"]["xaxis"]["ticktext"][0] == "<b>"
    assert trace["hovertext"][0][0] == "<b>"


def test_uirevision_follows_the_axes_not_the_data():
    a = charts.payload(_heatmap(["a", "b", "c"], np.zeros((2, 3), np.float32)), PLOTLY_CONFIG)
    b = charts.payload(_heatmap(["a", "b", "c"], np.ones((2, 3), np.float32)), PLOTLY_CONFIG)
    c = charts.payload(_heatmap(["a", "b", "d"], np.ones((2, 3), np.float32)), PLOTLY_CONFIG)
    rev = [p["figure"]["layout"]["uirevision"] for p in (a, b, c)]
    assert rev[0] == rev[1]            # new data, same axes: the zoom stays
    assert rev[1] != rev[2]            # another token on the axis: the view resets
    assert a["figure"]["data"][0]["z"] != b["figure"]["data"][0]["z"]


def test_the_range_an_axis_opens_at_is_not_part_of_its_identity():
    """A top-5 chart opens on as many steps as its labels allow: another seed, other labels,
    another opening range; the user's zoom stays, as the tick labels are the same."""
    a = _heatmap(["a", "b", "c"], np.zeros((2, 3), np.float32))
    b = _heatmap(["a", "b", "c"], np.zeros((2, 3), np.float32))
    a.layout.xaxis.range, b.layout.xaxis.range = [0.5, 3.5], [0.5, 2.5]
    assert charts.uirevision(a.to_dict()["layout"]) == charts.uirevision(b.to_dict()["layout"])


def test_a_figure_that_sets_its_own_uirevision_keeps_it():
    fig = _heatmap(["a"], np.zeros((1, 1), np.float32))
    fig.layout.uirevision = "mine"
    assert charts.payload(fig, {})["figure"]["layout"]["uirevision"] == "mine"


def test_plotly_js_is_the_vendored_cartesian_bundle_of_the_installed_major_version():
    """The bundle is the file we tested (its hash), its plotly.js major version is the one the
    installed `plotly` package writes figures for, and chart.js loads it."""
    from plotly.offline import get_plotlyjs_version

    data = charts.BUNDLE.read_bytes()
    assert hashlib.sha256(data).hexdigest() == charts.BUNDLE_SHA256
    version = re.search(rb"plotly\.js \(cartesian - minified\) v(\d+)\.(\d+)\.(\d+)", data[:400])
    assert version is not None
    assert int(version.group(1)) == int(get_plotlyjs_version().split(".")[0])
    assert b"window.Plotly = Plotly" in data[-200:]
    chart_js = (charts.ASSETS / "chart.js").read_text()
    assert f'new URL("./{charts.BUNDLE.name}", import.meta.url)' in chart_js


def test_a_trace_type_the_bundle_cannot_draw_is_refused_loudly():
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter3d(x=[1], y=[2], z=[3]))
    with pytest.raises(ValueError, match=r"cannot draw \['scatter3d'\] traces"):
        charts.payload(fig, {})
    sent = charts.payload(go.Figure([go.Bar(x=[1], y=[2]), go.Scatter(x=[1], y=[2])]), {})
    assert [t["type"] for t in sent["figure"]["data"]] == ["bar", "scatter"]


def test_float64_arrays_are_sent_as_float32_with_the_same_values_to_7_digits():
    z = np.linspace(-1, 1, 6, dtype=np.float64).reshape(2, 3) / 3
    sent = charts.payload(figure([dict(type="heatmap", z=z)], {}), PLOTLY_CONFIG)
    trace = sent["figure"]["data"][0]
    assert trace["z"]["dtype"] == "f4"
    got = np.frombuffer(base64.b64decode(trace["z"]["bdata"]), dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(got, z, rtol=1e-7, atol=0)
    assert len(base64.b64decode(trace["z"]["bdata"])) == 6 * 4      # half the bytes of f8


def test_integer_arrays_and_text_are_left_as_they_are():
    spec = {"data": [{"x": {"dtype": "i4", "bdata": "AQAAAA=="}, "text": ["f8"]}]}
    assert charts.as_float32(spec) == spec


def test_only_a_clickable_chart_asks_the_browser_for_clicks():
    fig = _heatmap(["a"], np.zeros((1, 1), np.float32))
    assert charts.payload(fig, {})["clickable"] is False
    assert charts.payload(fig, {}, clickable=True)["clickable"] is True


def test_values_float32_cannot_hold_stay_float64():
    z = np.array([[1e-60, 1.0, 1e-3]])          # a vanishing gradient norm: 0 in float32
    sent = charts.payload(figure([dict(type="heatmap", z=z)], {}), PLOTLY_CONFIG)
    trace = sent["figure"]["data"][0]
    assert trace["z"]["dtype"] == "f8"
    got = np.frombuffer(base64.b64decode(trace["z"]["bdata"]), dtype=np.float64)
    assert got[0] == 1e-60


def test_play_names_frames_the_figure_has():
    fig = _heatmap(["a", "b"], np.zeros((1, 2), np.float32))
    fig.frames = [dict(name="1", data=[]), dict(name="2", data=[])]
    sent = charts.payload(fig, {}, play={"frames": [2], "T": 2, "seconds": 0.8, "token": "x"})
    assert sent["play"]["frames"] == ["2"]
    with pytest.raises(ValueError, match=r"frames the figure does not have: \['3'\]"):
        charts.payload(fig, {}, play={"frames": [3], "T": 2, "seconds": 0.8, "token": "x"})


def test_a_frozen_figure_is_serialized_once_and_a_live_one_every_time():
    """A frozen figure (shared by a cache, read-only) keeps what the element sends; a figure
    still being built is serialized again, so a change to it is sent."""
    live = _heatmap(["a", "b"], np.array([[0.1, 0.2]], np.float32))
    first = charts.payload(live, PLOTLY_CONFIG)["figure"]
    live.layout.title.text = "changed"
    assert charts.payload(live, PLOTLY_CONFIG)["figure"]["layout"]["title"]["text"] == "changed"
    assert first["layout"]["title"]["text"] == "a<t>"
    frozen = _heatmap(["a", "b"], np.array([[0.1, 0.2]], np.float32)).freeze()
    sent = charts.payload(frozen, PLOTLY_CONFIG)["figure"]
    assert charts.payload(frozen, PLOTLY_CONFIG, clickable=True)["figure"] is sent
    assert sent == first
