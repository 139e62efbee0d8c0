"""The figures' shared modules: safe text (escaping, visible characters), colours, axes,
decimation and the frame-keeping figure."""

import copy
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from _plotly_json import decode
from plotly.utils import PlotlyJSONEncoder

from rnnviz.figures.axes import step_categories
from rnnviz.figures.colours import SEQUENTIAL, colour_at
from rnnviz.figures.figure import decimate, figure, layout, nan_to_none_mask
from rnnviz.figures.safe_text import (
    char_labels,
    escape_all,
    escape_plotly,
    plotly_text,
    printable,
    sym,
    token_text,
    visible_char,
)


def test_escape_plotly_and_symbols():
    assert escape_plotly("<b>a & b</b>") == "&lt;b&gt;a &amp; b&lt;/b&gt;"
    assert sym("a") == "a&lt;t&gt;" and sym("c_tilde") == "c̃&lt;t&gt;"
    assert sym("gamma_f_bwd") == "Γf←&lt;t&gt;"
    assert sym("da") == "∂L/∂a&lt;t&gt;"


def test_escape_all_is_numeric_entities_only():
    s = escape_all("<a href='x'>*$:é")
    assert s == "".join(f"&#{ord(c)};" for c in "<a href='x'>*$:é")
    assert set(s) <= set("&#;0123456789")


def test_visible_char():
    assert visible_char(" ") == "␣" and visible_char("\n") == "↵"
    assert visible_char("\x07") == "U+0007" and visible_char("\u200d") == "U+200D"
    assert visible_char("é") == "é" and visible_char("م") == "م"
    assert token_text("<script>", 20) == "&lt;script&gt;"
    assert token_text("abcdefghijklmnop", 6) == "abcde…"


def test_colour_at_ends_and_middle():
    assert colour_at(-1) == "#053061" and colour_at(1) == "#67001f"
    assert colour_at(0) == "#f7f7f7"
    assert colour_at(0, 0, 1, SEQUENTIAL) == "#440154"
    assert colour_at(5, 0, 1, SEQUENTIAL) == "#fde725"        # clipped
    assert colour_at(float("nan")) == "#9e9e9e"


def test_decimate_keeps_the_ends():
    assert decimate(5, 10).tolist() == [0, 1, 2, 3, 4]
    idx = decimate(1000, 50)
    assert len(idx) <= 50 and idx[0] == 0 and idx[-1] == 999


def test_step_categories_are_unique_and_escaped():
    cats = step_categories(["a", "a", "<"])
    assert cats == ["t=1 a", "t=2 a", "t=3 &lt;"]


def test_figure_hands_out_its_frames_without_copying_or_changing_them():
    frames = [{"name": str(t), "data": [{"type": "scatter", "x": [t], "y": [t]}],
               "traces": [0]} for t in range(3)]
    fig = figure([{"type": "scatter", "x": [0], "y": [0]}], layout("t", 200), frames)
    before = json.dumps(frames, cls=PlotlyJSONEncoder, sort_keys=True)
    d = fig.to_dict()
    assert d["frames"] is fig.raw_frames
    go.Figure(copy.deepcopy(d))                           # valid Plotly
    # What Streamlit does with a figure: to_dict, then to_json. Nothing may change.
    spec = json.loads(pio.to_json(fig.to_dict(), validate=False))
    assert [f["name"] for f in spec["frames"]] == ["0", "1", "2"]
    assert json.dumps(frames, cls=PlotlyJSONEncoder, sort_keys=True) == before


def test_frozen_figure_returns_one_json_ready_dict():
    z = np.arange(6, dtype=np.float32).reshape(2, 3)
    frames = [{"name": "1", "data": [{"type": "scatter", "x": np.array([1.0, 2.0])}]}]
    fig = figure([{"type": "heatmap", "z": z}], layout("t", 200), frames)
    before = pio.to_json(fig.to_dict(), validate=False)
    assert fig.freeze() is fig
    d = fig.to_dict()
    assert d is fig.to_dict()                              # built once
    assert set(d["data"][0]["z"]) == {"dtype", "bdata", "shape"}       # already encoded
    assert set(d["frames"][0]["data"][0]["x"]) == {"dtype", "bdata"}
    assert isinstance(fig.raw_frames[0]["data"][0]["x"], np.ndarray)  # the source is intact
    after = decode(json.loads(pio.to_json(d, validate=False)))
    first = decode(json.loads(before))
    np.testing.assert_array_equal(after["data"][0]["z"], first["data"][0]["z"])
    np.testing.assert_array_equal(after["frames"][0]["data"][0]["x"], [1.0, 2.0])
    assert after["layout"] == first["layout"]
    go.Figure(copy.deepcopy(d))


