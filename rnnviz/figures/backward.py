"""Figures of the Backward-pass page: BPTT from t = T_x down to 1.

* `loss_figure`          the per-step losses L<t> (`rnnviz.gradients.step_losses`) as bars.
* `bptt_figure`          gradient heatmaps (∂L/∂a<t>, ∂L/∂c<t>, each gate's gradient) over
                         units × time, animated backwards: a cover hides the steps that BPTT
                         has not reached yet.
* `grad_norm_figure`     ||∂L/∂a<t>|| against t on a log scale.
* `dw_figure`            what each step adds to each weight gradient and the running total
                         from T_x (`rnnviz.gradients.dw_contributions`), per weight matrix.
* `gradcheck_table`      rows of `rnnviz.core.analysis.gradient_check` ready for a table.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from rnnviz.core.trace import split_key
from rnnviz.figures.animation import (
    animation_controls,
    controls_below,
    label_band_px,
    static_layout,
)
from rnnviz.figures.axes import log_axis, step_categories, step_ticks, token_ticks
from rnnviz.figures.colours import DIVERGING_SCALE, QUANTITY_COLORS
from rnnviz.figures.figure import decimate, figure, layout, nan_to_none_mask, title_over_legend
from rnnviz.figures.safe_text import escape_plotly, sym, token_text
from rnnviz.gradients import param_name, step_losses

MAX_FRAMES = 300
# Gradient keys in the order BPTT meets them inside one step.
GRAD_ORDER = ("da", "dc", "dgamma_o", "dgamma_f", "dgamma_u", "dgamma_r", "dc_tilde", "dz_a")
WEIGHT_COLORS = {"W_f": "#d62728", "W_u": "#2ca02c", "W_o": "#ff7f0e", "W_c": "#8c564b",
                 "W_r": "#e377c2", "W_a = [W_aa | W_ax]": "#1f77b4"}


def loss_figure(trace, targets, output_labels, *, example=0, at="all") -> go.Figure:
    """Bars of L<t>; with at="last" only L<T_x> counts (the others are drawn faint)."""
    L = step_losses(trace, targets, example)
    labels = trace.token_labels()
    cats = step_categories(labels)
    T = len(L)
    counted = np.isfinite(L) & ((np.arange(T) == T - 1) if at == "last" else True)
    colours = ["#d62728" if c else "#e0b4b4" for c in counted]
    tgt = [token_text(output_labels[k], 8) if k >= 0 else "none" for k in targets]
    shown = np.where(np.isfinite(L), L, 0.0)
    total = float(np.nansum(np.where(counted, L, np.nan)))
    data = [dict(
        type="bar", x=cats, y=shown.astype(np.float32), marker=dict(color=colours),
        customdata=tgt,
        hovertemplate="%{x}<br>target y&lt;t&gt; = %{customdata}<br>L&lt;t&gt; = "
                      "−log ŷ&lt;t&gt;[y&lt;t&gt;] = %{y:.3f}<extra></extra>",
    )]
    which = "L = L&lt;T_x&gt;" if at == "last" else "L = Σ_t L&lt;t&gt;"
    # Short: the chart may get half the main column (the definition is in the hover).
    lay = layout(f"L&lt;t&gt; per step ({which} = {total:.3f})", 260,
                 xaxis=dict(token_ticks(labels)),
                 yaxis=dict(title=dict(text="L&lt;t&gt; (nats)"), rangemode="tozero"))
    return figure(data, lay)


def grad_keys(btrace) -> list[str]:
    """The BackwardTrace keys worth a heatmap, in BPTT order (per direction)."""
    keys = btrace.keys()
    bases = {split_key(k)[0] for k in keys}
    out = []
    for base in GRAD_ORDER:
        for k in keys:
            # A GRU's c<t> is a<t>: its ∂L/∂c<t> is ∂L/∂a<t>, shown once.
            if split_key(k)[0] == base and not (base == "dc" and "dgamma_r" in bases):
                out.append(k)
    if "dz_a" in out and len(out) > 2:
        out.remove("dz_a")
    return out


def top_units(btrace, keys, k, example=0) -> np.ndarray:
    """The k units with the largest gradients (max over t of |·|, summed over `keys`),
    in unit order."""
    score = sum(np.nanmax(np.abs(np.asarray(btrace[key][:, example, :], dtype=np.float64)),
                          axis=1) for key in keys)
    return np.sort(np.argsort(-score, kind="stable")[:k])


def bptt_figure(btrace, keys, *, example=0, start_t=None, units=None, max_frames=MAX_FRAMES,
                frame_ms=350, animate=True, layer=None) -> go.Figure:
    """Stacked gradient heatmaps (units × time), one per key, animated from T_x down to 1.

    A grey cover hides the steps t' < t that BPTT has not reached yet; ▶ Play moves it left
    in the browser. Colours are centred at 0 and scaled per panel to its largest |value|.
    units: the units (rows) to draw, default all. layer: the layer l of a stacked model that
    `btrace` is (`btrace.layer(l)`), named a^[l] in the symbols and the title.
    """
    keys = list(keys)
    of_layer = f" — layer {layer}: a^[{layer}]" if layer else ""
    T = btrace.T_x
    labels = btrace.token_labels()
    n_p = len(keys)
    gap = 0.06
    h = (1 - gap * (n_p - 1)) / n_p
    data, lay_axes, notes = [], {}, []
    sizes = []
    for i, key in enumerate(keys):
        v = np.asarray(btrace[key][:, example, :])
        rows = np.arange(v.shape[0]) if units is None else np.asarray(units, dtype=int)
        v = nan_to_none_mask(v[rows])
        n = v.shape[0]
        sizes.append(n)
        finite = np.abs(v[np.isfinite(v)])
        m = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
        ax = "" if i == 0 else str(i + 1)
        s = sym(f"{key}@{layer}" if layer else key)
        data.append(dict(
            # y: row j at the number j on a linear axis, labelled with the unit's number, so
            # the covers below are drawn in the same coordinates; hover names the unit.
            type="heatmap", z=v, x=list(range(1, T + 1)), y=list(range(n)),
            customdata=np.broadcast_to(rows[:, None], (n, T)).astype(np.int32),
            xaxis=f"x{ax}", yaxis=f"y{ax}", colorscale=DIVERGING_SCALE, zmid=0, zmin=-m, zmax=m,
            showscale=False,
            hovertemplate=f"t=%{{x}}<br>unit %{{customdata}}<br>{s} = %{{z:.3g}}<extra></extra>",
        ))
        y0 = max(0.0, 1 - (i + 1) * h - i * gap)         # rounding: never below 0
        # Only the bottom panel labels the steps: the panels above draw no tick (each axis
        # draws its ticks and grid lines even where no label shows, ~5 ms per redraw). The
        # heatmaps cover their panels, so no panel draws grid lines under them.
        lay_axes[f"xaxis{ax}"] = dict(
            step_ticks(labels) if i == n_p - 1 else dict(showticklabels=False),
            domain=[0, 1], anchor=f"y{ax}", range=[0.5, T + 0.5], matches="x" if i else None,
            showgrid=False,
        )
        ticks = list(range(0, n, max(1, n // 8)))
        lay_axes[f"yaxis{ax}"] = dict(
            domain=[y0, y0 + h], anchor=f"x{ax}", range=[n - 0.5, -0.5],   # row 0 on top
            title=dict(text="unit"), type="linear", tickmode="array", tickvals=ticks,
            ticktext=[str(int(rows[j])) for j in ticks], zeroline=False, showgrid=False)
        notes.append(dict(text=f"<b>{s}</b>  (colour scale ±{m:.2g})", x=0, y=y0 + h,
                          xref="paper", yref="paper", xanchor="left", yanchor="bottom",
                          showarrow=False, font=dict(size=12)))
    if lay_axes.get("xaxis", {}).get("matches") is None:
        lay_axes["xaxis"].pop("matches", None)
    frames_t = decimate(T, max_frames)
    start = (T if start_t is None else int(np.clip(start_t, 1, T))) - 1
    if start not in set(frames_t.tolist()):
        frames_t = np.array(sorted(set(frames_t.tolist()) | {start}))

    def covers(t):
        """At frame t (0-based: step t + 1), one filled rectangle per panel over the columns
        1..t, the steps t' < t + 1 that BPTT has not reached yet (none at t = 0)."""
        out = []
        for i, n in enumerate(sizes):
            ax = "" if i == 0 else str(i + 1)
            right = max(t, 0) + 0.5
            out.append(dict(type="scatter", x=[0.5, right, right, 0.5, 0.5],
                            y=[-0.5, -0.5, n - 0.5, n - 0.5, -0.5],
                            xaxis=f"x{ax}", yaxis=f"y{ax}"))
        return out

    first = covers(start)
    n_heat = len(data)
    for c in first:
        data.append(dict(c, mode="lines", fill="toself", fillcolor="rgba(245,245,245,0.85)",
                         line=dict(color="#444", width=1), hoverinfo="skip",
                         showlegend=False))
    dynamic = list(range(n_heat, n_heat + len(first)))
    frames = [dict(name=str(t + 1), data=covers(t), traces=dynamic) for t in frames_t]
    # The slider reads left to right like the sentence; Play runs the frames backwards.
    steps = [dict(method="animate", label=str(t + 1),
                  args=[[str(t + 1)], dict(mode="immediate", frame=dict(duration=0,
                                                                         redraw=True),
                                           transition=dict(duration=0))])
             for t in frames_t]
    start_idx = int(np.flatnonzero(frames_t == start)[0])
    # From the step shown down to 1 (Plotly knows no "current" frame before one has played).
    backwards = [str(t + 1) for t in frames_t[::-1] if t <= start]
    height, top = max(300, 110 + 150 * n_p), 70
    band = label_band_px(lay_axes["xaxis" if n_p == 1 else f"xaxis{n_p}"])
    y, bottom = controls_below(height + band + 60, top, band)
    lay = layout(
        "BPTT, from t = T_x down to 1: the gradients of step t need those of step t+1"
        + of_layer,
        height + band + 60, annotations=notes, **lay_axes,
        margin=dict(l=60, r=20, t=top, b=bottom),
        **animation_controls("◀ Play BPTT (to t = 1)", backwards, steps, start_idx, y=y,
                             frame_ms=frame_ms, slider_x=0.22),
    )
    if not animate:                 # step t is the page's: no frames, no controls of its own
        return figure(data, static_layout(lay, f"BPTT at step t = {start + 1}: the gradients "
                                               "of step t need those of step t+1" + of_layer),
                      compact=True)
    return figure(data, lay, frames, compact=True)


