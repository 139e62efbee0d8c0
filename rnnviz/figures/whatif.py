"""What-if figures: a prediction before and after a change, the change in the states, the
sentence painted by attribution, and the multi-seed agreement table. Pure functions of
arrays (no model is run here)."""

from __future__ import annotations

import numpy as np

from rnnviz.figures.common import (
    ARCH_COLORS,
    BASE,
    DIVERGING,
    SERIES,
    f32,
    figure,
    layout,
    plotly_text,
    step_ticks,
    token_text,
)


def top_changes(labels, before: np.ndarray, after: np.ndarray, k: int = 10) -> list[int]:
    """Indices of the k outputs with the largest probability before or after (most likely
    first by max(before, after)), so a change that lifts an unlikely output still shows."""
    score = np.maximum(before, after)
    return [int(i) for i in np.argsort(-score, kind="stable")[:min(k, len(labels))]]


def prediction_figure(labels, before: np.ndarray, after: np.ndarray, title: str,
                      k: int = 10):
    """Grouped bars: ŷ before (intact) and after the change, for the top k outputs."""
    idx = top_changes(labels, before, after, k)
    names = [token_text(labels[i]) for i in idx]
    data = [dict(type="bar", x=names, y=f32(before[idx]), name="intact", marker_color=BASE,
                 hovertemplate="%{x}: %{y:.3f} (intact)<extra></extra>"),
            dict(type="bar", x=names, y=f32(after[idx]), name="changed",
                 marker_color=SERIES[1],
                 hovertemplate="%{x}: %{y:.3f} (changed)<extra></extra>")]
    return figure(data, layout(plotly_text(title), height=300, barmode="group",
                               yaxis=dict(title=dict(text="probability"), range=[0, 1]),
                               xaxis=dict(type="category"), legend=dict(orientation="h")),
                  compact=True)


def state_change_figure(tokens, a_before: np.ndarray, a_after: np.ndarray,
                        changed: np.ndarray, max_units: int = 64):
    """Heatmap of Δa<t> = a<t> (changed) − a<t> (intact), steps × units; the units the
    request set are listed first, then the units that moved most (up to max_units)."""
    delta = a_after - a_before
    set_units = np.flatnonzero(changed.any(axis=0))
    moved = [int(u) for u in np.argsort(-np.abs(delta).max(axis=0), kind="stable")
             if u not in set_units]
    units = [int(u) for u in set_units] + moved[:max(0, max_units - len(set_units))]
    z = delta[:, units].T
    vmax = float(np.abs(z).max()) or 1.0
    T = len(tokens)
    data = [dict(type="heatmap", z=f32(z), x=list(range(1, T + 1)),
                 y=[f"unit {u}{' (set)' if u in set_units else ''}" for u in units],
                 colorscale=DIVERGING, zmin=-vmax, zmax=vmax,
                 colorbar=dict(title=dict(text="Δa")),
                 hovertemplate="t=%{x}, %{y}: Δa = %{z:.3f}<extra></extra>")]
    return figure(data, layout("Δa&lt;t&gt;: changed − intact", height=160 + 14 * len(units),
                               xaxis=step_ticks(tokens), yaxis=dict(autorange="reversed",
                                                                   type="category")),
                  compact=True)


def attribution_figure(tokens, scores: np.ndarray, method: str, target: str, step: int,
                       completeness_error: float):
    """The sentence as one row of cells, each painted by its token's score (red pushes the
    output up, blue down) and labelled with the token."""
    vmax = float(np.abs(scores).max()) or 1.0
    T = len(tokens)
    name = {"grad_x_input": "gradient × input",
            "integrated_gradients": "integrated gradients"}.get(method, method)
    title = (f"{name} toward ŷ = {plotly_text(target)} at t = {step}; "
             f"completeness error {100 * completeness_error:.2f}%")
    data = [dict(type="heatmap", z=f32(scores[None, :]), x=list(range(1, T + 1)), y=[""],
                 text=[[token_text(t) for t in tokens]], texttemplate="%{text}",
                 colorscale=DIVERGING, zmin=-vmax, zmax=vmax,
                 colorbar=dict(title=dict(text="score")),
                 hovertemplate="t=%{x} %{text}: %{z:.4f}<extra></extra>")]
    return figure(data, layout(title, height=170, xaxis=step_ticks(tokens)), compact=True)


def seed_table_figure(cells: dict):
    """Held-out accuracy vs distance L, mean over seeds with min..max bars, one line per
    cell ({cell: {L: summary}} from `rnnviz.training.agreement_seeds.seed_table`)."""
    data = []
    for cell, byL in cells.items():
        Ls = sorted(byL)
        mean = np.array([byL[L]["mean"] for L in Ls])
        lo = mean - np.array([byL[L]["min"] for L in Ls])
        hi = np.array([byL[L]["max"] for L in Ls]) - mean
        n = [byL[L]["n"] for L in Ls]
        data.append(dict(type="scatter", mode="lines+markers", x=Ls, y=mean, name=cell.upper(),
                         line=dict(color=ARCH_COLORS.get(cell.upper())),
                         error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
                         customdata=n,
                         hovertemplate=("L=%{x}: mean %{y:.2f} over %{customdata} seeds"
                                        "<extra>" + cell.upper() + "</extra>")))
    return figure(data, layout("Accuracy vs distance: mean over seeds, bars = min…max",
                               height=320, xaxis=dict(title=dict(text="distance L"),
                                                      type="log"),
                               yaxis=dict(title=dict(text="held-out accuracy"),
                                          range=[0.4, 1.02])))
