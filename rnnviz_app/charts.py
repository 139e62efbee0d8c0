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

import functools
import hashlib
import json
import shutil
from pathlib import Path

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


def payload(fig, config: dict) -> dict:
    """What the element receives for `fig` (a go.Figure or a figure dict): the figure as
    Plotly's JSON (arrays as typed `bdata`), with a `uirevision` of its axes, and the config."""
    spec = json.loads(pio.to_json(fig, validate=False))
    layout = spec.setdefault("layout", {})
    layout.setdefault("uirevision", uirevision(layout))
    return {"figure": spec, "config": dict(config)}


def plotly_chart(fig, key: str, config: dict) -> None:
    """Draw `fig` in the element of `key` (unique and stable on the page)."""
    _component()(data=payload(fig, config), key=key)


__all__ = ["plotly_chart", "payload", "uirevision", "ensure_plotly_asset", "NAME"]