def grad_norm_figure(btrace, *, t=None, title=None, layer=None) -> go.Figure:
    """||∂L/∂a<t>|| against t (log scale); a dashed line marks step t. layer: the layer l of
    a stacked model that `btrace` is, named a^[l]."""
    a = f"a^[{layer}]&lt;t&gt;" if layer else "a&lt;t&gt;"
    g = np.asarray(btrace.grad_norm, dtype=np.float64)
    T = len(g)
    ok = np.isfinite(g) & (g > 0)
    y = np.where(ok, g, np.nan).astype(np.float32)
    labels = btrace.token_labels()
    data = [dict(
        type="scatter", x=list(range(1, T + 1)), y=y, mode="lines+markers",
        line=dict(color=QUANTITY_COLORS["a"], width=2), marker=dict(size=5),
        customdata=[token_text(s, 10) for s in labels], name=f"||∂L/∂{a}||",
        hovertemplate=f"t=%{{x}} %{{customdata}}<br>||∂L/∂{a}|| = %{{y:.3g}}<extra></extra>",
    )]
    shapes = []
    if t is not None:
        shapes.append(dict(type="line", x0=t, x1=t, yref="paper", y0=0, y1=1,
                           line=dict(color="#111", dash="dash", width=1)))
    lay = layout(title or f"||∂L/∂{a}|| per step t",
                 280, shapes=shapes, xaxis=dict(step_ticks(labels), range=[0.5, T + 0.5]),
                 yaxis=log_axis(g, "norm (log scale)"))
    return figure(data, lay)


