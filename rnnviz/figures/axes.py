"""Axes labelled so that every label reads: the steps t by their tokens (`step_ticks`,
`token_ticks`), log axes at powers of ten only (`log_axis`)."""

from __future__ import annotations

import numpy as np

from rnnviz.figures.safe_text import token_text, visible_token


def step_categories(labels, t_index=None) -> list[str]:
    """Unique category labels 't=3 ‘e’' for the time axis (hover shows the token too)."""
    t_index = range(len(labels)) if t_index is None else t_index
    return [f"t={t + 1} {token_text(labels[t])}" for t in t_index]


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def step_ticks(labels, values=None, *, max_ticks: int = 60, max_len: int = 4,
               title: str = "") -> dict:
    """x-axis settings that label the steps with their tokens, every one of them.

    Plotly thins tick labels it thinks collide, and an evenly spaced decimation of 45 steps
    into 40 drops every ninth character ("The␣ ats,␣whi h"). Here every step is labelled
    while there are at most `max_ticks` (what the chart's width holds at a readable size;
    smaller labels for more steps); beyond that, every k-th step is labelled and the axis
    title says so. values: the axis value of each step (default 1..T_x).
    """
    T = len(labels)
    values = list(range(1, T + 1)) if values is None else list(values)
    stride = max(1, -(-T // max_ticks))
    keep = range(0, T, stride)
    text = [token_text(labels[i], max_len) for i in keep]
    wide = max((len(visible_token(str(labels[i]))) for i in keep), default=1) > 2
    note = f"every {_ordinal(stride)} step labelled (T_x = {T})" if stride > 1 else ""
    out = dict(tickmode="array", tickvals=[values[i] for i in keep], ticktext=text,
               tickangle=-60 if wide else 0,
               tickfont=dict(size=12 if len(text) <= max_ticks // 2 else 10))
    heading = " — ".join(x for x in (title, note) if x)
    if heading:
        out["title"] = dict(text=heading)
    return out


def token_ticks(labels, t_index=None, max_ticks: int = 60, title: str = "") -> dict:
    """`step_ticks` for a category axis of `step_categories` (heatmaps over t)."""
    return dict(step_ticks(labels if t_index is None else [labels[t] for t in t_index],
                           step_categories(labels, t_index), max_ticks=max_ticks, max_len=6,
                           title=title),
                type="category")


def log_axis(values, title: str, max_ticks: int = 8) -> dict:
    """A log-scale axis labelled at powers of ten only (10⁻³, 10⁻², ...), never at the
    digits 2..9 between them (which read like a falling scale: "4 3 2 10 9 8").

    The range is widened to whole decades around the finite positive `values`, so at least
    two labels show; with more than `max_ticks` decades only every k-th is labelled.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    lo, hi = (int(np.floor(np.log10(v.min()))), int(np.ceil(np.log10(v.max())))) if v.size \
        else (-1, 1)
    hi = max(hi, lo + 1)
    step = max(1, -(-(hi - lo) // max_ticks))
    return dict(type="log", range=[lo, hi], tick0=0, dtick=step, exponentformat="power",
                minor=dict(ticks="", showgrid=False), title=dict(text=title))
