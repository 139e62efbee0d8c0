"""Figures of the Training page: cells trained side by side, drawn from their recorded numbers.

Every builder takes plain arrays keyed by cell ("rnn", "gru", "lstm") and returns a Figure;
each cell keeps its colour of every other page (`colours.ARCH_COLORS`).
"""

from __future__ import annotations

import numpy as np

from rnnviz.figures.axes import log_axis
from rnnviz.figures.colours import ARCH_COLORS, SEQUENTIAL_SCALE
from rnnviz.figures.figure import decimate, f32, figure, layout

NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
MAX_POINTS = 400                     # points per loss curve sent to the browser
METRICS = {"accuracy": "held-out accuracy at the verb", "bpc": "held-out bits per character"}


def _colour(cell: str) -> str:
    return ARCH_COLORS[NAMES[cell]]


def smooth(values: np.ndarray, beta: float = 0.95) -> np.ndarray:
    """Bias-corrected exponential moving average (NaN steps skipped)."""
    out = np.full(len(values), np.nan)
    avg, weight = 0.0, 0.0
    for i, v in enumerate(np.asarray(values, dtype=np.float64)):
        if np.isfinite(v):
            avg = beta * avg + (1 - beta) * v
            weight = beta * weight + (1 - beta)
        out[i] = avg / weight if weight else np.nan
    return out


def loss_figure(losses: dict[str, np.ndarray], unit: str = "nats", height: int = 320):
    """The training loss of every cell against the step: faint per batch, bold smoothed."""
    data = []
    for cell, ys in losses.items():
        ys = np.asarray(ys, dtype=np.float64)
        idx = decimate(len(ys), MAX_POINTS)
        steps = f32(idx + 1)
        colour = _colour(cell)
        data.append(dict(type="scatter", mode="lines", x=steps, y=f32(ys[idx]),
                         name=f"{NAMES[cell]} (per batch)", legendgroup=cell, showlegend=False,
                         line=dict(color=colour, width=1), opacity=0.25, hoverinfo="skip"))
        data.append(dict(type="scatter", mode="lines", x=steps, y=f32(smooth(ys)[idx]),
                         name=NAMES[cell], legendgroup=cell, line=dict(color=colour, width=2.5),
                         hovertemplate=f"{NAMES[cell]}: step %{{x}}<br>loss %{{y:.3f}}"
                                       "<extra></extra>"))
    # the x axis starts at the first step: with both axes from 0, the two "0" tick labels
    # met in the corner at 1024 px
    return figure(data, layout(
        "Training loss", height=height,
        xaxis=dict(title=dict(text="training step")),
        yaxis=dict(title=dict(text=f"loss ({unit} per target)"), rangemode="tozero"),
        legend=dict(orientation="h", y=1.12, x=1, xanchor="right")))


