"""Figures of the Vanishing-gradients page: RNN vs GRU vs LSTM on the same input.

* `repeat_ids`          a sentence's ids repeated to any length (inputs and the last target).
* `gradient_curves`     per architecture: ||∂L/∂a<t>|| with the loss at T_x only (or the
                        Jacobian norms ||∂a<T_x>/∂a<t>||), and the parameter gradients.
* `steps_to_vanish`     how many steps back until the curve falls below ratio × its value at
                        T_x (the page's summary number).
* `vanishing_figure`    the three curves on one log-scale chart.
* `clip_summary`        what clip-by-value or clip-by-global-norm does to a gradient.
* `clipping_figure`     ||∂L/∂θ|| before and after clipping, per architecture.

Curves are computed in float64: an RNN's gradient 300 steps back can be 1e-80, below the
smallest float32. Values that are 0 or not finite are drawn as gaps, never as fake numbers.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from rnnviz.core.analysis import (
    clip_by_global_norm,
    clip_by_value,
    global_norm,
    state_jacobian_norms,
)
from rnnviz.figures.common import ARCH_COLORS, figure, layout

ARCHS = ("rnn", "gru", "lstm")
NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
VANISH_RATIO = 1e-3
MEASURES = {
    "loss": "||∂L/∂a<t>||, loss at the last step",
    "jacobian": "||∂a<T_x>/∂a<t>||, product of step Jacobians",
}


def repeat_ids(ids, T: int) -> tuple[np.ndarray, int]:
    """(T input ids, the target of step T): `ids` repeated as often as needed."""
    ids = np.asarray(ids, dtype=np.int64)
    if ids.size == 0:
        raise ValueError("no tokens to repeat")
    reps = -(-(T + 1) // ids.size)
    stream = np.tile(ids, reps)[: T + 1]
    return stream[:T], int(stream[T])


def gradient_curves(models: dict, x, target: int, measure: str = "loss") -> dict:
    """Per model name: {"norms": (T,) float64, "grads": {param: array}, "loss": float,
    "nonfinite": bool}. The loss is the cross-entropy at T_x only, so every step's gradient
    arrives through the recurrence alone."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {list(MEASURES)}")
    out = {}
    for name, model in models.items():
        with np.errstate(all="ignore"):
            tr = model.forward(x)
            loss, grads, bt = model.backward(tr, np.array([target]), at="last")
            norms = (np.asarray(bt.grad_norm, dtype=np.float64) if measure == "loss"
                     else np.asarray(state_jacobian_norms(model, tr), dtype=np.float64))
        bad = bool(tr.nonfinite.any() or not np.all(np.isfinite(norms))
                   or not np.isfinite(loss))
        out[name] = {"norms": norms, "grads": grads, "loss": float(loss), "nonfinite": bad}
    return out


def steps_to_vanish(norms, ratio: float = VANISH_RATIO) -> int | None:
    """Steps back from T_x until the norm first drops below ratio × norm at T_x; None if it
    never does (or the curve is not finite at T_x)."""
    norms = np.asarray(norms, dtype=np.float64)
    ref = norms[-1]
    if not np.isfinite(ref) or ref <= 0:
        return None
    below = np.flatnonzero(~(norms[::-1] >= ratio * ref))     # NaN counts as "below"
    return int(below[0]) if below.size else None


def growth(norms) -> float:
    """max_t ||·|| / ||·|| at T_x: above ~1e3 the gradient explodes going back."""
    norms = np.asarray(norms, dtype=np.float64)
    finite = norms[np.isfinite(norms)]
    if not finite.size or not np.isfinite(norms[-1]) or norms[-1] <= 0:
        return float("inf")
    return float(finite.max() / norms[-1])