def test_nan_to_none_mask():
    out = nan_to_none_mask(np.array([1.0, np.inf, -np.inf, np.nan]))
    assert out.dtype == np.float32 and out[0] == 1 and np.isnan(out[1:]).all()
    with pytest.raises(ValueError):
        go.Figure({"data": [{"type": "heatmap", "bogus": 1}]})   # validation is real


HOSTILE = "<img src=x onerror=alert(1)>"


def test_plotly_text_printable_and_char_labels():
    assert [visible_char(c) for c in " \n\ta"] == ["␣", "↵", "⇥", "a"]
    assert visible_char("\u202e") == "U+202E" and visible_char("\x00") == "U+0000"
    assert visible_char("😀") == "😀"
    assert plotly_text(HOSTILE) == "&lt;img src=x onerror=alert(1)&gt;"
    assert plotly_text("abcdefgh", 5) == "abcd…"
    assert printable("a\tb\nc\u202ed\x00😀 ") == "a\tb\nc⟨U+202E⟩d⟨U+0000⟩😀 "
    assert char_labels([" ", "<", "<UNK>", "abcdefgh"], 5) == ["␣", "&lt;", "&lt;UNK&gt;",
                                                                 "abcd…"]


def test_compact_figure_sends_typed_arrays():
    f = figure([dict(type="heatmap", z=np.arange(6, dtype=np.float64).reshape(2, 3),
                       x=np.arange(3), y=np.array([0, 2**40]), text=np.array(["a", "<"]),
                       customdata=np.array([True, False]))], dict(title=dict(text="t")),
                 compact=True)
    d = f.to_dict()
    trace = d["data"][0]
    assert trace["z"]["dtype"] == "f4" and trace["z"]["shape"] == "2, 3"
    assert trace["x"]["dtype"] == "i4"
    assert trace["y"]["dtype"] == "f4"                       # too large for int32
    assert trace["text"] == ["a", "<"] and trace["customdata"] == [True, False]
    assert d["layout"]["template"] == {}                     # Streamlit's theme styles it
    s = decode(json.loads(pio.to_json(f, validate=False)))
    np.testing.assert_array_equal(s["data"][0]["z"], np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(s["data"][0]["y"], [0, 2.0**40])
    # Without `compact` float64 stays float64 (gradient norms far below float32's range).
    tiny = np.array([1e-80, 1.0])
    d = figure([dict(type="scatter", y=tiny)], {}).to_dict()
    np.testing.assert_array_equal(decode(json.loads(pio.to_json(d, validate=False)))
                                  ["data"][0]["y"], tiny)


def test_every_cartesian_axis_keeps_its_tick_labels_unmeasured():
    """ticklabeloverflow="allow" on the layout's axes and on those only a trace names; a
    table adds none, and an axis that sets its own keeps it."""
    fig = figure([dict(type="scatter", x=[1], y=[2]),
                  dict(type="heatmap", z=[[1.0]], xaxis="x3", yaxis="y3"),
                  dict(type="table", cells=dict(values=[[1]]))],
                 dict(xaxis2=dict(domain=[0, 1]), yaxis2=dict(ticklabeloverflow="hide past domain"),
                      height=300))
    lay = fig.to_dict()["layout"]
    axes = {k: v.get("ticklabeloverflow") for k, v in lay.items() if "axis" in k}
    assert axes == {"xaxis": "allow", "yaxis": "allow", "xaxis2": "allow",
                    "yaxis2": "hide past domain", "xaxis3": "allow", "yaxis3": "allow"}
    assert lay["xaxis2"]["domain"] == [0, 1]
    go.Figure(fig.to_dict())                                # valid Plotly
    table = figure([dict(type="table", cells=dict(values=[[1]]))], dict(height=200))
    assert not [k for k in table.to_dict()["layout"] if "axis" in k]
