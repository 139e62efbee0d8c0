"""Figures of the Units page: what one unit does, over a sentence or a corpus.

* `best_r_figure`         best |r| per feature, RNN vs GRU vs LSTM side by side (bars).
* `painted_text_html`     a text with each token's background = one unit's value (Karpathy).
* `units_over_time_figure` the selected units as lines over t, the selection shaded (LSTMVis).
* `matches_html`          the corpus matches of a search, with context, the span highlighted.
* `comparison_figure`     two sentences aligned: ‖a_A<t> − a_B<t>‖ and the units that differ.
* `saturation_scatter`    per model, each gate unit's fraction of steps closed vs open.

Pure functions of plain data (DataFrames and arrays from `rnnviz.units`); no Streamlit. Every
piece of user text is escaped (`plotly_text` for Plotly, `escape_all` for HTML).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnviz.core.trace import symbol
from rnnviz.figures.colours import ARCH_COLORS, QUANTITY_COLORS, colour_legend_html, unit_rgba
from rnnviz.figures.figure import f32, figure, layout, nan_to_none_mask
from rnnviz.figures.safe_text import (
    escape_all,
    escape_plotly,
    html_piece,
    plotly_text,
    sym,
    token_text,
    visible_token,
)

_CELL_OF = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
# The narrowest plot area the Units page draws a chart in (1024 px window, sidebar open, the
# note column beside it), and a tick label's width per character at the app's font size.
PLOT_PX, CHAR_PX = 340, 8.5


def spaced_ticks(labels, plot_px: float = PLOT_PX) -> np.ndarray:
    """1-based steps to label on an axis of len(labels) steps so that no two tick labels
    overlap in a plot `plot_px` wide: every k-th step, k the smallest that leaves each
    label (its visible characters × CHAR_PX, plus a gap) room."""
    T = len(labels)
    if T == 0:
        return np.zeros(0, dtype=int)
    widest = max(len(visible_token(str(x))) for x in labels) * CHAR_PX + 10
    k = max(1, int(np.ceil(widest / (plot_px / T))))
    return np.arange(1, T + 1, k)


def _arch(model_name: str) -> str:
    for cell, arch in _CELL_OF.items():
        if cell in model_name.lower().split("-"):
            return arch
    return model_name


# -- 1. best |r| per feature -----------------------------------------------------------------


def best_r_figure(table: pd.DataFrame, title: str | None = None) -> object:
    """Grouped horizontal bars: y = feature, one bar per model = its best unit's |r| (hover:
    unit, r). Features run down the y axis, so their names never collide at any width.

    table: `rnnviz.units.best_units` (columns model, quantity, feature, unit, score).
    """
    feats = list(dict.fromkeys(table.feature))
    data = []
    for name, rows in table.groupby("model", sort=False):
        rows = rows.set_index("feature").reindex(feats)
        arch = _arch(str(name))
        q = rows.quantity.dropna().iloc[0] if rows.quantity.notna().any() else "a"
        score = rows.score.to_numpy(dtype=np.float64)
        data.append(dict(
            type="bar", orientation="h", y=feats, x=f32(np.abs(np.nan_to_num(score))),
            name=plotly_text(f"{name} ({symbol(q)})"),
            marker=dict(color=ARCH_COLORS.get(arch, "#7f7f7f")),
            customdata=np.stack([rows.unit.fillna(-1).to_numpy(np.float64),
                                 np.nan_to_num(score)], axis=1).astype(np.float32),
            hovertemplate=(f"{plotly_text(str(name))}<br>%{{y}}: best unit %{{customdata[0]}}"
                           f"<br>r = %{{customdata[1]:.3f}}<extra></extra>"),
        ))
    lay = layout(title, 120 + 26 * len(feats) * max(1, len(data)) // 2, barmode="group",
                 xaxis=dict(range=[0, 1], title=dict(text="|r| of the best unit")),
                 yaxis=dict(autorange="reversed", automargin=True),
                 legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    lay["margin"]["t"] = 24 + 22 * len(data) if title is None else lay["margin"]["t"]
    return figure(data, lay)


# -- 2. text painted by one unit -------------------------------------------------------------


def painted_text_html(text: str, spans, values, *, label: str = "a<t>[0]", first_t: int = 1,
                      vmax: float | None = None, highlight=None) -> str:
    """`text` with each token's background coloured by values[i] (the unit after reading
    token i). spans: (start, end) into `text` per value; first_t: the step number of the
    first value (hover shows t and the value). highlight: (i0, i1) value indices to underline.
    Every character becomes an HTML entity: safe for st.markdown(unsafe_allow_html=True).
    """
    values = np.asarray(values, dtype=np.float64)
    spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    finite = values[np.isfinite(values)]
    if vmax is None:
        vmax = float(np.max(np.abs(finite))) if finite.size else 1.0
    vmax = vmax if vmax and vmax > 0 else 1.0
    parts, pos = [], 0
    for i, (s, e) in enumerate(spans):
        if s > pos:
            parts.append(html_piece(text[pos:s]))
        tip = escape_all(f"t={first_t + i} {text[s:e]!r}: {label} = {values[i]:.3f}")
        under = (";border-bottom:3px solid #000" if highlight is not None
                 and highlight[0] <= i <= highlight[1] else "")
        parts.append(f"<span title='{tip}' style='background:{unit_rgba(values[i], vmax)};"
                     f"unicode-bidi:isolate;border-radius:2px{under}'>{html_piece(text[s:e])}</span>")
        pos = max(pos, int(e))
    if pos < len(text):
        parts.append(html_piece(text[pos:]))
    return ("<div style='direction:ltr;white-space:pre-wrap;font-family:ui-monospace,"
            "\"DejaVu Sans Mono\",monospace;font-size:1.0rem;line-height:1.8;"
            "word-break:break-all;padding:6px 4px;max-height:420px;overflow-y:auto'>"
            + "".join(parts) + "</div>")


# -- 3. select and search --------------------------------------------------------------------


def selected_html(labels, start: int, end: int, limit: int = 400) -> str:
    """The tokens of steps t = start…end as "t=3 'x' t=4 …" (cut to `limit` characters) in a
    small grey line; every character is escaped."""
    chosen = " ".join(f"t={t} {visible_token(labels[t - 1])}" for t in range(start, end + 1))
    return ("<div style='font-size:0.9rem;color:#555'>Selected: "
            f"{escape_all(chosen[:limit])}</div>")


def units_over_time_figure(values, labels, units, start: int, end: int, threshold: float,
                           key: str = "a", max_lines: int = 40) -> object:
    """LSTMVis's view: each selected unit's value over t as a line, the selection t = start..end
    shaded, the threshold dashed. values: (n, T) the quantity over the sentence; labels: the
    token per step; units: the selected units (the first `max_lines` are drawn)."""
    values = np.asarray(values)
    T = values.shape[1]
    t = np.arange(1, T + 1)
    units = list(units)[:max_lines]
    data = []
    for u in units:
        data.append(dict(
            type="scatter", mode="lines", x=t, y=nan_to_none_mask(values[u]),
            name=f"unit {u}", line=dict(width=1.5),
            hovertemplate=f"unit {u}<br>t=%{{x}}: %{{y:.3f}}<extra></extra>",
        ))
    if not units:
        data.append(dict(type="scatter", mode="lines", x=[1, T], y=[threshold, threshold],
                         hoverinfo="skip", showlegend=False, line=dict(width=0)))
    shapes = [
        dict(type="rect", xref="x", yref="paper", x0=start - 0.5, x1=end + 0.5, y0=0, y1=1,
             fillcolor="rgba(255,200,0,0.25)", line=dict(width=0), layer="below"),
        dict(type="line", xref="paper", yref="y", x0=0, x1=1, y0=threshold, y1=threshold,
             line=dict(color="#444", dash="dash", width=1)),
    ]
    short = [token_text(x, 4) for x in labels]
    ticks = spaced_ticks([visible_token(x)[:4] for x in labels])
    lay = layout(None, 320, shapes=shapes, showlegend=0 < len(units) <= 12,
                 xaxis=dict(tickmode="array", tickvals=ticks,
                            ticktext=[short[i - 1] for i in ticks],
                            tickangle=0, title=dict(text="t (token read)")),
                 yaxis=dict(title=dict(text=sym(key))),
                 legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    lay["margin"]["t"] = 16 + 22 * (-(-len(units) // 4)) if 0 < len(units) <= 12 else 16
    return figure(data, lay)


def matches_html(text: str, matches: pd.DataFrame, context: int = 40, limit: int = 20) -> str:
    """The first `limit` search results as lines of context, the matched span highlighted:
    "…context [span] context…  (t = s…e, score)". Escaped HTML (entities only)."""
    rows = []
    for r in matches.head(limit).itertuples():
        a, b = int(r.char_start), int(r.char_end)
        left = text[max(0, a - context):a].replace("\n", " ")
        right = text[b:b + context].replace("\n", " ")
        mid = text[a:b].replace("\n", "↵")
        rows.append(
            "<div style='font-family:ui-monospace,\"DejaVu Sans Mono\",monospace;"
            "white-space:pre-wrap;overflow-wrap:anywhere;direction:ltr;unicode-bidi:isolate;"
            "margin-bottom:4px'>"
            f"{escape_all('…' + left)}<span style='background:rgba(255,200,0,0.6);"
            f"border-radius:2px'>{escape_all(mid)}</span>{escape_all(right + '…')}"
            f"<span style='color:#888'>{escape_all(f'  t = {r.start}…{r.end}, ')}"
            f"{escape_all(f'score {r.score:.2f}')}</span></div>")
    return "".join(rows)


# -- 4. two sentences ------------------------------------------------------------------------


def comparison_figure(cmp, n_units: int = 3) -> object:
    """Top: ‖v_A − v_B‖ per aligned column (gaps where one sentence has a token the other
    lacks). Bottom: the `n_units` units that differ most, A solid, B dotted.
    cmp: `rnnviz.units.Comparison`."""
    cols = list(range(1, len(cmp.pairs) + 1))
    names, plain = [], []
    for i, j in cmp.pairs:
        a = visible_token(cmp.labels_a[i])[:4] if i is not None else "·"
        b = visible_token(cmp.labels_b[j])[:4] if j is not None else "·"
        plain.append(a if a == b else f"{a}/{b}")
        names.append(escape_plotly(plain[-1]))
    s = sym(cmp.quantity)
    data = [dict(type="bar", x=cols, y=nan_to_none_mask(cmp.distance), name=f"‖{s}_A − {s}_B‖",
                 marker=dict(color="#7f7f7f"), xaxis="x", yaxis="y",
                 customdata=names,
                 hovertemplate="column %{x} (%{customdata})<br>distance %{y:.3f}<extra></extra>")]
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    for r, u in enumerate(cmp.top.unit.head(n_units)):
        col = palette[r % len(palette)]
        for label, vals, idx, dash in (("A", cmp.values_a, 0, "solid"),
                                       ("B", cmp.values_b, 1, "dot")):
            y = np.array([vals[u, p[idx]] if p[idx] is not None else np.nan
                          for p in cmp.pairs], dtype=np.float32)
            data.append(dict(type="scatter", mode="lines+markers", x=cols, y=y,
                             xaxis="x", yaxis="y2", name=f"unit {u}, {label}",
                             line=dict(color=col, dash=dash, width=1.5), marker=dict(size=4),
                             hovertemplate=f"unit {u}, sentence {label}<br>%{{y:.3f}}"
                                           "<extra></extra>"))
    ticks = spaced_ticks(plain)
    lay = layout(None, 480,
                 xaxis=dict(tickmode="array", tickvals=ticks,
                            ticktext=[names[i - 1] for i in ticks], tickangle=0,
                            anchor="y2"),
                 yaxis=dict(domain=[0.58, 1.0], title=dict(text="distance")),
                 yaxis2=dict(domain=[0.0, 0.5], title=dict(text=s)),
                 legend=dict(orientation="h", yanchor="top", y=-0.08))
    return figure(data, lay)


# -- 5. gate saturation ----------------------------------------------------------------------


def saturation_scatter(sats: dict[str, pd.DataFrame]) -> object:
    """One panel per model: each dot is one unit of one gate, x = fraction of steps below
    the low threshold (closed), y = above the high one (open); the dotted diagonal is
    "always one or the other". sats: {model name: `rnnviz.units.gate_saturation` table}."""
    n = len(sats)
    gap = 0.05
    width = (1 - gap * (n - 1)) / max(n, 1)
    data, axes, notes, seen = [], {}, [], set()
    for j, (name, sat) in enumerate(sats.items()):
        xa = "x" if j == 0 else f"x{j + 1}"
        ya = "y" if j == 0 else f"y{j + 1}"
        for q, rows in sat.groupby("quantity", sort=False):
            base = q.split("_fwd")[0].split("_bwd")[0]
            lo, hi = float(rows.low.iloc[0]), float(rows.high.iloc[0])
            data.append(dict(
                type="scatter", mode="markers", x=f32(rows.below), y=f32(rows.above),
                xaxis=xa, yaxis=ya, name=sym(q), legendgroup=q, showlegend=q not in seen,
                marker=dict(size=6, opacity=0.6, color=QUANTITY_COLORS.get(base, "#7f7f7f")),
                customdata=rows.unit.to_numpy(),
                hovertemplate=(f"{plotly_text(name)} {sym(q)} unit %{{customdata}}<br>"
                               f"&lt; {lo:g}: %{{x:.0%}} of steps<br>&gt; {hi:g}: %{{y:.0%}}"
                               "<extra></extra>"),
            ))
            seen.add(q)
        gated = str(sat.quantity.iloc[0]).startswith("gamma")
        data.append(dict(type="scatter", mode="lines", x=[0, 1], y=[1, 0], xaxis=xa, yaxis=ya,
                         hoverinfo="skip", showlegend=False,
                         line=dict(color="#bbb", dash="dot", width=1)))
        x0 = j * (width + gap)
        axes["xaxis" if j == 0 else f"xaxis{j + 1}"] = dict(
            domain=[x0, x0 + width], range=[-0.03, 1.03], tickformat=".0%", dtick=0.5,
            anchor=ya,
            title=dict(text="closed" if gated else "near −1"))
        axes["yaxis" if j == 0 else f"yaxis{j + 1}"] = dict(
            range=[-0.03, 1.03], tickformat=".0%", anchor=xa,
            showticklabels=j == 0,
            title=dict(text="open / near +1") if j == 0 else None)
        notes.append(dict(text=f"<b>{plotly_text(name)}</b>", x=x0 + width / 2, y=1.0,
                          xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                          showarrow=False))
    lay = layout(None, 400, annotations=notes, **axes,
                 legend=dict(orientation="h", yanchor="bottom", y=1.12, xanchor="left", x=0))
    lay["margin"]["t"] = 96
    return figure(data, lay)


__all__ = ["best_r_figure", "painted_text_html", "colour_legend_html", "units_over_time_figure",
           "matches_html", "comparison_figure", "saturation_scatter"]
