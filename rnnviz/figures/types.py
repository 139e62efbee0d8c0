"""Figures of the "types of RNNs" page: the seed's four architectures, drawn with live labels.

    many-to-many, T_x = T_y   every x<t> gives a ŷ<t>            (name tagging)
    many-to-one               read x<1..T_x>, one ŷ at the end    (sentiment, 1-5 stars)
    one-to-many               one x (or none), ŷ<t> fed back as x<t+1>   (sampling text)
    many-to-many, T_x ≠ T_y   an encoder reads x, a decoder writes y     (translation)

`fig_architecture(kind, x_labels, y_labels)` draws one of them with the given labels (the
app passes a real sentence and the model's real outputs). `fig_star_probs` and
`fig_running_stars` show the sentiment model's output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from rnnviz.figures.arrows import arrows, inset
from rnnviz.figures.colours import ACCENT, BASE, PROBABILITY
from rnnviz.figures.figure import figure
from rnnviz.figures.safe_text import char_labels, plotly_text

KINDS = ("many_to_many", "many_to_one", "one_to_many", "encoder_decoder")
TITLES = {
    "many_to_many": "Many-to-many, T_x = T_y",
    "many_to_one": "Many-to-one",
    "one_to_many": "One-to-many",
    "encoder_decoder": "Many-to-many, T_x ≠ T_y (encoder–decoder)",
}
CELL = "#c6dbef"
DECODER = "#fdd0a2"
ELLIPSIS = "…"
_Y_X, _Y_CELL, _Y_OUT = 0.0, 1.0, 2.0
_HALF_W, _HALF_H = 0.32, 0.24
ARROW_COLOUR = "#666"
ARROW_GAP = 0.03            # ~2 px between an arrow and the box or label at either end
# Labels longer than this many characters are staggered: every other column's label sits
# STAGGER lower (inputs) or higher (outputs), so two neighbours never share a line and a
# label may be up to two columns wide ("Hermione" beside "Granger").
STAGGER_FROM, STAGGER = 4, 0.28


@dataclass
class Column:
    """One time step of a diagram. x/y: label of the input/output (None: no input/output)."""

    x: str | None
    y: str | None
    t: int = 0                  # the step this column shows (1-based; steps may be skipped)
    fill: str = CELL
    feedback: bool = False      # x<t> is ŷ<t-1> (dotted line from the previous output)
    ellipsis: bool = False      # "…" stands for the steps left out
    y_color: str = "#333"


def _short(label: str, n: int = 11) -> str:
    return char_labels([label], n)[0]


def compress(n: int, max_cols: int = 8) -> list[int | None]:
    """Indices of the steps to draw: all if n <= max_cols, else the first ones, None (…)
    and the last two."""
    if n <= max_cols:
        return list(range(n))
    head = max_cols - 3
    return list(range(head)) + [None] + [n - 2, n - 1]


def _draw(columns: Sequence[Column], title: str, note: str | None = None,
          bands: Sequence[tuple[int, int, str, str]] = ()) -> go.Figure:
    """Draw the columns: x<t> below, the cell a<t>, ŷ<t> above; a<t-1> -> a<t> arrows.

    bands: (first column, last column, label, colour) shaded groups (encoder / decoder).
    """
    shapes, ann = [], []
    hx, hy, htext = [], [], []
    n = len(columns)
    x_low = staggered([c.x for c in columns])
    y_high = staggered([c.y for c in columns])
    x_font = 12 if n > 10 else 13

    ax, ay = [], []             # the arrows, one trace (`arrows`): start, end, gap

    def arrow(x0, y0, x1, y1):
        # ARROW_GAP off both ends (horizontal or vertical: its angle holds on any width)
        x0, y0, x1, y1 = inset(x0, y0, x1, y1, ARROW_GAP, ARROW_GAP)
        ax.extend([x0, x1, None])
        ay.extend([y0, y1, None])

    for lo, hi, label, color in bands:
        shapes.append(dict(type="rect", x0=lo - 0.48, x1=hi + 0.48, y0=0.55, y1=1.45,
                           fillcolor=color, opacity=0.25, line_width=0, layer="below"))
        ann.append(dict(x=(lo + hi) / 2, y=-0.32 - STAGGER * any(x_low), text=label,
                        showarrow=False,
                        yanchor="top", font=dict(size=12, color="#555")))
    ann.append(dict(x=-0.9, y=_Y_CELL, text="a<0>", showarrow=False, font=dict(size=12)))
    arrow(-0.68, _Y_CELL, -_HALF_W, _Y_CELL)
    for i, col in enumerate(columns):
        if col.ellipsis:
            ann.append(dict(x=i, y=_Y_CELL, text=ELLIPSIS, showarrow=False, font=dict(size=22)))
            if i + 1 < n:
                arrow(i + 0.2, _Y_CELL, i + 1 - _HALF_W, _Y_CELL)
            continue
        shapes.append(dict(type="rect", x0=i - _HALF_W, x1=i + _HALF_W, y0=_Y_CELL - _HALF_H,
                           y1=_Y_CELL + _HALF_H, fillcolor=col.fill,
                           line=dict(color="#555", width=1)))
        ann.append(dict(x=i, y=_Y_CELL, text=f"a<{col.t}>" if n <= 14 else "a",
                        showarrow=False, font=dict(size=11 if n > 10 else 12)))
        hx.append(i)
        hy.append(_Y_CELL)
        htext.append(f"step {col.t}: a<{col.t}> = g(W_a [a<{col.t - 1}>, x<{col.t}>] + b_a), "
                     "the same parameters at every step")
        if i + 1 < n:
            end = i + 1 - (0.2 if columns[i + 1].ellipsis else _HALF_W)
            arrow(i + _HALF_W, _Y_CELL, end, _Y_CELL)
        if col.x is not None:
            ann.append(dict(x=i, y=_Y_X - STAGGER * x_low[i], text=col.x, showarrow=False,
                            yanchor="middle",
                            font=dict(size=x_font, color="#999" if col.feedback else "#333")))
            arrow(i, _Y_X + 0.16, i, _Y_CELL - _HALF_H)
            hx.append(i)
            hy.append(_Y_X)
            fed = f" (= ŷ<{col.t - 1}>, fed back)" if col.feedback else ""
            htext.append(f"input x<{col.t}>{fed}: {col.x}")
        if col.y is not None:
            ann.append(dict(x=i, y=_Y_OUT + STAGGER * y_high[i], text=col.y, showarrow=False,
                            font=dict(size=x_font, color=col.y_color), yanchor="middle"))
            arrow(i, _Y_CELL + _HALF_H, i, _Y_OUT - 0.16)
            hx.append(i)
            hy.append(_Y_OUT)
            htext.append(f"output ŷ<{col.t}> = g(W_y a<{col.t}> + b_y): "
                         f"{col.y.replace('<br>', ' ')}")
        if col.feedback and i > 0 and columns[i - 1].y is not None:
            # ŷ<t-1> becomes x<t>: a dotted line down to the next input.
            shapes.append(dict(type="line", x0=i - 1 + 0.12, y0=_Y_OUT - 0.14, x1=i - 0.14,
                               y1=_Y_X + 0.1, line=dict(color=ACCENT, width=1.4, dash="dot"),
                               layer="below"))
    data = [dict(type="scatter", x=hx, y=hy, mode="markers", text=htext,
                 marker=dict(size=28, opacity=0), hovertemplate="%{text}<extra></extra>",
                 showlegend=False),
            arrows(ax, ay, ARROW_COLOUR)]
    if note:
        ann.append(dict(x=0, y=-0.05, xref="paper", yref="paper", text=note, showarrow=False,
                        xanchor="left", yanchor="top", font=dict(size=12, color="#555")))
    low = (-0.6 if bands else -0.3) - STAGGER * any(x_low)
    layout = dict(
        title=dict(text=title, font=dict(size=15)), shapes=shapes, annotations=ann,
        # Right: room for half of the last column's output label ("1 star" over two lines).
        xaxis=dict(visible=False, range=[-1.3, max(n, 3) - 0.15], fixedrange=True),
        yaxis=dict(visible=False, range=[low, 2.3 + STAGGER * any(y_high)], fixedrange=True),
        height=290 + 30 * (any(x_low) + any(y_high)), margin=dict(l=5, r=5, t=40,
                                                                 b=30 if note else 5),
        plot_bgcolor="white",
    )
    return figure(data, layout, compact=True)


def staggered(labels: Sequence[str | None]) -> list[bool]:
    """Which columns' labels move off the common line: every other label (the 2nd, 4th, ...
    among the columns that have one) when any label is longer than `STAGGER_FROM`
    characters, else none."""
    shown = [i for i, s in enumerate(labels) if s is not None]
    if not any(len(_plain(labels[i])) > STAGGER_FROM for i in shown):
        return [False] * len(labels)
    odd = set(shown[1::2])
    return [i in odd for i in range(len(labels))]


def _plain(label: str) -> str:
    """A label as it reads on screen: entities as one character, line breaks as breaks."""
    return max(re.sub(r"&[a-z]+;|&#\d+;", "x", label).split("<br>"), key=len)


def fig_architecture(kind: str, x_labels: Sequence[str] = (), y_labels: Sequence[str] = (),
                     y_highlight: Sequence[bool] | None = None, max_cols: int = 8,
                     title: str | None = None) -> go.Figure:
    """One of the seed's four architectures, labelled with real inputs and outputs.

    many_to_many: x_labels and y_labels per step (T_x = T_y); many_to_one: x_labels and one
    y_label; one_to_many: x_labels = [the single input] (or empty: ∅) and y_labels per step;
    encoder_decoder: x_labels (T_x of them) and y_labels (T_y). y_highlight marks outputs
    in red (e.g. words tagged as names). Long sequences are shortened with "…".
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    xs = [_short(s) for s in x_labels]
    ys = [_short(s, 16) for s in y_labels]
    hl = list(y_highlight) if y_highlight is not None else [False] * len(ys)
    title = title or TITLES[kind]
    cols: list[Column] = []
    bands = []
    if kind == "many_to_many":
        T = max(len(xs), 1)
        xs = xs or ["x<1>"]
        ys = (ys + ["ŷ"] * T)[:T]
        for i in compress(T, max_cols):
            cols.append(Column(None, None, ellipsis=True) if i is None else Column(
                xs[i], ys[i], t=i + 1, y_color=ACCENT if i < len(hl) and hl[i] else "#333"))
        note = f"T_x = T_y = {T}"
    elif kind == "many_to_one":
        T = max(len(xs), 1)
        xs = xs or ["x<1>"]
        for i in compress(T, max_cols):
            cols.append(Column(None, None, ellipsis=True) if i is None else Column(
                xs[i], (ys[0] if ys else "ŷ") if i == T - 1 else None, t=i + 1,
                y_color=ACCENT))
        note = f"T_x = {T}, one output ŷ after the last step"
        # "1 star (1.00)" over two lines: half as wide at the diagram's right edge.
        cols[-1].y = cols[-1].y.replace(" (", "<br>(", 1)
    elif kind == "one_to_many":
        T = max(len(ys), 1)
        ys = ys or ["ŷ<1>"]
        first = xs[0] if xs else "∅"
        for i in compress(T, max_cols):
            if i is None:
                cols.append(Column(None, None, ellipsis=True))
                continue
            cols.append(Column(first if i == 0 else ys[i - 1], ys[i], t=i + 1, feedback=i > 0,
                               y_color=ACCENT))
        note = f"T_y = {T}; dotted: ŷ<t> fed back as x<t+1>"
    else:
        Tx, Ty = max(len(xs), 1), max(len(ys), 1)
        xs = xs or ["x<1>"]
        ys = ys or ["ŷ<1>"]
        enc = compress(Tx, max(3, max_cols // 2))
        dec = compress(Ty, max(3, max_cols // 2 + 1))
        for i in enc:
            cols.append(Column(None, None, ellipsis=True) if i is None
                        else Column(xs[i], None, t=i + 1))
        start = len(cols)
        for j in dec:
            if j is None:
                cols.append(Column(None, None, fill=DECODER, ellipsis=True))
                continue
            cols.append(Column("&lt;s&gt;" if j == 0 else ys[j - 1], ys[j], t=j + 1,
                               fill=DECODER, feedback=j > 0, y_color=ACCENT))
        bands = [(0, start - 1, "encoder: reads x<1..T_x>", "#6baed6"),
                 (start, len(cols) - 1, "decoder: writes ŷ<1..T_y>", "#fd8d3c")]
        note = f"T_x = {Tx}, T_y = {Ty}: the encoder's last a<T_x> starts the decoder"
    return _draw(cols, title, note=note, bands=bands)


def fig_star_probs(probs: np.ndarray, labels: Sequence[str]) -> go.Figure:
    """The many-to-one output: P(stars) after the whole review; the most likely in red."""
    probs = np.asarray(probs, dtype=np.float64).ravel()
    k = int(np.argmax(probs)) if probs.size else 0
    names = [plotly_text(s) for s in labels][: probs.size]
    data = [dict(
        type="bar", x=names, y=probs.astype(np.float32),
        marker=dict(color=[ACCENT if i == k else BASE for i in range(probs.size)]),
        text=[f"{p:.2f}" for p in probs], textposition="outside", cliponaxis=False,
        hovertemplate="%{x}: P = %{y:.3f}<extra></extra>")]
    layout = dict(title=dict(text="ŷ<T_x>: P(rating)"), height=300,
                  yaxis=dict(title=dict(text="probability"), range=[0, 1.12]),
                  xaxis=dict(title=dict(text="rating"), type="category"),
                  margin=dict(l=60, r=20, t=50, b=50), showlegend=False)
    return figure(data, layout, compact=True)


def fig_running_stars(tokens: Sequence[str], y_hat: np.ndarray, labels: Sequence[str],
                      max_cols: int = 120) -> go.Figure:
    """ŷ<t> (classes x words) of a many-to-one model read as a running prediction: the
    model's opinion after x<1..t>. Only the last column is the model's answer. Longer inputs
    keep their last `max_cols` words. A red line follows the expected rating."""
    Y = np.asarray(y_hat, dtype=np.float32)
    T = Y.shape[1]
    start = max(0, T - max_cols)
    Y = Y[:, start:]
    toks = ([_short(t, 12) for t in list(tokens)[start:T]] + [""] * Y.shape[1])[: Y.shape[1]]
    t = np.arange(start + 1, T + 1)
    names = [plotly_text(s) for s in labels][: Y.shape[0]]
    data = [dict(
        type="heatmap", z=Y, x=t, y=np.arange(Y.shape[0]), zmin=0, zmax=1, colorscale=PROBABILITY,
        colorbar=dict(title=dict(text="P"), thickness=12),
        hovertemplate="after x<%{x}>: P(row %{y}) = %{z:.3f}<extra></extra>")]
    if Y.shape[1]:
        expected = (np.arange(Y.shape[0])[:, None] * Y).sum(axis=0)
        data.append(dict(
            type="scatter", x=t, y=expected, mode="lines+markers", name="expected rating",
            line=dict(color=ACCENT, width=2), marker=dict(size=5), customdata=expected + 1,
            hovertemplate="expected rating after x<%{x}>: %{customdata:.2f}<extra></extra>"))
    axis = (dict(tickmode="array", tickvals=t, ticktext=toks) if len(toks) <= 40 else {})
    layout = dict(
        title=dict(text="ŷ<t>: the opinion so far"),
        xaxis=dict(title=dict(text="word x<t>"), tickangle=-45, **axis),
        yaxis=dict(title=dict(text="rating"), tickmode="array",
                   tickvals=list(range(len(names))), ticktext=names),
        height=330, margin=dict(l=80, r=20, t=50, b=80), showlegend=False)
    return figure(data, layout, compact=True)


def fig_name_probs(words: Sequence[str], p_name: np.ndarray) -> go.Figure:
    """The many-to-many output: ŷ<t> = P(name) at every word, above 0.5 in red. Words are
    written vertically under their bars: a slanted first word would reach the y axis's
    ticks."""
    p = np.asarray(p_name, dtype=np.float64).ravel()
    T = min(len(words), p.size)
    t = np.arange(1, T + 1)
    names = [_short(w, 12) for w in list(words)[:T]]
    data = [dict(
        type="bar", x=t, y=p[:T].astype(np.float32), customdata=names,
        marker=dict(color=[ACCENT if v > 0.5 else BASE for v in p[:T]]),
        hovertemplate="t = %{x} '%{customdata}': P(name) = %{y:.3f}<extra></extra>")]
    layout = dict(
        title=dict(text="ŷ<t> = P(name) at every word"), height=340, showlegend=False,
        margin=dict(l=60, r=20, t=50, b=40),
        yaxis=dict(title=dict(text="P(name)"), range=[0, 1.05]),
        xaxis=dict(tickmode="array", tickvals=t, ticktext=names, tickangle=-90,
                   range=[0.5, T + 0.5], automargin=True),
        shapes=[dict(type="line", xref="paper", yref="y", x0=0, x1=1, y0=0.5, y1=0.5,
                     line=dict(color="#555", dash="dash", width=1))])
    return figure(data, layout, compact=True)
