"""What-if figures: a prediction before and after a change, the change in the states, the
sentence painted by attribution, and the multi-seed agreement table. Pure functions of
arrays (no model is run here)."""

from __future__ import annotations

import numpy as np

from rnnviz.figures.axes import step_ticks
from rnnviz.figures.colours import ARCH_COLORS, BASE, DIVERGING_SCALE, SEQUENTIAL_SCALE, SERIES
from rnnviz.figures.figure import f32, figure, layout, subplot_title
from rnnviz.figures.safe_text import plotly_text, token_text


def top_changes(labels, before: np.ndarray, after: np.ndarray, k: int = 10) -> list[int]:
    """Indices of the k outputs with the largest probability before or after (most likely
    first by max(before, after)), so a change that lifts an unlikely output still shows."""
    score = np.maximum(before, after)
    return [int(i) for i in np.argsort(-score, kind="stable")[:min(k, len(labels))]]


def prediction_figure(labels, before: np.ndarray, after: np.ndarray, k: int = 10):
    """Grouped bars: ŷ before (intact) and after the change, for the top k outputs (the
    chart's heading is the page's text above it)."""
    idx = top_changes(labels, before, after, k)
    names = [token_text(labels[i], 10) for i in idx]
    data = [dict(type="bar", x=names, y=f32(before[idx]), name="intact", marker_color=BASE,
                 hovertemplate="%{x}: %{y:.3f} (intact)<extra></extra>"),
            dict(type="bar", x=names, y=f32(after[idx]), name="changed",
                 marker_color=SERIES[1],
                 hovertemplate="%{x}: %{y:.3f} (changed)<extra></extra>")]
    wide = max((len(n) for n in names), default=1) > 3
    return figure(data, layout(None, height=300, barmode="group",
                               margin=dict(l=60, r=20, t=40, b=90 if wide else 40),
                               yaxis=dict(title=dict(text="probability"), range=[0, 1]),
                               xaxis=dict(type="category", tickangle=-45 if wide else 0),
                               legend=dict(orientation="h", x=0, y=1.02, xanchor="left",
                                           yanchor="bottom")),
                  compact=True)


def _value_range(quantity: str, before: np.ndarray, after: np.ndarray):
    """(colour scale, lo, hi) of a quantity's values: gates lie in 0…1, a<t> and c̃<t> in
    −1…1, c<t> in ± its largest magnitude."""
    if quantity.startswith("gamma_"):
        return SEQUENTIAL_SCALE, 0.0, 1.0
    if quantity == "c":
        vmax = float(max(np.abs(before).max(), np.abs(after).max(), 1.0))
        return DIVERGING_SCALE, -vmax, vmax
    return DIVERGING_SCALE, -1.0, 1.0


def _runs(steps: np.ndarray):
    """Contiguous runs (first, last) of sorted 1-based steps."""
    out = []
    for t in steps:
        if out and t == out[-1][1] + 1:
            out[-1][1] = t
        else:
            out.append([t, t])
    return out


PANELS = ("intact", "changed", "difference Δ")


MAX_ROWS = 96          # units drawn: 3 panels × 96 × T_x float32 stay in a page's budget


def shown_units(before: np.ndarray, after: np.ndarray, changed: np.ndarray,
                max_rows: int = MAX_ROWS) -> np.ndarray:
    """The units (ascending) the states chart draws: all of them up to `max_rows`; beyond,
    the units the request set and those the change moved most (largest |Δ| over t)."""
    n_a = before.shape[1]
    if n_a <= max_rows:
        return np.arange(n_a)
    set_units = np.flatnonzero(changed.any(axis=0))
    moved = np.argsort(-np.abs(after - before).max(axis=0), kind="stable")
    rest = [u for u in moved if u not in set(set_units.tolist())]
    keep = list(set_units[:max_rows]) + rest[:max(0, max_rows - len(set_units))]
    return np.sort(np.asarray(keep, dtype=np.int64))


