"""A figure as the app sends it: the `Figure` built from plain dicts (unvalidated, frames
kept as built, frozen once into its JSON), numbers as float32 typed arrays, and the common
layout (font, margins, titles)."""

from __future__ import annotations

import base64
import copy
import re

import numpy as np
import plotly.graph_objects as go
from _plotly_utils.utils import convert_to_base64

FONT = dict(family="Inter, 'Source Sans Pro', 'DejaVu Sans', sans-serif", size=13)


def f32(a) -> np.ndarray:
    """A contiguous float32 copy (what figures send to the browser)."""
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def nan_to_none_mask(a: np.ndarray) -> np.ndarray:
    """float32 copy with inf/NaN replaced by NaN (Plotly draws NaN as a gap, inf breaks it)."""
    out = f32(a).copy()
    out[~np.isfinite(out)] = np.nan
    return out


def decimate(n: int, max_points: int) -> np.ndarray:
    """Indices 0..n-1 thinned to at most `max_points` evenly spaced ones (the last kept)."""
    if n <= max_points:
        return np.arange(n)
    idx = np.unique(np.linspace(0, n - 1, max_points).round().astype(int))
    return idx


class Figure(go.Figure):
    """A go.Figure built from plain dicts, whose animation frames stay plain dicts, and which
    can be frozen into its final JSON-ready dict.

    * Plotly validates every frame even with `_validate=False` and deep-copies frames again
      in `to_dict`; for a few hundred frames that is most of a page's time budget. Frames are
      kept as built (`raw_frames`; treat them as read-only).
    * `to_dict` (what Streamlit and `plotly.io.to_json` call) deep-copies the figure and
      encodes its arrays every time. `freeze()` does that once and keeps the result: later
      calls return the same dict, so a cached figure costs almost nothing to send again.
      Freeze only a finished figure that nobody changes any more (`ui.cache_figure` does).

    The figure tests validate every builder's output (`go.Figure(fig.to_dict())`).
    """

    def __init__(self, data, layout, frames=None):
        super().__init__({"data": list(data), "layout": layout}, _validate=False)
        self._raw_frames = list(frames or [])
        self._frozen = None

    @property
    def raw_frames(self) -> list[dict]:
        return self._raw_frames

    def freeze(self) -> Figure:
        if self._frozen is None:
            out = go.Figure.to_dict(self)              # a deep copy, arrays as base64 specs
            if self._raw_frames:
                frames = copy.deepcopy(self._raw_frames)
                convert_to_base64(frames)
                out["frames"] = frames
            self._frozen = out
        return self

    def to_dict(self):
        if self._frozen is not None:
            return self._frozen
        out = super().to_dict()
        if self._raw_frames:
            out["frames"] = self._raw_frames
        return out

    def to_plotly_json(self):
        return self.to_dict()


_TYPED = {"f": "f4", "i": "i4", "u": "u4"}


def typed_arrays(obj):
    """Numeric arrays as Plotly typed-array specs (base64 float32 / int32), other arrays as
    lists, at any depth. Plotly's own conversion of a NumPy array costs ~0.3 ms each."""
    if isinstance(obj, dict):
        return {k: typed_arrays(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if all(isinstance(v, (str, int, float, bool)) or v is None for v in obj):
            return obj                  # labels and colours: nothing to convert
        return [typed_arrays(v) for v in obj]
    if isinstance(obj, np.ndarray):
        kind = obj.dtype.kind
        if kind in _TYPED and obj.size and obj.ndim <= 2:
            if kind in "iu" and (obj.min() < -2**31 or obj.max() >= 2**31):
                kind = "f"
            arr = np.ascontiguousarray(obj, dtype=_TYPED[kind])
            spec = {"dtype": _TYPED[kind], "bdata": base64.b64encode(arr.tobytes()).decode()}
            if arr.ndim == 2:
                spec["shape"] = f"{arr.shape[0]}, {arr.shape[1]}"
            return spec
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def figure(data, layout, frames=None, *, compact: bool = False) -> Figure:
    """A Figure from plain dicts, without Plotly's per-property validation.

    Validation costs ~30 ms per figure (most of a page's time budget); the figure tests
    validate every builder's output instead (`go.Figure(fig.to_dict())`).
    compact: send every numeric array as float32/int32 (`typed_arrays`, for figures whose
    numbers are only drawn) and an empty template: Streamlit's theme styles the chart, and
    plotly.py's default template adds ~7 kB and ~20 ms of copying. Keep it off for values
    that need float64 (gradient norms far below float32's range).
    """
    data = list(data)
    layout = _tick_labels_unmeasured(data, layout)
    if compact:
        data = typed_arrays(data)
        layout = typed_arrays({"template": {}, **layout})
        frames = typed_arrays(frames) if frames else frames
    return Figure(data, layout, frames)


# Traces without x and y axes: they add no cartesian axis to the layout.
_NOT_CARTESIAN = {"table", "pie", "sankey", "sunburst", "treemap", "indicator", "parcoords"}


def _tick_labels_unmeasured(data, layout: dict) -> dict:
    """The layout with ticklabeloverflow="allow" on every cartesian axis (where not set).

    Plotly's default ("hide past div") measures every tick label's box after each draw to
    hide those that leave the chart: 54 token labels on three stacked heatmaps cost ~45 ms of
    the BPTT chart's ~110 ms redraw. Our margins hold the labels (the readability tests
    measure every label inside its chart), so nothing is measured.
    """
    names = {k for k in layout if re.fullmatch(r"[xy]axis\d*", k)}
    for trace in data:
        if trace.get("type", "scatter") not in _NOT_CARTESIAN:
            for axis, default in (("xaxis", "x"), ("yaxis", "y")):
                names.add(axis + str(trace.get(axis) or default)[1:])
    out = dict(layout)
    for name in names:
        axis = dict(out.get(name) or {})
        axis.setdefault("ticklabeloverflow", "allow")
        out[name] = axis
    return out


def subplot_title(text: str, x: float, y: float) -> dict:
    """A subplot title as a paper-anchored annotation centred at (x, y)."""
    return dict(text=text, x=x, y=y, xref="paper", yref="paper", showarrow=False,
                xanchor="center", yanchor="bottom", font=dict(size=14))


def layout(title: str | None = None, height: int = 320, **kwargs) -> dict:
    """The app's common layout: compact margins, readable font, hover near the cursor."""
    out = dict(
        height=height,
        margin=dict(l=60, r=20, t=48 if title else 16, b=40),
        font=FONT,
        hoverlabel=dict(font=dict(family=FONT["family"], size=13)),
    )
    if title:
        out["title"] = dict(text=title, x=0, xanchor="left", font=dict(size=15))
    out.update(kwargs)
    return out


def title_over_legend(lay: dict, legend_rows: int = 1) -> dict:
    """Put the title at the very top and a horizontal legend in its own band(s) under it,
    above the plot, so that a narrow chart never prints one over the other."""
    lay["title"].update(y=1, yref="container", yanchor="top", pad=dict(t=8))
    lay["legend"] = dict(lay.get("legend", {}), orientation="h", yanchor="bottom", y=1.02,
                         xanchor="left", x=0)
    lay["margin"]["t"] = 40 + 24 * legend_rows
    return lay
