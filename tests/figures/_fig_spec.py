"""What the browser receives: a figure's JSON with every typed array decoded to NumPy."""

import json
import re

import plotly.graph_objects as go
import plotly.io as pio
from _plotly_json import decode


def spec(fig: go.Figure) -> dict:
    """Validate the figure (the builders skip validation for speed), check that no axis makes
    the browser measure its tick labels (`rnnviz.figures.figure`), then decode its JSON."""
    go.Figure(fig.to_dict())
    out = decode(json.loads(pio.to_json(fig, validate=False)))
    measured = [k for k, v in out["layout"].items()
                if re.fullmatch(r"[xy]axis\d*", k) and v.get("ticklabeloverflow") != "allow"]
    assert not measured, f"axes whose tick labels Plotly measures after each draw: {measured}"
    return out


def strings(obj) -> list[str]:
    """Every string anywhere in a decoded spec (labels, hover templates, titles...)."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in strings(v)]
    return []
