"""Figures of the Vanishing-gradients page: RNN vs GRU vs LSTM on the same input.

* `vanishing_figure`    the three curves on one log-scale chart.
* `clipping_figure`     ||∂L/∂θ|| before and after clipping, per architecture.

The numbers come from `rnnviz.core.analysis`: `repeat_ids`, `gradient_curves` (the curves),
`vanishing_reach` (the page's summary number), `growth` and `clip_summary`.

Curves are computed in float64: an RNN's gradient 300 steps back can be 1e-80, below the
smallest float32. Values that are 0 or not finite are drawn as gaps, never as fake numbers.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from rnnviz.core.analysis import VANISH_RATIO, vanishing_reach
from rnnviz.figures.axes import log_axis
from rnnviz.figures.colours import ARCH_COLORS
from rnnviz.figures.figure import figure, layout, title_over_legend
from rnnviz.figures.safe_text import plotly_text

ARCHS = ("rnn", "gru", "lstm")
NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
MEASURES = {
    "loss": "||∂L/∂a<t>||, loss at the last step",
    "jacobian": "||∂a<T_x>/∂a<t>||, product of step Jacobians",
}


def vanishing_figure(curves: dict, *, measure="loss", ratio=VANISH_RATIO,
                     title=None, dashed=()) -> go.Figure:
    """One line per architecture (trace names "RNN", "GRU", "LSTM"), t on x, log-scale y.

    curves: {"RNN": (T,) norms, ...}. Points that are 0 or not finite are gaps. A dotted
    line per architecture marks ratio × its value at T_x. Names in `dashed` (the sidebar's
    model) are drawn as dashed black lines, their names escaped for Plotly.
    """
    data, shapes = [], []
    T = max(len(v) for v in curves.values())
    for name, norms in curves.items():
        y = np.asarray(norms, dtype=np.float64).copy()
        y[~np.isfinite(y) | (y <= 0)] = np.nan
        colour = ARCH_COLORS.get(name, "#222")
        shown = plotly_text(name)
        k = vanishing_reach(norms, ratio)
        summary = (f"stays below {ratio:g}× from {k} steps back on" if k is not None
                   else f"still above {ratio:g}× at t = 1")
        data.append(dict(
            type="scatter", x=np.arange(1, len(y) + 1), y=y, mode="lines", name=shown,
            line=dict(color=colour, width=2.5, dash="dash" if name in dashed else "solid"),
            hovertemplate=(f"<b>{shown}</b> t=%{{x}}<br>norm = %{{y:.3e}}<br>{summary}"
                           "<extra></extra>"),
        ))
        if np.isfinite(norms[-1]) and norms[-1] > 0:
            shapes.append(dict(type="line", xref="x", yref="y", x0=1, x1=len(y),
                               y0=ratio * norms[-1], y1=ratio * norms[-1],
                               line=dict(color=colour, dash="dot", width=1)))
    # No title unless given: the page says what is drawn in the text above the chart, and
    # the legend (up to two rows with the sidebar's model) has the top band to itself.
    lay = layout(title, 440, shapes=shapes,
                 xaxis=dict(title=dict(text="t (the loss is at the right end, t = T_x)"),
                            range=[0.5, T + 0.5]),
                 yaxis=log_axis(np.concatenate([np.asarray(v, dtype=np.float64).ravel()
                                                for v in curves.values()]
                                               + [np.array([s["y0"] for s in shapes])]),
                                "norm (log scale)"))
    lay["legend"] = dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0)
    lay["margin"]["t"] = 60 if title is None else 88
    if title:
        lay["title"].update(y=1, yref="container", yanchor="top", pad=dict(t=8))
    return figure(data, lay)


def bar_floor(values) -> np.ndarray:
    """`values` and one tenth of the smallest finite positive one: on a log axis a bar rises
    from the bottom of the range, so the range must start a decade below the lowest bar (a bar
    of 1.0 on an axis from 10⁰ has no height)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    ok = v[np.isfinite(v) & (v > 0)]
    return np.concatenate([v, ok.min(keepdims=True) / 10]) if ok.size else v


def clipping_figure(summaries: dict, *, method="norm", threshold=1.0) -> go.Figure:
    """Grouped bars (log y): ||∂L/∂θ|| before and after clipping, per architecture."""
    names = list(summaries)
    # a long name ("sidebar: my-model") on two lines, escaped: the bars are narrow
    ticks = [plotly_text(n).replace(": ", ":<br>", 1) for n in names]
    before = [summaries[n]["norm_before"] for n in names]
    after = [summaries[n]["norm_after"] for n in names]

    def clean(v):
        return [x if np.isfinite(x) and x > 0 else None for x in v]

    data = [
        dict(type="bar", x=ticks, y=clean(before), name="before clipping",
             marker=dict(color="#bdbdbd"),
             hovertemplate="%{x}: ||∂L/∂θ|| = %{y:.3e} before<extra></extra>"),
        dict(type="bar", x=ticks, y=clean(after), name="after clipping",
             marker=dict(color=[ARCH_COLORS.get(n, "#444") for n in names]),
             customdata=[summaries[n]["cosine"] for n in names],
             hovertemplate="%{x}: ||∂L/∂θ|| = %{y:.3e} after<br>cosine with the original "
                           "= %{customdata:.3f}<extra></extra>"),
    ]
    how = {"none": "no clipping", "value": f"clip by value at ±{threshold:g}",
           "norm": f"clip by global norm at {threshold:g}"}[method]
    lay = layout(f"||∂L/∂θ||, {how}", 340, barmode="group",
                 yaxis=log_axis(bar_floor(before + after), "||∂L/∂θ|| (log)"))
    return figure(data, title_over_legend(lay))


__all__ = ["ARCHS", "NAMES", "MEASURES", "vanishing_figure", "clipping_figure"]