def dw_figure(contrib, labels, *, t=None) -> go.Figure:
    """Top: each step's addition to every ∂L/∂W (stacked bars). Bottom: the running total
    from T_x down to t, which reaches ||∂L/∂W|| at t = 1 (read it right to left)."""
    names = list(contrib)
    T = len(next(iter(contrib.values()))["per_step"])
    x = list(range(1, T + 1))
    data = []
    for name in names:
        c = WEIGHT_COLORS.get(name, "#1f77b4")
        nm = escape_plotly(name)
        data.append(dict(type="bar", x=x, y=contrib[name]["per_step"].astype(np.float32),
                         name=f"∂L/∂{nm}", legendgroup=nm, marker=dict(color=c),
                         xaxis="x", yaxis="y",
                         hovertemplate=f"t=%{{x}}<br>step t adds ||·|| = %{{y:.3g}} to "
                                       f"∂L/∂{nm}<extra></extra>"))
        data.append(dict(type="scatter", x=x, y=contrib[name]["cumulative"].astype(np.float32),
                         name=f"∂L/∂{nm}", legendgroup=nm, showlegend=False, mode="lines",
                         line=dict(color=c, width=2), xaxis="x2", yaxis="y2",
                         hovertemplate=f"t=%{{x}}<br>||Σ_(t'≥t) ·|| = %{{y:.3g}}"
                                       f"<extra>∂L/∂{nm}</extra>"))
    shapes = []
    if t is not None:
        for ax in ("y", "y2"):
            shapes.append(dict(type="line", x0=t, x1=t, yref=f"{ax} domain", y0=0, y1=1,
                               xref="x" if ax == "y" else "x2",
                               line=dict(color="#111", dash="dash", width=1)))
    ticks = dict(step_ticks(labels), range=[0.5, T + 0.5])
    # The long explanation is the section's text; the title stays short, at the very top,
    # with the legend (up to two rows) between it and the plot.
    lay = layout(
        "Step t's share of ∂L/∂W (top), sum from T_x (bottom)", 480, barmode="stack",
        shapes=shapes,
        xaxis=dict(ticks, anchor="y", showticklabels=False),
        yaxis=dict(domain=[0.56, 1], title=dict(text="added at step t")),
        xaxis2=dict(ticks, anchor="y2", matches="x"),
        yaxis2=dict(domain=[0, 0.44], title=dict(text="||Σ_(t'≥t)||"), rangemode="tozero"),
    )
    return figure(data, title_over_legend(lay, legend_rows=2))


