"""What the browser receives: a figure's JSON with every typed array decoded to NumPy."""

import base64
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio


def _decode(obj):
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            arr = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"]))
            if "shape" in obj:
                arr = arr.reshape([int(n) for n in str(obj["shape"]).split(",")])
            return arr
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


def spec(fig: go.Figure) -> dict:
    """Validate the figure (the builders skip validation for speed), then decode its JSON."""
    go.Figure(fig.to_dict())
    return _decode(json.loads(pio.to_json(fig, validate=False)))


def strings(obj) -> list[str]:
    """Every string anywhere in a decoded spec (labels, hover templates, titles...)."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in strings(v)]
    return []
