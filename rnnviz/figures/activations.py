"""Figures of the Activations page: what every unit does at every step of one sentence.

* `onehot_figure`      the input x<t>: one-hot columns over the vocabulary rows in use.
* `heatmap_figure`     any trace quantity (a<t>, c<t>, c̃<t>, Γf, ...) as units × time.
* `unit_text_html`     the sentence coloured by one unit (Karpathy-style), escaped HTML.
* `top_k_figure`       the model's top-k next-token predictions at each step.
* `saturation_figure`  per unit: fraction of steps a gate is < 0.1 (closed) vs > 0.9 (open).

All take a Trace (and plain options) and return a Plotly figure or a string; no Streamlit.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from rnnviz.core.analysis import suggest_units
from rnnviz.core.saturation import fractions, gate_keys, thresholds
from rnnviz.core.trace import DESCRIPTIONS, split_key
from rnnviz.figures.axes import step_categories, step_ticks, token_ticks
from rnnviz.figures.colours import (
    DIVERGING_SCALE,
    GATE_KEYS,
    PROBABILITY,
    QUANTITY_COLORS,
    SEQUENTIAL_SCALE,
    colour_legend_html,
    ink,
    scale_colour,
    unit_rgba,
)
from rnnviz.figures.figure import figure, layout, nan_to_none_mask, title_over_legend
from rnnviz.figures.safe_text import (
    escape_all,
    escape_plotly,
    html_piece,
    sym,
    token_text,
    visible_token,
)

TARGET_COLOUR = "#ff7f0e"      # the frame on the target's cell (top-k chart)

# Quantities shown as heatmaps, in the order of the seed's equations.
HEATMAP_ORDER = ("a", "c", "c_tilde", "gamma_f", "gamma_u", "gamma_o", "gamma_r", "z_a")


def heatmap_keys(trace) -> list[str]:
    """The trace keys worth a heatmap, per architecture and direction, in equation order.

    The GRU's c<t> is a<t> (same array), so it is shown once, as a<t>.
    """
    keys = trace.keys()
    cell = getattr(trace.config, "cell", None)
    out = []
    for base in HEATMAP_ORDER:
        if base == "z_a" or (base == "c" and cell == "gru"):
            continue
        for k in keys:
            b, d = split_key(k)
            if b != base:
                continue
            # Bidirectional: a = [a→; a←] is shown through its two halves.
            if base == "a" and d is None and "a_fwd" in keys:
                continue
            out.append(k)
    return out


def onehot_figure(trace, vocab_labels, *, example=0, max_rows=60, height=None) -> go.Figure:
    """x<t> as a heatmap: rows = the vocabulary entries this sentence uses, columns = t.

    vocab_labels: the vocabulary's tokens by index (`vocab.itos`). The other n_x - k rows are
    all zero and left out, which the title says.
    """
    x = np.asarray(trace["x"][:, example, :])                    # (n_x, T)
    n_x, T = x.shape
    used = np.flatnonzero(x.any(axis=1))[:max_rows]
    labels = trace.token_labels()
    rows = [f"{i}: {token_text(vocab_labels[i], 8)}" for i in used]
    data = [dict(
        type="heatmap", z=nan_to_none_mask(x[used]), x=step_categories(labels), y=rows,
        zmin=0, zmax=1, colorscale=[[0, "#f4f4f4"], [1, "#1f1f1f"]], showscale=False,
        xgap=1, ygap=1,
        hovertemplate="%{x}<br>vocabulary index %{y}<br>x&lt;t&gt; entry = %{z:.0f}"
                      "<extra></extra>",
    )]
    title = f"{sym('x')}: {len(used)} of n_x = {n_x} rows used"      # the others are all 0
    lay = layout(title, height or max(180, 70 + 16 * len(used)),
                 xaxis=token_ticks(labels, title="t (token read)"),
                 yaxis=dict(title=dict(text="index in V"), autorange="reversed",
                            type="category"))
    return figure(data, lay, compact=True)


def heatmap_figure(trace, key, *, example=0, units=None, height=None) -> go.Figure:
    """Units × time heatmap of `trace[key]` (one example). Gates use [0, 1]; others are centred
    at 0 (a<t>, c̃<t> in [-1, 1]; c<t> by its largest magnitude). NaN/inf are left blank.

    units: indices of the units (rows) to show, default all.
    """
    v = np.asarray(trace[key][:, example, :])                     # (n, T)
    n, T = v.shape
    units = np.arange(n) if units is None else np.asarray(units, dtype=int)
    z = nan_to_none_mask(v[units])
    base, direction = split_key(key)
    labels = trace.token_labels()
    s = sym(key)
    if base in GATE_KEYS:
        scale = dict(colorscale=SEQUENTIAL_SCALE, zmin=0.0, zmax=1.0)
    elif base in ("a", "c_tilde") and getattr(trace.config, "activation", "tanh") == "tanh":
        scale = dict(colorscale=DIVERGING_SCALE, zmid=0.0, zmin=-1.0, zmax=1.0)
    else:
        finite = z[np.isfinite(z)]
        m = float(np.max(np.abs(finite))) if finite.size else 1.0
        m = m if m > 0 else 1.0
        scale = dict(colorscale=DIVERGING_SCALE, zmid=0.0, zmin=-m, zmax=m)
    data = [dict(
        type="heatmap", z=z, x=step_categories(labels), y=[int(u) for u in units],
        hovertemplate=f"%{{x}}<br>unit %{{y}}<br>{s} = %{{z:.3f}}<extra></extra>",
        colorbar=dict(title=dict(text=s, side="right"), thickness=12, len=0.9), **scale,
    )]
    desc = DESCRIPTIONS.get(base, "")
    title = f"{s}: {escape_plotly(desc)}" if desc else s
    lay = layout(title, height or int(min(420, max(200, 90 + 7 * len(units)))),
                 xaxis=dict(token_ticks(labels)),
                 yaxis=dict(title=dict(text="unit"), autorange="reversed", type="category",
                            nticks=min(16, len(units))))
    return figure(data, lay, compact=True)


# -- the sentence coloured by one unit -------------------------------------------------------


def unit_text_html(text, spans, values, *, symbol_text="a<t>", unit=0, labels=None,
                   vmax=None) -> str:
    """The sentence with each token's background coloured by `values[t]` (one unit over time).

    text: the sentence; spans: per step (start, end) into text, or None (a start symbol,
    drawn as a chip before the text); values: (T_x,) floats. Every character of user text
    becomes a numeric entity (`escape_all`), so the result is safe for
    ``st.markdown(..., unsafe_allow_html=True)`` and Markdown cannot reinterpret it.
    Hovering a token shows t and the value (the `title` attribute).
    """
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    vmax = vmax if vmax is not None else (float(np.max(np.abs(finite))) if finite.size else 1.0)
    vmax = vmax if vmax and vmax > 0 else 1.0
    labels = labels if labels is not None else [None] * len(values)
    chips, parts, pos = [], [], 0
    order = sorted(
        (i for i, s in enumerate(spans) if s is not None), key=lambda i: spans[i][0]
    )
    for t, s in enumerate(spans):
        if s is None:
            tip = escape_all(f"t={t + 1} {labels[t] or ''}: {symbol_text}[{unit}] = "
                             f"{values[t]:.3f}")
            name = escape_all(labels[t] or "start")
            chips.append(f"<span title='{tip}' style='background:{unit_rgba(values[t], vmax)};"
                         f"border:1px dashed #888;border-radius:3px;padding:0 3px;"
                         f"margin-right:4px'>{name}</span>")
    for t in order:
        start, end = spans[t]
        if start > pos:
            parts.append(html_piece(text[pos:start]))
        tip = escape_all(f"t={t + 1} {text[start:end]!r}: {symbol_text}[{unit}] = "
                         f"{values[t]:.3f}")
        parts.append(f"<span title='{tip}' style='background:{unit_rgba(values[t], vmax)};"
                     f"unicode-bidi:isolate;border-radius:2px'>{html_piece(text[start:end])}</span>")
        pos = max(pos, end)
    if pos < len(text):
        parts.append(html_piece(text[pos:]))
    return ("<div style='direction:ltr;white-space:pre-wrap;font-family:ui-monospace,"
            "\"DejaVu Sans Mono\",monospace;font-size:1.05rem;line-height:1.9;"
            "word-break:break-all;padding:6px 4px'>" + "".join(chips) + "".join(parts)
            + "</div>")


# -- predictions -----------------------------------------------------------------------------


def _cell_text(label: str, max_len: int = 8) -> str:
    """A class as a cell shows it: the vocabulary's own text, special tokens too ("<UNK>")."""
    return token_text(label, max_len)


