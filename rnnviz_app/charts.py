"""The app's chart element: a Plotly chart mounted once per key and updated in place.

`st.plotly_chart` gives each chart an identity derived from its content, so every chart
whose data changed is destroyed and drawn again (`Plotly.newPlot`) on every edit. This
element is a Streamlit components v2 component (no iframe) whose JavaScript
(`rnnviz/web/chart.js`) keeps one chart per key and applies new figures with
`Plotly.react`: an edit changes the existing chart's data. It takes the same figures the
pure figure functions build (`go.Figure` or its dict). The charts of a run are drawn one at a
time, those on screen first (the others within 400 px of it once the browser is idle, at most
200 ms later); a chart farther from the screen, or hidden, waits until it is scrolled that
near (dimmed meanwhile, its height kept); a figure still waiting is replaced by a newer one
for the same chart.

What Python sends (`payload`): the figure as Plotly's JSON string (typed arrays as base64
`bdata`, float32 where the figure functions made them so), the chart config, and a
`uirevision` derived from the figure's axes, so a user's zoom survives an edit that keeps the
axes and resets when they change (a new sentence with other tokens). User text reaches the
browser only inside that JSON, and Plotly draws it as SVG text.

plotly.js is Plotly's cartesian partial bundle (`rnnviz/web/plotly-cartesian.min.js`, from
npm's `plotly.js-cartesian-dist-min`, the plotly.js version the `plotly` package ships, MIT):
1.5 MB instead of the full bundle's 4.8 MB, about a second less to load and compile at every
first visit (docs/benchmarks.md). It draws the trace types in `BUNDLE_TRACES`; a figure with
any other type is refused in `payload`, loudly, rather than drawn blank. Nothing is fetched
from outside.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from pathlib import Path

import numpy as np
import plotly.io as pio
import streamlit as st

NAME = "rnnviz.chart"          # "<project>.<component>" as declared in pyproject.toml
ASSETS = Path(__file__).resolve().parents[1] / "rnnviz" / "web"
_AXES = ("xaxis", "yaxis")


BUNDLE = ASSETS / "plotly-cartesian.min.js"
BUNDLE_SHA256 = "79542150855a52c567260e3137095dbe2b744e6d702a5cabe67da246942fba7a"
# The trace types of the cartesian bundle (its README): what our figures may use.
BUNDLE_TRACES = frozenset({"bar", "box", "contour", "heatmap", "histogram", "histogram2d",
                           "histogram2dcontour", "image", "pie", "scatter", "scatterternary",
                           "violin"})


@functools.cache
def _component():
    return st.components.v2.component(NAME, js="chart.js", css="chart.css",
                                      isolate_styles=False)


_VIEW = ("range", "autorange")      # the view an axis opens with, not what it is


def uirevision(layout: dict) -> str:
    """A digest of the figure's axes (their type, categories, tick values and labels, not
    the range they open at): equal when an edit keeps the axes, so Plotly keeps the user's
    zoom (a view the user did not change follows the new figure's range); new when they
    change."""
    axes = {k: {a: b for a, b in v.items() if a not in _VIEW} if isinstance(v, dict) else v
            for k, v in layout.items() if k.startswith(_AXES)}
    return hashlib.sha1(json.dumps(axes, sort_keys=True, default=str).encode()).hexdigest()[:12]


_F32_TINY, _F32_MAX = float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max)


def _fits_float32(values: np.ndarray) -> bool:
    """Every finite non-zero value is a normal float32 (a gradient norm of 1e-60 is not:
    it stays float64, or a log axis would show 0)."""
    v = np.abs(values[np.isfinite(values) & (values != 0)])
    return v.size == 0 or (v.min() >= _F32_TINY and v.max() <= _F32_MAX)


def as_float32(node):
    """`node` (Plotly JSON) with its float64 typed arrays (`{"dtype": "f8", "bdata": ...}`)
    sent as float32 where every value fits: half the bytes, and 7 significant digits is more
    than a chart shows."""
    if isinstance(node, dict):
        if node.get("dtype") == "f8" and isinstance(node.get("bdata"), str):
            values = np.frombuffer(base64.b64decode(node["bdata"]), dtype=np.float64)
            if not _fits_float32(values):
                return node
            return dict(node, dtype="f4",
                        bdata=base64.b64encode(values.astype(np.float32).tobytes()).decode())
        return {k: as_float32(v) for k, v in node.items()}
    if isinstance(node, list):
        return [as_float32(v) for v in node]
    return node


def _spec(fig) -> dict:
    """The figure as the element sends it. A frozen figure (`Figure.freeze`: built once by a
    shared cache, read-only from then on) keeps it, so a rerun does not serialize it again."""
    spec = getattr(fig, "_rnnviz_spec", None)
    if spec is not None:
        return spec
    spec = as_float32(json.loads(pio.to_json(fig, validate=False)))
    kinds = {t.get("type", "scatter") for t in spec.get("data") or []}
    if kinds - BUNDLE_TRACES:
        raise ValueError(f"the chart element's plotly.js bundle cannot draw "
                         f"{sorted(kinds - BUNDLE_TRACES)} traces (charts.BUNDLE_TRACES)")
    layout = spec.setdefault("layout", {})
    layout.setdefault("uirevision", uirevision(layout))
    if getattr(fig, "_frozen", None) is not None:
        fig._rnnviz_spec = spec
    return spec


def payload(fig, config: dict, clickable: bool = False, play: dict | None = None) -> dict:
    """What the element receives for `fig` (a go.Figure or a figure dict): the figure as
    Plotly's JSON (arrays as typed float32 `bdata`), with a `uirevision` of its axes, the
    config, whether a click on a point is sent back (`clickable`), and `play`: None, or the
    frames the browser steps through by itself (`{"frames": [names], "T", "seconds",
    "token"}`; the frames' names are the steps t)."""
    spec = _spec(fig)
    if play is not None:
        names = {str(f.get("name")) for f in spec.get("frames") or []}
        missing = [str(n) for n in play["frames"] if str(n) not in names]
        if missing:
            raise ValueError(f"play names frames the figure does not have: {missing[:5]}")
    return {"figure": spec, "config": dict(config), "clickable": bool(clickable),
            "play": None if play is None else dict(play, frames=[str(n) for n in play["frames"]])}


PRELOAD_KEY = "rnnviz_plotly_preload"


def preload_plotly() -> None:
    """An element that draws nothing (its container is hidden) and makes the browser fetch and
    compile plotly.js at once: placed first in the frame, so that a first visit loads the
    bundle while the server still runs the page, not after its first chart arrives."""
    _component()(data={"preload": True}, key=PRELOAD_KEY)


def _nothing() -> None:
    """The click's callback: the click itself is read from the element's result."""


def plotly_chart(fig, key: str, config: dict, clickable: bool = False,
                 play: dict | None = None, on_step=None) -> dict | None:
    """Draw `fig` in the element of `key` (unique and stable on the page).

    clickable: return the last point clicked in this chart (None before any click):
    `{"curve", "point", "x", "y", "customdata"}`, Plotly's curveNumber, pointNumber (a
    [row, column] pair on a heatmap) and the point's values. A click reruns the script.
    play / on_step: the browser steps through `play["frames"]` by itself; when it stops it
    sets the element's state "step" (`{"t": ...}`, read from `st.session_state[key]`) and
    calls `on_step` (a callback run before the script, like a widget's on_change)."""
    callbacks = {}
    if clickable:
        callbacks["on_click_change"] = _nothing
    if on_step is not None:
        callbacks["on_step_change"] = on_step
    result = _component()(data=payload(fig, config, clickable, play), key=key, **callbacks)
    return result.get("click") if clickable and result is not None else None


__all__ = ["plotly_chart", "payload", "uirevision", "as_float32", "BUNDLE", "BUNDLE_TRACES", "NAME"]