def metric_figure(evals: dict[str, tuple[np.ndarray, np.ndarray]], metric: str = "accuracy",
                  baseline: float | None = None, height: int = 320, title: str | None = None):
    """The held-out metric over training: accuracy (chance 50%) or bits per character
    (with the n-gram baseline as a dashed line). title: the chart's (default: the metric's
    name in METRICS, the agreement's wording)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {list(METRICS)}")
    data = []
    for cell, (steps, values) in evals.items():
        vals = np.asarray(values, dtype=np.float64) * (100 if metric == "accuracy" else 1)
        data.append(dict(type="scatter", mode="lines+markers", x=f32(steps), y=f32(vals),
                         name=NAMES[cell], line=dict(color=_colour(cell), width=2),
                         marker=dict(size=5),
                         hovertemplate=f"{NAMES[cell]}: step %{{x}}<br>%{{y:.1f}}"
                                       + ("%" if metric == "accuracy" else " bits/char")
                                       + "<extra></extra>"))
    shapes, annotations = [], []
    ref = 50.0 if metric == "accuracy" else baseline
    if ref is not None and np.isfinite(ref):
        label = "chance" if metric == "accuracy" else "n-gram baseline"
        shapes.append(dict(type="line", xref="paper", x0=0, x1=1, y0=ref, y1=ref,
                           line=dict(color="#555", dash="dash", width=1)))
        annotations.append(dict(xref="paper", x=1, y=ref, text=f"{label} {ref:.2f}"
                                if metric == "bpc" else label, showarrow=False,
                                xanchor="right", yanchor="bottom", font=dict(size=11)))
    yaxis = (dict(title=dict(text="accuracy (%)"), range=[0, 102]) if metric == "accuracy"
             else dict(title=dict(text="bits per character"), rangemode="tozero"))
    return figure(data, layout(
        title or METRICS[metric].capitalize(), height=height, shapes=shapes,
        annotations=annotations, xaxis=dict(title=dict(text="training step")), yaxis=yaxis,
        legend=dict(orientation="h", y=1.12, x=1, xanchor="right")))


def da_now_figure(norms: dict[str, np.ndarray], step: int, height: int = 320):
    """‖∂L<T_x>/∂a<t>‖ over t for every cell at one training step (log scale)."""
    data = []
    for cell, v in norms.items():
        v = np.asarray(v, dtype=np.float64)
        y = f32(np.where(v > 0, v, np.nan))
        data.append(dict(type="scatter", mode="lines", x=f32(np.arange(1, len(v) + 1)), y=y,
                         name=NAMES[cell], line=dict(color=_colour(cell), width=2),
                         hovertemplate=f"{NAMES[cell]}: t=%{{x}}<br>%{{y:.2e}}<extra></extra>"))
    return figure(data, layout(
        f"‖∂L&lt;T_x&gt;/∂a&lt;t&gt;‖ over t at step {int(step)}", height=height,
        xaxis=dict(title=dict(text="t (the loss is at the right end, t = T_x)")),
        yaxis=log_axis(np.concatenate([np.asarray(v, dtype=np.float64).ravel()
                                       for v in norms.values()] or [np.ones(1)]),
                       "‖∂L&lt;T_x&gt;/∂a&lt;t&gt;‖"),
        legend=dict(orientation="h", y=1.12, x=1, xanchor="right")))


def da_heatmap_figure(steps: dict[str, np.ndarray], norms: dict[str, np.ndarray],
                      height: int = 300):
    """One heatmap per cell: training step (rows) × t (columns), colour log10 ‖∂L<T_x>/∂a<t>‖,
    on one shared colour scale so the cells compare."""
    cells = list(norms)
    logs = {c: np.log10(np.where(np.asarray(norms[c]) > 0, norms[c], np.nan)) for c in cells}
    finite = np.concatenate([v[np.isfinite(v)].ravel() for v in logs.values()] or [[0.0]])
    lo, hi = (float(np.min(finite)), float(np.max(finite))) if finite.size else (0.0, 1.0)
    n = len(cells)
    gap = 0.05
    width = (1 - gap * (n - 1)) / max(n, 1)
    data, axes = [], {}
    for i, c in enumerate(cells):
        sfx = "" if i == 0 else str(i + 1)
        z = logs[c]
        data.append(dict(type="heatmap", z=f32(z), x=f32(np.arange(1, z.shape[1] + 1)),
                         y=f32(steps[c]), xaxis=f"x{sfx}", yaxis=f"y{sfx}", zmin=lo, zmax=hi,
                         colorscale=SEQUENTIAL_SCALE, showscale=i == n - 1,
                         colorbar=dict(title=dict(text="log₁₀ ‖∂L/∂a‖"), len=0.9),
                         hovertemplate=f"{NAMES[c]}: step %{{y}}, t=%{{x}}<br>"
                                       "log₁₀ norm %{z:.2f}<extra></extra>"))
        x0 = i * (width + gap)
        axes[f"xaxis{sfx}"] = dict(domain=[x0, x0 + width], anchor=f"y{sfx}", automargin=True,
                                   title=dict(text=f"t ({NAMES[c]})", standoff=6))
        axes[f"yaxis{sfx}"] = (dict(title=dict(text="training step"), anchor="x") if i == 0 else
                               dict(anchor=f"x{sfx}", matches="y", showticklabels=False))
    lay = layout("‖∂L&lt;T_x&gt;/∂a&lt;t&gt;‖ as training goes", height=height, **axes)
    lay["margin"] = dict(lay["margin"], b=56)     # the t axes' titles below their ticks
    return figure(data, lay)


def sweep_figure(acc: dict[str, dict[int, float]], height: int = 320):
    """Held-out accuracy against the distance L, one line per cell (chance = 50%)."""
    data = []
    for cell, points in acc.items():
        Ls = sorted(points)
        data.append(dict(type="scatter", mode="lines+markers", x=f32(Ls),
                         y=f32([100 * points[L] for L in Ls]), name=NAMES[cell],
                         line=dict(color=_colour(cell), width=2), marker=dict(size=8),
                         hovertemplate=f"{NAMES[cell]}: L=%{{x}}<br>%{{y:.0f}}%<extra></extra>"))
    return figure(data, layout(
        "Accuracy vs distance", height=height,
        shapes=[dict(type="line", xref="paper", x0=0, x1=1, y0=50, y1=50,
                     line=dict(color="#555", dash="dash", width=1))],
        xaxis=dict(title=dict(text="distance L (words between the subject and the verb)"),
                   type="log"),
        yaxis=dict(title=dict(text="held-out accuracy (%)"), range=[0, 102]),
        legend=dict(orientation="h", y=1.12, x=1, xanchor="right")))


def describe_race(final: dict[str, float], metric: str = "accuracy",
                  baseline: float | None = None, chance_band: float = 0.1,
                  best: dict[str, tuple[int, float]] | None = None) -> str:
    """One or two sentences on what the run's numbers show (computed from them, never
    staged): who learned, who stayed at chance / above the baseline, and (from `best`, each
    cell's (step, highest accuracy) during the run) who learned and then lost it again."""
    if not final:
        return ""
    parts = []
    if metric == "accuracy" and best:
        lost = [(c, k, v) for c, (k, v) in best.items() if c in final and v >= final[c] + 0.2]
        for c, k, v in lost:
            parts.append(f"{NAMES[c]} reached {100 * v:.0f}% at step {k}, then fell back "
                         f"to {100 * final[c]:.0f}%: training was unstable at these settings "
                         "(a smaller learning rate or tighter clipping may keep it).")
    if metric == "accuracy":
        learned = [c for c, v in final.items() if v >= 0.95]
        chance = [c for c, v in final.items() if abs(v - 0.5) <= chance_band]
        between = [c for c in final if c not in learned and c not in chance]
        nums = ", ".join(f"{NAMES[c]} {100 * v:.0f}%" for c, v in final.items())
        parts.insert(0, f"Held-out accuracy at the verb: {nums}.")
        if learned and not chance and not between:
            parts.append("Every cell learned the agreement at this distance: these settings "
                         "do not separate them.")
        elif chance and not learned and not between:
            parts.append("No cell got past chance (50%) within this budget: the dependency "
                         "is too far for these settings, for all three alike.")
        else:
            if learned:
                parts.append(_names(learned) + " learned it (≥ 95%).")
            if between:
                parts.append(_names(between) + " only partly.")
            if chance:
                parts.append(_names(chance) + " stayed at chance (50% ± 10).")
    else:
        nums = ", ".join(f"{NAMES[c]} {v:.2f}" for c, v in final.items())
        parts.append(f"Held-out bits per character: {nums}.")
        if baseline is not None and np.isfinite(baseline):
            better = [c for c, v in final.items() if v < baseline]
            parts.append(f"The n-gram baseline has {baseline:.2f}: "
                         + (_names(better) + " beat it." if better else
                            "no cell beats it yet; a longer run may."))
    return " ".join(parts)


def describe_flipflop(final: dict[str, float], held: float = 0.99,
                      chance_band: float = 0.1) -> str:
    """One or two sentences on a flip-flop run's final accuracies (computed from them): who
    holds the bits (≥ `held`), who is near chance (50% ± `chance_band`), who is between."""
    if not final:
        return ""
    nums = ", ".join(f"{NAMES[c]} {100 * v:.1f}%" for c, v in final.items())
    parts = [f"Accuracy on fresh pulse sequences: {nums}."]
    learned = [c for c, v in final.items() if v >= held]
    chance = [c for c, v in final.items() if abs(v - 0.5) <= chance_band]
    between = [c for c in final if c not in learned and c not in chance]
    if learned:
        parts.append(_names(learned) + f" hold{'s' if len(learned) == 1 else ''} all three "
                     f"bits ({100 * held:.0f}% or more).")
    if between:
        parts.append(_names(between) + " only partly: more steps, or another seed.")
    if chance:
        parts.append(_names(chance) + " stayed near chance (50%).")
    return " ".join(parts)


def _names(cells) -> str:
    names = [NAMES[c] for c in cells]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


__all__ = ["NAMES", "METRICS", "smooth", "loss_figure", "metric_figure", "da_now_figure",
           "da_heatmap_figure", "sweep_figure", "describe_race", "describe_flipflop"]