def vanishing_figure(curves: dict, *, measure="loss", ratio=VANISH_RATIO,
                     title=None) -> go.Figure:
    """One line per architecture (trace names "RNN", "GRU", "LSTM"), t on x, log-scale y.

    curves: {"RNN": (T,) norms, ...}. Points that are 0 or not finite are gaps. A dotted
    line per architecture marks ratio × its value at T_x.
    """
    data, shapes = [], []
    T = max(len(v) for v in curves.values())
    for name, norms in curves.items():
        y = np.asarray(norms, dtype=np.float64).copy()
        y[~np.isfinite(y) | (y <= 0)] = np.nan
        colour = ARCH_COLORS.get(name, "#444")
        k = steps_to_vanish(norms, ratio)
        summary = f"below {ratio:g}× after {k} steps back" if k is not None else \
            f"never below {ratio:g}× in {len(y) - 1} steps"
        data.append(dict(
            type="scatter", x=np.arange(1, len(y) + 1), y=y, mode="lines", name=name,
            line=dict(color=colour, width=2.5),
            hovertemplate=(f"<b>{name}</b> t=%{{x}}<br>norm = %{{y:.3e}}<br>{summary}"
                           "<extra></extra>"),
        ))
        if np.isfinite(norms[-1]) and norms[-1] > 0:
            shapes.append(dict(type="line", xref="x", yref="y", x0=1, x1=len(y),
                               y0=ratio * norms[-1], y1=ratio * norms[-1],
                               line=dict(color=colour, dash="dot", width=1)))
    what = ("||∂L/∂a&lt;t&gt;|| with the loss at t = T_x" if measure == "loss"
            else "||∂a&lt;T_x&gt;/∂a&lt;t&gt;||")
    lay = layout(title or f"{what}: how much step t still matters at the end", 440,
                 shapes=shapes,
                 legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
                 xaxis=dict(title=dict(text="t (the loss is at the right end, t = T_x)"),
                            range=[0.5, T + 0.5]),
                 yaxis=dict(type="log", title=dict(text="norm (log scale)"),
                            exponentformat="power"))
    return figure(data, lay)


def _flat(grads) -> np.ndarray:
    return np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in grads.values()])


def clip_summary(grads: dict, method: str, threshold: float) -> dict:
    """Global norm and largest entry before/after clipping, and the cosine between the
    clipped and the original gradient (1 = same direction). method: "none" | "value" |
    "norm" (`clip_by_value` / `clip_by_global_norm` of rnnviz.core.analysis)."""
    with np.errstate(all="ignore"):
        if method == "value":
            clipped = clip_by_value(grads, threshold)
        elif method == "norm":
            clipped, _ = clip_by_global_norm(grads, threshold)
        else:
            clipped = grads
        g, c = _flat(grads), _flat(clipped)
        ok = np.isfinite(g).all() and np.isfinite(c).all()
        denom = np.linalg.norm(g) * np.linalg.norm(c)
        cos = float(g @ c / denom) if ok and denom > 0 else float("nan")
    return {"norm_before": global_norm(grads), "norm_after": global_norm(clipped),
            "max_before": float(np.nanmax(np.abs(g))) if g.size else 0.0,
            "max_after": float(np.nanmax(np.abs(c))) if c.size else 0.0, "cosine": cos}


def clipping_figure(summaries: dict, *, method="norm", threshold=1.0) -> go.Figure:
    """Grouped bars (log y): ||∂L/∂θ|| before and after clipping, per architecture."""
    names = list(summaries)
    before = [summaries[n]["norm_before"] for n in names]
    after = [summaries[n]["norm_after"] for n in names]

    def clean(v):
        return [x if np.isfinite(x) and x > 0 else None for x in v]

    data = [
        dict(type="bar", x=names, y=clean(before), name="before clipping",
             marker=dict(color="#bdbdbd"),
             hovertemplate="%{x}: ||∂L/∂θ|| = %{y:.3e} before<extra></extra>"),
        dict(type="bar", x=names, y=clean(after), name="after clipping",
             marker=dict(color=[ARCH_COLORS.get(n, "#444") for n in names]),
             customdata=[summaries[n]["cosine"] for n in names],
             hovertemplate="%{x}: ||∂L/∂θ|| = %{y:.3e} after<br>cosine with the original "
                           "= %{customdata:.3f}<extra></extra>"),
    ]
    how = {"none": "no clipping", "value": f"clip by value at ±{threshold:g}",
           "norm": f"clip by global norm at {threshold:g}"}[method]
    lay = layout(f"Gradient of all parameters, before and after: {how}", 320,
                 barmode="group",
                 legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
                 yaxis=dict(type="log", title=dict(text="||∂L/∂θ|| (log)"),
                            exponentformat="power"))
    return figure(data, lay)


__all__ = ["ARCHS", "NAMES", "MEASURES", "VANISH_RATIO", "repeat_ids", "gradient_curves",
           "steps_to_vanish", "growth", "vanishing_figure", "clip_summary", "clipping_figure"]
