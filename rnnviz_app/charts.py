"""The app's chart element: a Plotly chart mounted once per key and updated in place.

`st.plotly_chart` gives each chart an identity derived from its content, so every chart
whose data changed is destroyed and drawn again (`Plotly.newPlot`) on every edit. This
element is a Streamlit components v2 component (no iframe) whose JavaScript
(`rnnviz/web/chart.js`) keeps one chart per key and applies new figures with
`Plotly.react`: an edit changes the existing chart's data. It takes the same figures the
pure figure functions build (`go.Figure` or its dict).

What Python sends (`payload`): the figure as Plotly's JSON string (typed arrays as base64
`bdata`, float32 where the figure functions made them so), the chart config, and a
`uirevision` derived from the figure's axes, so a user's zoom survives an edit that keeps the
axes and resets when they change (a new sentence with other tokens). User text reaches the
browser only inside that JSON, and Plotly draws it as SVG text.

plotly.js is the installed `plotly` package's own `plotly.min.js`, copied next to chart.js
(the component's asset directory, `rnnviz/web/`) the first time the element is used;
nothing is fetched from outside.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import plotly.io as pio
import streamlit as st

NAME = "rnnviz.chart"          # "<project>.<component>" as declared in pyproject.toml
ASSETS = Path(__file__).resolve().parents[1] / "rnnviz" / "web"
_AXES = ("xaxis", "yaxis")


def plotly_source() -> Path:
    """The plotly.min.js that the installed plotly package ships."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def ensure_plotly_asset(assets: Path = ASSETS) -> Path:
    """Copy plotly.min.js into the asset directory unless the same file is there already."""
    src, dst = plotly_source(), assets / "plotly.min.js"
    if not dst.exists() or dst.stat().st_size != src.stat().st_size:
        tmp = dst.with_suffix(".tmp")
        shutil.copyfile(src, tmp)
        tmp.replace(dst)             # atomic: a browser never reads half a file
    return dst


@functools.cache
def _component():
    ensure_plotly_asset()
    return st.components.v2.component(NAME, js="chart.js", css="chart.css",
                                      isolate_styles=False)


def uirevision(layout: dict) -> str:
    """A digest of the figure's axes (their type, range, categories and tick labels): equal
    when an edit keeps the axes, so Plotly keeps the user's zoom; new when they change."""
    axes = {k: v for k, v in layout.items() if k.startswith(_AXES)}
    return hashlib.sha1(json.dumps(axes, sort_keys=True, default=str).encode()).hexdigest()[:12]


def as_float32(node):
    """`node` (Plotly JSON) with every float64 typed array (`{"dtype": "f8", "bdata": ...}`)
    sent as float32: half the bytes, and 7 significant digits is more than a chart shows."""
    if isinstance(node, dict):
        if node.get("dtype") == "f8" and isinstance(node.get("bdata"), str):
            values = np.frombuffer(base64.b64decode(node["bdata"]), dtype=np.float64)
            node = dict(node, dtype="f4",
                        bdata=base64.b64encode(values.astype(np.float32).tobytes()).decode())
            return node
        return {k: as_float32(v) for k, v in node.items()}
    if isinstance(node, list):
        return [as_float32(v) for v in node]
    return node


def payload(fig, config: dict, clickable: bool = False) -> dict:
    """What the element receives for `fig` (a go.Figure or a figure dict): the figure as
    Plotly's JSON (arrays as typed float32 `bdata`), with a `uirevision` of its axes, the
    config, and whether a click on a point is sent back (`clickable`)."""
    spec = as_float32(json.loads(pio.to_json(fig, validate=False)))
    layout = spec.setdefault("layout", {})
    layout.setdefault("uirevision", uirevision(layout))
    return {"figure": spec, "config": dict(config), "clickable": bool(clickable)}


def _nothing() -> None:
    """The click's callback: the click itself is read from the element's result."""


def plotly_chart(fig, key: str, config: dict, clickable: bool = False) -> dict | None:
    """Draw `fig` in the element of `key` (unique and stable on the page). When `clickable`,
    returns the last point clicked in this chart (None before any click):
    `{"curve", "point", "x", "y", "customdata"}`, Plotly's curveNumber, pointNumber (a
    [row, column] pair on a heatmap) and the point's values. A click reruns the script."""
    if not clickable:
        _component()(data=payload(fig, config), key=key)
        return None
    result = _component()(data=payload(fig, config, clickable=True), key=key,
                          on_click_change=_nothing)
    return result.get("click") if result is not None else None


__all__ = ["plotly_chart", "payload", "uirevision", "as_float32", "ensure_plotly_asset", "NAME"]