TOP_K_COLUMNS = 30       # steps on screen at most: cells wide enough for a 1-2 letter label
TOP_K_PLOT_PX = 265      # the plot area at 1024 px (measured in Chromium: 267 px)


BLACK_INK, WHITE_INK = "#000000", "#ffffff"      # what `ink` chooses from


def top_k_font(names) -> int:
    """The cells' font size: 13 px for labels of up to 2 characters, 11 px for longer ones."""
    longest = max((len(html.unescape(n)) for n in names), default=1)
    return 13 if longest <= 2 else 11


def top_k_columns(names, font: int) -> int:
    """How many steps fit on screen when every cell holds its longest label (~0.62 em a
    character, 8 px of padding) in a plot `TOP_K_PLOT_PX` wide: 4..`TOP_K_COLUMNS`."""
    longest = max((len(html.unescape(n)) for n in names), default=1)
    cell_px = 0.62 * font * longest + 8
    return int(np.clip(TOP_K_PLOT_PX // cell_px, 4, TOP_K_COLUMNS))


def top_k_figure(trace, output_labels, *, targets=None, k=5, example=0,
                 title=None, target_name: str = "the true next token") -> go.Figure:
    """The k most likely classes of ŷ<t> at each step: rows = rank, columns = t.

    Cell colour = probability, text = the predicted class in black or white, whichever
    reads better on the cell. targets: (T_x,) class that step t should predict (-1 = none),
    named `target_name` in the legend; when it is in the top k its cell gets an orange
    frame exactly on the cell's edges (a shape from t - 0.5 to t + 0.5, rank - 0.5 to
    rank + 0.5), and the hover always says its rank and probability. As many steps are on
    screen as cells wide enough for the longest label (`top_k_columns`; drag sideways for
    the rest), so a label never prints over its neighbour. `title` (short) goes in the
    chart; the page says the rest above it.
    """
    y = np.asarray(trace["y_hat"][:, example, :], dtype=np.float64)     # (n_y, T)
    n_y, T = y.shape
    k = int(min(k, n_y))
    y = np.where(np.isfinite(y), y, 0.0)
    top = np.argsort(-y, axis=0, kind="stable")[:k]                     # (k, T)
    p = np.take_along_axis(y, top, axis=0)
    labels = trace.token_labels()
    steps = list(range(1, T + 1))
    names = [[_cell_text(output_labels[top[r, t]]) for t in range(T)] for r in range(k)]
    flat = [n for row in names for n in row]
    font = top_k_font(flat)
    ranks = list(range(1, k + 1))
    if targets is not None:
        targets = np.asarray(targets)
        rank_of = (np.argsort(-y, axis=0, kind="stable") == targets[None, :]).argmax(axis=0)
        t_info = [
            (f"{escape_plotly(target_name)} {token_text(output_labels[targets[t]], 12)}: "
             f"rank {rank_of[t] + 1}, p = {y[targets[t], t]:.3f}") if targets[t] >= 0
            else "no target"
            for t in range(T)
        ]
    else:
        t_info = [""] * T
    custom = [[f"t={t + 1} {token_text(labels[t])}<br>{t_info[t]}" for t in range(T)]] * k
    # The labels in black or white, whichever reads better on the cell: a heatmap's text
    # has one colour, so the black ones are the heatmap's own text and the white ones a
    # second, transparent heatmap's (a text point per cell cost ~0.25 ms each per redraw).
    white = np.array([[ink(scale_colour(PROBABILITY, float(v))) == WHITE_INK for v in row]
                      for row in p])
    z = p.astype(np.float32)
    data = [dict(
        type="heatmap", z=z, x=steps, y=ranks, name="top k",
        text=[[n if not w else "" for n, w in zip(row, wr, strict=True)]
              for row, wr in zip(names, white, strict=True)],
        texttemplate="%{text}", textfont=dict(size=font, color=BLACK_INK),
        customdata=custom, zmin=0, zmax=1, colorscale=PROBABILITY, xgap=2, ygap=2,
        colorbar=dict(title=dict(text="p", side="right"), thickness=12, len=0.9),
        hovertext=[[token_text(output_labels[top[r, t]], 16) for t in range(T)]
                   for r in range(k)],
        hovertemplate="%{customdata}<br>#%{y}: %{hovertext}  p = %{z:.3f}<extra></extra>",
    ), dict(
        type="heatmap", z=z, x=steps, y=ranks, name="predicted tokens on dark cells",
        text=[[n if w else "" for n, w in zip(row, wr, strict=True)]
              for row, wr in zip(names, white, strict=True)],
        texttemplate="%{text}", textfont=dict(size=font, color=WHITE_INK),
        zmin=0, zmax=1, colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
        showscale=False, xgap=2, ygap=2, hoverinfo="skip",
    )]
    shapes = []
    if targets is not None:
        hit = [(t, int(rank_of[t])) for t in range(T) if targets[t] >= 0 and rank_of[t] < k]
        # One frame per hit, on the cell's own edges (a marker's size is in pixels and
        # straddles the neighbours on a narrow chart); a legend-only trace names them.
        shapes = [dict(type="rect", xref="x", yref="y", x0=t + 0.5, x1=t + 1.5, y0=r + 0.5,
                       y1=r + 1.5, line=dict(color=TARGET_COLOUR, width=2.5),
                       fillcolor="rgba(0,0,0,0)", layer="above") for t, r in hit]
        if hit:
            data.append(dict(
                type="scatter", x=[None], y=[None], mode="markers", name=target_name,
                hoverinfo="skip", marker=dict(symbol="square-open", size=12,
                                              color=TARGET_COLOUR, line=dict(width=2)),
            ))
    shown = min(T, top_k_columns(flat, font))
    more = f" (steps 1–{shown} of {T}: drag sideways)" if T > shown else ""
    title = (title or f"Top-{k} of {sym('y_hat')}") + more
    lay = layout(title, 130 + 40 * k, showlegend=bool(shapes), dragmode="pan",
                 shapes=shapes,
                 legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
                 xaxis=dict(step_ticks(labels, max_ticks=T, max_len=6),
                            range=[0.5, shown + 0.5]),
                 yaxis=dict(autorange="reversed", title=dict(text="rank"), tickmode="array",
                            tickvals=ranks, ticktext=[f"#{r}" for r in ranks],
                            fixedrange=True))
    if shapes:
        title_over_legend(lay)
    return figure(data, lay, compact=True)


# -- gate saturation -------------------------------------------------------------------------


def saturation_keys(trace) -> list[str]:
    """The gate keys of a trace (per direction); a<t> for an RNN, which has no gates."""
    return gate_keys(trace.keys())


def saturation_figure(trace, *, example=0) -> go.Figure:
    """Per gate, one dot per unit: x = fraction of steps the gate is < 0.1 (closed),
    y = fraction > 0.9 (open). An RNN has no gates: a<t> is used, near -1 vs near +1 for
    tanh, exactly 0 vs above 1 for ReLU.
    """
    keys = saturation_keys(trace)
    n = len(keys)
    gap = 0.04
    width = (1 - gap * (n - 1)) / n
    data, lay_axes, notes = [], {}, []
    any_gate = any(split_key(k)[0] in GATE_KEYS for k in keys)
    for j, key in enumerate(keys):
        base = split_key(key)[0]
        lo, hi = thresholds(base, getattr(trace.config, "activation", "tanh"))
        left, right = fractions(trace[key][:, example, :], lo, hi)
        s = sym(key)
        xa = "x" if j == 0 else f"x{j + 1}"
        data.append(dict(
            type="scatter", x=left.astype(np.float32), y=right.astype(np.float32),
            xaxis=xa, yaxis="y", mode="markers", name=s, showlegend=False,
            marker=dict(size=8, color=QUANTITY_COLORS.get(base, "#1f77b4"), opacity=0.75,
                        line=dict(width=0.5, color="white")),
            customdata=np.arange(left.size),
            hovertemplate=(f"{s} unit %{{customdata}}<br>&lt; {lo:g}: %{{x:.0%}} of steps"
                           f"<br>&gt; {hi:g}: %{{y:.0%}} of steps<extra></extra>"),
        ))
        # x + y <= 1: units on the diagonal are always saturated (never in between).
        data.append(dict(type="scatter", x=[0, 1], y=[1, 0], xaxis=xa, yaxis="y",
                         mode="lines", hoverinfo="skip", showlegend=False,
                         line=dict(color="#bbb", dash="dot", width=1)))
        x0 = j * (width + gap)
        lay_axes["xaxis" if j == 0 else f"xaxis{j + 1}"] = dict(
            domain=[x0, x0 + width], range=[-0.03, 1.03], tickformat=".0%", anchor="y",
            title=dict(text=f"&lt; {lo:g} (closed)" if base in GATE_KEYS else f"&lt; {lo:g}"),
        )
        notes.append(dict(text=f"<b>{s}</b>", x=x0 + width / 2, y=1.0, xref="paper",
                          yref="paper", xanchor="center", yanchor="bottom", showarrow=False))
    # Short: the page's heading and note say the rest ("fraction of steps ...").
    title = ("Each unit: steps closed vs open" if any_gate
             else "Each unit: steps at the low vs the high end")
    lay = layout(title, 340, annotations=notes, **lay_axes,
                 yaxis=dict(range=[-0.03, 1.03], tickformat=".0%",
                            title=dict(text=f"&gt; {hi:g} (open)" if any_gate else f"&gt; {hi:g}")))
    lay["margin"]["t"] = 70
    return figure(data, lay, compact=True)


def units_within_budget(trace, keys, max_cells: int, example: int = 0) -> dict:
    """Which units (rows) each heatmap of `keys` draws: {key: sorted unit array, or None for
    all}. When every unit of every key would exceed `max_cells` cells (units × steps), each
    map keeps the units whose first key's value varies most over the sentence (the ranking
    of `suggest_units`); a map with other sizes (ŷ, a bidirectional a of 2 n_a) keeps the
    same units that exist in it, or all of them when it has 16 rows or fewer."""
    T = trace.T_x
    n = trace[keys[0]].shape[0]
    if sum(trace[k].shape[0] for k in keys) * T <= max_cells:
        return {k: None for k in keys}
    keep = max(8, int(max_cells / (len(keys) * T)))
    units = np.sort(np.array([u for u, _ in suggest_units(trace, keys[0], k=keep,
                                                           example=example)]))
    out = {}
    for k in keys:
        rows = trace[k].shape[0]
        out[k] = units if rows == n else (None if rows <= 16 else units[units < rows])
    return out


def closed_share(trace, key, labels, threshold: float = 0.1, example: int = 0):
    """(share of units with `key` < threshold at steps that read a space, the same share at
    the other steps); None for a side with no step. For the Γf note: does the memory reset
    at spaces on this sentence?"""
    v = np.asarray(trace[key][:, example, :], dtype=np.float64)
    closed = (v < threshold).mean(axis=0)                       # per step
    space = np.array([str(s).isspace() for s in labels], dtype=bool)
    at = float(closed[space].mean()) if space.any() else None
    other = float(closed[~space].mean()) if (~space).any() else None
    return at, other


def unit_text_view(trace, key, unit, text, spans, labels, example=0) -> tuple[str, str]:
    """(the text painted by one unit, its colour legend) as escaped HTML.

    Each token's background is the unit's value after reading it; a gate (in [0, 1]) is
    coloured by its distance from 0.5 (red = open, blue = closed). The colours are scaled to
    this unit's largest |value| so that even a quiet unit shows its pattern.
    """
    values = np.asarray(trace[key][unit, example, :], dtype=np.float64)
    gate = split_key(key)[0] in GATE_KEYS
    centred = values - 0.5 if gate else values
    finite = np.abs(centred[np.isfinite(centred)])
    vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    label = trace.symbol(key) + (" − 0.5" if gate else "")
    return (unit_text_html(text, spans, centred, symbol_text=label, unit=unit,
                           labels=list(labels), vmax=vmax),
            colour_legend_html(vmax, label))


def tokens_table(steps) -> pd.DataFrame:
    """One row per step t: the token read (made visible), its index in the vocabulary,
    whether the vocabulary knows it, and the target y<t> of the step."""
    return pd.DataFrame({
        "t": np.arange(1, steps.T_x + 1),
        "token": [visible_token(s) for s in steps.labels],
        "index in V": steps.ids,
        "in vocabulary": np.where(steps.unk, "<UNK>", "yes"),
        "target y<t>": [visible_token(s) if s else "" for s in steps.target_labels],
    })