def states_figure(before: np.ndarray, after: np.ndarray, changed: np.ndarray,
                  quantity: str, label: str, max_rows: int = MAX_ROWS):
    """Three heatmaps side by side, units (rows) × steps t (columns): the quantity as the
    network computed it, with the change, and the difference (red: larger after the change,
    blue: smaller). The values the request set are outlined in every panel. A click on a row
    gives its unit as the point's y. label: the quantity's symbol (e.g. "Γf<t>"). A model
    of more than `max_rows` units shows the units set and those moved most (`shown_units`;
    the rows are then labelled by unit, in order)."""
    keep = shown_units(before, after, changed, max_rows)
    before, after, changed = before[:, keep], after[:, keep], changed[:, keep]
    T, n_a = before.shape
    scale, lo, hi = _value_range(quantity, before, after)
    delta = after - before
    dmax = float(np.abs(delta).max()) or 1.0
    units, t = [str(int(u)) for u in keep], list(range(1, T + 1))
    gap = 0.03
    w = (1 - 2 * gap) / 3
    rows_px = min(14 * n_a, max(360, 2 * n_a))
    data, lay = [], layout(None, height=rows_px + 170,
                           margin=dict(l=60, r=20, t=30, b=140))
    panels = (before.T, after.T, delta.T)
    for i, (z, name) in enumerate(zip(panels, PANELS, strict=True)):
        ax = "" if i == 0 else str(i + 1)
        data.append(dict(type="heatmap", z=f32(z), x=t, y=units, xaxis=f"x{ax}", yaxis="y",
                         coloraxis="coloraxis2" if i == 2 else "coloraxis",
                         hovertemplate=(f"t=%{{x}}, unit %{{y}}: {plotly_text(name)} "
                                        "%{z:.3f}<extra></extra>")))
        lay[f"xaxis{ax}"] = dict(domain=[i * (w + gap), i * (w + gap) + w], anchor="y",
                                 nticks=5, title=dict(text="t"), showgrid=False,
                                 zeroline=False)
        lay.setdefault("annotations", []).append(
            subplot_title(plotly_text(name), i * (w + gap) + w / 2, 1.0))
    lay["yaxis"] = dict(type="category", autorange="reversed", title=dict(text="unit"),
                        showgrid=False, zeroline=False, nticks=min(n_a, 9))
    bar = dict(orientation="h", thickness=10, y=-0.16 * 360 / rows_px - 0.05,
               yanchor="top", title=dict(side="top"))
    lay["coloraxis"] = dict(colorscale=scale, cmin=lo, cmax=hi, colorbar=dict(
        bar, x=w + gap / 2, len=2 * w, xanchor="center",
        title=dict(text=plotly_text(label), side="top")))
    lay["coloraxis2"] = dict(colorscale=DIVERGING_SCALE, cmin=-dmax, cmax=dmax,
                             colorbar=dict(bar, x=2 * (w + gap) + w / 2, len=w, nticks=3,
                                           xanchor="center",
                                           title=dict(text="Δ", side="top")))
    shapes = []
    for u in np.flatnonzero(changed.any(axis=0)):
        for first, last in _runs(np.flatnonzero(changed[:, u]) + 1):
            for i in range(3):
                ax = "" if i == 0 else str(i + 1)
                shapes.append(dict(type="rect", xref=f"x{ax}", yref="y", x0=first - 0.5,
                                   x1=last + 0.5, y0=u - 0.5, y1=u + 0.5,
                                   line=dict(color="black", width=1.5)))
    lay["shapes"] = shapes
    return figure(data, lay, compact=True)


def attribution_figure(tokens, scores: np.ndarray):
    """The sentence as one row of cells, each painted by its token's score (red pushes the
    output up, blue down) and labelled with the token (the method, target and completeness
    error are the page's text above the chart)."""
    vmax = float(np.abs(scores).max()) or 1.0
    T = len(tokens)
    data = [dict(type="heatmap", z=f32(scores[None, :]), x=list(range(1, T + 1)), y=[""],
                 text=[[token_text(t) for t in tokens]],
                 colorscale=DIVERGING_SCALE, zmin=-vmax, zmax=vmax,
                 colorbar=dict(title=dict(text="score", side="right"), thickness=12,
                               nticks=3),
                 hovertemplate="t=%{x} ‘%{text}’: %{z:.4f}<extra></extra>")]
    return figure(data, layout(None, height=150, xaxis=step_ticks(tokens),
                               yaxis=dict(showticklabels=False, ticks=""),
                               margin=dict(l=20, r=20, t=16, b=60)), compact=True)


def seed_table_figure(cells: dict):
    """Held-out accuracy vs distance L, mean over seeds with min..max bars, one line per
    cell ({cell: {L: summary}} from `rnnviz.training.agreement_seeds.seed_table`)."""
    data = []
    for cell, byL in cells.items():
        Ls = sorted(byL)
        mean = np.array([byL[L]["mean"] for L in Ls])
        lo = mean - np.array([byL[L]["min"] for L in Ls])
        hi = np.array([byL[L]["max"] for L in Ls]) - mean
        custom = [[byL[L]["n"], byL[L]["std"], byL[L]["min"], byL[L]["max"]] for L in Ls]
        data.append(dict(type="scatter", mode="lines+markers", x=Ls, y=mean, name=cell.upper(),
                         line=dict(color=ARCH_COLORS.get(cell.upper())),
                         error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo),
                         customdata=custom,
                         hovertemplate=("L=%{x}: mean %{y:.2f} ± %{customdata[1]:.2f} (sd) "
                                        "over %{customdata[0]} seeds, worst "
                                        "%{customdata[2]:.2f}, best %{customdata[3]:.2f}"
                                        "<extra>" + cell.upper() + "</extra>")))
    Ls = sorted({L for byL in cells.values() for L in byL})
    return figure(data, layout(None, height=320, margin=dict(l=60, r=20, t=40, b=50),
                               xaxis=dict(title=dict(text="distance L"), type="log",
                                          tickmode="array", tickvals=Ls,
                                          ticktext=[str(L) for L in Ls]),
                               yaxis=dict(title=dict(text="held-out accuracy"),
                                          range=[0.4, 1.02]),
                               legend=dict(orientation="h", x=0, y=1.02, xanchor="left",
                                           yanchor="bottom")))