def gradcheck_table(rows, tolerance=1e-5, *, loss=None, eps=1e-5) -> list[dict]:
    """`gradient_check` rows with a verdict, ready for a DataFrame.

    A centred difference cannot be more exact than the rounding of L itself: about
    1e-16 |L| / ε. With `loss` given, an entry whose analytic and numeric values differ by
    less than 10 × that is "ok (rounding)", whatever its relative error (small gradients of
    a large loss). Entries whose gradient is below 1e-9 are "ok (tiny)" on the same grounds.
    """
    noise = 10 * np.finfo(np.float64).eps * abs(float(loss)) / eps if loss is not None else 0.0
    out = []
    for r in rows:
        rel = float(r["rel_error"])
        ana, num = float(r["analytic"]), float(r["numeric"])
        if rel < tolerance:
            check = "ok"
        elif abs(ana) + abs(num) < 1e-9:
            check = "ok (tiny)"
        elif abs(ana - num) < noise:
            check = "ok (rounding)"
        else:
            check = "close" if rel < 1e-3 else "MISMATCH"
        out.append({
            "parameter": param_name(r["param"]),
            "entry": str(tuple(r["index"])),
            "analytic ∂L/∂θ": ana,
            "finite difference": num,
            "relative error": rel,
            "check": check,
        })
    return out


__all__ = ["loss_figure", "grad_keys", "bptt_figure", "top_units", "grad_norm_figure",
           "dw_figure", "gradcheck_table", "param_name"]
