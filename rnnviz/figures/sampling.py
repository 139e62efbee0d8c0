"""Figures of the sampling page: what a character language model does one step at a time.

A char LM reads x<t> and predicts ŷ<t>, the distribution of the next character; sampling
draws a character c from ŷ<t> (after temperature and top-k) and feeds it back as x<t+1>.

    fig_sample_text      the sampled text, each character coloured by the probability it had
    fig_topk             ŷ<t> at one step: the k most likely characters, the drawn one marked
    fig_hidden_state     a<t> over all steps (units x steps) and at the chosen step
    fig_logprob_compare  log P(c<t> | c<1..t-1>) per character and its running sum, for one or
                         two sentences

The helpers `figure`, `visible_char`, `plotly_text`, `format_prob` and `preference` are pure
and shared by the figure modules of the app's pages 5-7.

Figures are written as plain dicts and assembled by `figure()` without Plotly's per-property
validation, which costs tens of milliseconds per figure (the app's budget is 100 ms per
interaction); the tests validate every figure once. User text is escaped before it reaches
a Plotly label, because Plotly renders a small subset of HTML in labels.
"""

from __future__ import annotations

import base64
import html
import math
import unicodedata
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

ACCENT = "#d62728"      # the drawn character / the current step
BASE = "#7f9cc7"        # every other bar
SERIES = ("#1f77b4", "#ff7f0e")   # sentence A, sentence B
# Colour scales as explicit lists: a scale *name* in an unvalidated figure is resolved by
# plotly.js, whose "RdBu" and "Blues" run the other way round from plotly.py's.
DIVERGING = [[0.0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"],
             [1.0, "#b2182b"]]                 # negative blue, 0 white, positive red
PROBABILITY = [[0.0, "#f7fbff"], [0.25, "#c6dbef"], [0.5, "#6baed6"], [0.75, "#2171b5"],
               [1.0, "#08306b"]]               # 0 white, 1 dark blue
_VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


_TYPED = {"f": "f4", "i": "i4", "u": "u4"}


def _wire(obj):
    """Numeric arrays as Plotly typed-array specs (base64 float32 / int32), other arrays as
    lists. Plotly's own conversion of a NumPy array costs ~0.3 ms each (dozens per page)."""
    if isinstance(obj, dict):
        return {k: _wire(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if all(isinstance(v, (str, int, float, bool)) or v is None for v in obj):
            return obj                  # labels and colours: nothing to convert
        return [_wire(v) for v in obj]
    if isinstance(obj, np.ndarray):
        kind = obj.dtype.kind
        if kind in _TYPED and obj.size and obj.ndim <= 2:
            if kind in "iu" and obj.size and (obj.min() < -2**31 or obj.max() >= 2**31):
                kind = "f"
            arr = np.ascontiguousarray(obj, dtype=_TYPED[kind])
            spec = {"dtype": _TYPED[kind], "bdata": base64.b64encode(arr.tobytes()).decode()}
            if arr.ndim == 2:
                spec["shape"] = f"{arr.shape[0]}, {arr.shape[1]}"
            return spec
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> go.Figure:
    """A Figure from plain dicts, without validation (see the module docstring).

    Arrays go out as float32/int32 typed arrays (`_wire`). The layout gets an empty
    template: Streamlit's theme styles the chart in the browser, and plotly.py's default
    template would add ~7 kB and ~20 ms of copying to every chart (every trace here sets its
    colours itself).
    """
    spec = {"data": _wire(data), "layout": _wire({"template": {}, **layout})}
    if frames:
        spec["frames"] = _wire(frames)
    return go.Figure(spec, _validate=False)


def subplot_title(text: str, x: float, y: float) -> dict:
    """A subplot title as a paper-anchored annotation centred at (x, y)."""
    return dict(text=text, x=x, y=y, xref="paper", yref="paper", showarrow=False,
                xanchor="center", yanchor="bottom", font=dict(size=14))


def visible_char(ch: str) -> str:
    """A printable stand-in for a character: ' ' -> '␣', '\\n' -> '↵', controls -> 'U+0007'."""
    if ch in _VISIBLE:
        return _VISIBLE[ch]
    if len(ch) == 1 and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return f"U+{ord(ch):04X}"
    return ch


def printable(text: str) -> str:
    """Text for a plain-text block: newlines and tabs kept, every other control or format
    character (NUL, bidi overrides, zero-width joiners...) shown as ⟨U+XXXX⟩, so it can
    neither vanish nor reorder what follows it."""
    return "".join(c if c in "\n\t" or len(visible_char(c)) == 1 else f"⟨{visible_char(c)}⟩"
                   for c in text)


def plotly_text(s: str, max_len: int | None = None) -> str:
    """User text made safe for a Plotly label: shortened, with < > & escaped."""
    s = str(s)
    if max_len is not None and len(s) > max_len:
        s = s[: max_len - 1] + "…"
    return html.escape(s, quote=False)


def format_prob(log_p: float) -> str:
    """A probability given by its natural log, as 'm × 10⁻ᵉ' (no underflow for tiny values)."""
    if math.isnan(log_p):
        return "undefined"
    if math.isinf(log_p):
        return "0" if log_p < 0 else "∞"
    log10 = log_p / math.log(10)
    e = math.floor(log10)
    m = 10 ** (log10 - e)
    if m >= 9.995:                      # 9.996 would print as "10.00"
        m, e = m / 10, e + 1
    if -3 <= e <= 0:
        return f"{10 ** log10:.3g}"
    return f"{m:.2f} × 10{str(e).translate(_SUPERSCRIPT)}"


def preference(log_p_a: float, log_p_b: float) -> dict:
    """Which of two sentences a model prefers, and by how much.

    Returns winner ("A", "B" or "tie"), diff = |log P(A) - log P(B)| in nats, and ratio,
    P(winner) / P(loser) as text (it can exceed any float).
    """
    a, b = float(log_p_a), float(log_p_b)
    if not (math.isfinite(a) and math.isfinite(b)):
        winner = "A" if a > b else "B" if b > a else "tie"
        return {"winner": winner, "diff": float("inf"), "ratio": "∞"}
    d = abs(a - b)
    winner = "tie" if d < 1e-9 else ("A" if a > b else "B")
    ratio = f"{math.exp(d):.3g}" if d < 50 else format_prob(d)
    return {"winner": winner, "diff": d, "ratio": ratio}


def char_labels(chars: Sequence[str], max_len: int = 12) -> list[str]:
    """Characters (or special tokens) as safe, visible Plotly labels."""
    return [plotly_text(visible_char(c), max_len) for c in chars]


def fig_topk(probs: np.ndarray, chosen_id: int, itos: Sequence[str], k: int = 10,
             step: int | None = None, model_probs: np.ndarray | None = None) -> go.Figure:
    """The distribution a character was drawn from at one step: its k most likely characters,
    the drawn one in red.

    probs: the sampling distribution (ŷ<t> after temperature and top-k); model_probs: the
    model's own ŷ<t>, drawn as grey bars beside it. If the drawn character is not among the k
    most likely it is added as a last bar, so the draw is always visible.
    """
    probs = np.asarray(probs, dtype=np.float64).ravel()
    k = max(1, min(int(k), probs.size))
    order = np.argsort(-probs, kind="stable")[:k]
    if chosen_id not in order:
        order = np.append(order, chosen_id)
    labels = char_labels([itos[i] for i in order])
    is_chosen = order == chosen_id
    pos = np.arange(len(order))
    sym = "ŷ<t>" if step is None else f"ŷ<{step}>"
    custom = np.stack([labels, order.astype(str), np.where(is_chosen, "← drawn", "")], axis=1)
    data = []
    top = float(probs[order].max())
    if model_probs is not None:
        mp = np.asarray(model_probs, dtype=np.float64).ravel()
        top = max(top, float(mp[order].max()))
        data.append(dict(
            type="bar", x=pos, y=mp[order].astype(np.float32), name=f"{sym} of the model (T = 1)",
            marker=dict(color="#c7c7c7"), customdata=custom,
            hovertemplate="'%{customdata[0]}': model P = %{y:.4f}<extra></extra>"))
    data.append(dict(
        type="bar", x=pos, y=probs[order].astype(np.float32),
        name="distribution sampled from (temperature, top-k)",
        marker=dict(color=[ACCENT if c else BASE for c in is_chosen]), customdata=custom,
        hovertemplate="'%{customdata[0]}' (index %{customdata[1]})<br>P = %{y:.4f} "
                      "%{customdata[2]}<extra></extra>",
        text=[f"{p:.2f}" for p in probs[order]], textposition="outside", cliponaxis=False))
    layout = dict(
        title=dict(text=f"{sym}: the {k} most likely next characters (red: the one drawn)"),
        xaxis=dict(tickmode="array", tickvals=pos, ticktext=labels, tickfont=dict(size=15),
                   title=dict(text="candidate next character c")),
        yaxis=dict(title=dict(text="P(c)"), range=[0, min(1.12, 1.25 * top + 0.02)]),
        barmode="group", bargap=0.25, showlegend=model_probs is not None,
        legend=dict(orientation="h", y=1.0, x=1, xanchor="right", yanchor="bottom"),
        margin=dict(l=60, r=20, t=60, b=60), height=360,
    )
    return figure(data, layout)


def text_grid(chars: Sequence[str], width: int) -> tuple[np.ndarray, np.ndarray]:
    """Column and row of each character when the text wraps at `width` and after newlines."""
    cols, rows = np.empty(len(chars), dtype=int), np.empty(len(chars), dtype=int)
    c = r = 0
    for i, ch in enumerate(chars):
        if c >= width:
            c, r = 0, r + 1
        cols[i], rows[i] = c, r
        c += 1
        if ch == "\n":
            c, r = 0, r + 1
    return cols, rows


def fig_sample_text(chars: Sequence[str], p_chosen: np.ndarray, n_prefix: int = 0,
                    step: int | None = None, width: int = 48) -> go.Figure:
    """The prefix (grey) and the sampled characters, each coloured by P(drawn character).

    chars: prefix characters followed by the generated ones; p_chosen: one probability per
    generated character; step (1-based, over the generated characters) is outlined in red.
    The text wraps at `width` characters and after every newline.
    """
    chars = list(chars)
    n = len(chars)
    n_prefix = min(n_prefix, n)
    p = np.asarray(p_chosen, dtype=np.float32)[: n - n_prefix]
    cols, rows = text_grid(chars, width)
    labels = np.asarray(char_labels(chars), dtype=object)
    gen = np.arange(n) >= n_prefix
    steps = (np.arange(n) - n_prefix + 1)[gen]
    box = dict(symbol="square", size=19, line=dict(width=1, color="white"))
    data = [
        dict(type="scatter", x=cols[~gen], y=rows[~gen], mode="markers+text",
             text=labels[~gen], textfont=dict(size=13, color="#333"), name="prefix",
             marker=dict(color="#d9d9d9", **box),
             hovertemplate="prefix (given): '%{text}'<extra></extra>"),
        dict(type="scatter", x=cols[gen], y=rows[gen], mode="markers+text",
             text=labels[gen], name="sampled", customdata=steps,
             textfont=dict(size=13, color=np.where(p > 0.55, "white", "#222")),
             marker=dict(color=p, colorscale=PROBABILITY, cmin=0, cmax=1,
                         colorbar=dict(title=dict(text="P(drawn)"), thickness=12, len=0.9),
                         **box),
             hovertemplate="step %{customdata}: '%{text}'<br>P = %{marker.color:.3f}"
                           "<extra></extra>"),
    ]
    if step is not None and 1 <= step <= n - n_prefix:
        i = n_prefix + step - 1
        data.append(dict(type="scatter", x=[cols[i]], y=[rows[i]], mode="markers",
                         hoverinfo="skip", name="current step",
                         marker=dict(symbol="square-open", size=24, color=ACCENT,
                                     line=dict(width=3, color=ACCENT))))
    n_rows = int(rows.max()) + 1 if n else 1
    layout = dict(
        title=dict(text="Sampled text: grey = prefix; colour = the probability the drawn "
                        "character had; red box = the step on the slider"),
        xaxis=dict(visible=False, range=[-1, width], fixedrange=True),
        yaxis=dict(visible=False, range=[n_rows - 0.4, -0.6], fixedrange=True),
        height=90 + 26 * n_rows, margin=dict(l=10, r=10, t=40, b=10), showlegend=False,
        plot_bgcolor="white",
    )
    return figure(data, layout)


def most_active_units(A: np.ndarray, k: int) -> np.ndarray:
    """Indices (ascending) of the k rows of A (n_a, S) with the largest standard deviation
    over the steps: the units that change most while the text is written."""
    A = np.nan_to_num(np.asarray(A, dtype=np.float64))
    if A.shape[0] <= k:
        return np.arange(A.shape[0])
    return np.sort(np.argsort(-A.std(axis=1), kind="stable")[:k])


def fig_hidden_state(A: np.ndarray, step: int, symbol: str = "a<t>",
                     max_units: int = 64) -> go.Figure:
    """a<t> over the generated steps (units x steps heatmap) and, at `step`, as bars.

    A: (n_a, S); step is 1-based. The colour range is symmetric around 0. With more than
    `max_units` units only the most active ones are drawn (`most_active_units`), so a wide
    model stays readable and its payload small.
    """
    A = np.asarray(A, dtype=np.float32)
    n_a, S = A.shape
    step = int(np.clip(step, 1, S))
    units = most_active_units(A, max_units)
    A = A[units]
    k = units.size
    names = [f"unit {u}" for u in units]
    finite = A[np.isfinite(A)]
    zmax = float(max(1.0, np.abs(finite).max())) if finite.size else 1.0
    at = symbol.replace("<t>", f"<{step}>")
    which = (f"{symbol}: the {k} most active of {n_a} units" if k < n_a
             else f"{symbol} over the sampled steps")
    colors = dict(colorscale=DIVERGING)
    data = [
        dict(type="heatmap", z=A, x=np.arange(1, S + 1), y=names, zmin=-zmax,
             zmax=zmax, colorbar=dict(title=dict(text=symbol), thickness=12, x=1.01), **colors,
             hovertemplate="step %{x}, %{y}<br>" + symbol + " = %{z:.3f}<extra></extra>"),
        dict(type="bar", x=A[:, step - 1], y=names, orientation="h", xaxis="x2",
             yaxis="y", marker=dict(color=A[:, step - 1], cmin=-zmax, cmax=zmax, **colors),
             hovertemplate="%{y}: %{x:.3f}<extra></extra>"),
    ]
    layout = dict(
        xaxis=dict(domain=[0, 0.75], title=dict(text="step t (sampled characters)")),
        xaxis2=dict(domain=[0.78, 0.98], range=[-zmax, zmax], anchor="y",
                    title=dict(text=at)),
        yaxis=dict(title=dict(text="unit (row of a<t>)"), type="category",
                   autorange="reversed"),
        shapes=[dict(type="rect", xref="x", yref="paper", x0=step - 0.5, x1=step + 0.5, y0=0,
                     y1=1, line=dict(color=ACCENT, width=2))],
        annotations=[subplot_title(which, 0.375, 1.0),
                     subplot_title(f"{at} (step {step})", 0.88, 1.0)],
        height=min(640, max(280, 90 + 7 * k)), showlegend=False,
        margin=dict(l=80, r=20, t=40, b=50),
    )
    return figure(data, layout)


def fig_logprob_compare(series: Sequence[tuple[str, Sequence[str], np.ndarray]]) -> go.Figure:
    """Per-character log P(c<t> | c<1..t-1>) (bars) and its running sum (lines).

    series: one or two (name, characters, log-probs) triples; positions where two sentences
    have different characters are shaded yellow.
    """
    data, shapes = [], []
    for j, (name, chars, lp) in enumerate(series):
        lp = np.asarray(lp, dtype=np.float64)
        t = np.arange(1, lp.size + 1)
        labels = (char_labels(list(chars)) + [""] * lp.size)[: lp.size]
        color = SERIES[j % len(SERIES)]
        custom = np.stack([np.asarray(labels, dtype=object), np.exp(lp)], axis=1)
        safe = plotly_text(name)
        data.append(dict(
            type="scatter", x=t, y=np.cumsum(lp).astype(np.float32), mode="lines+markers",
            name=safe, legendgroup=safe, line=dict(color=color), customdata=custom,
            hovertemplate=f"{safe}<br>t = %{{x}} ('%{{customdata[0]}}')<br>"
                          "log P(c<1..t>) = %{y:.2f}<extra></extra>"))
        data.append(dict(
            type="bar", x=t, y=lp.astype(np.float32), name=safe, legendgroup=safe,
            showlegend=False, marker=dict(color=color), customdata=custom, yaxis="y2",
            hovertemplate=f"{safe}<br>t = %{{x}}: '%{{customdata[0]}}'<br>"
                          "log p = %{y:.3f} (p = %{customdata[1]:.3g})<extra></extra>"))
    xaxis = dict(anchor="y2", title=dict(text="character position t"))
    if series:
        chars0 = list(series[0][1])[: len(series[0][2])]
        ticks = char_labels(chars0)
        if len(series) == 2:
            chars1 = list(series[1][1])
            for i in range(min(len(chars0), len(chars1), len(series[1][2]))):
                if chars0[i] != chars1[i]:
                    shapes.append(dict(type="rect", xref="x", yref="paper", x0=i + 0.5,
                                       x1=i + 1.5, y0=0, y1=1, fillcolor="#ffd92f",
                                       opacity=0.35, line=dict(width=0), layer="below"))
                    ticks[i] = f"{ticks[i]}/{char_labels([chars1[i]])[0]}"
        if 0 < len(ticks) <= 80:
            xaxis.update(tickmode="array", tickvals=list(range(1, len(ticks) + 1)),
                         ticktext=ticks)
    layout = dict(
        xaxis=xaxis,
        yaxis=dict(domain=[0.58, 1], anchor="x", title=dict(text="log P (nats)")),
        yaxis2=dict(domain=[0, 0.44], anchor="x", title=dict(text="log p (nats)")),
        annotations=[
            subplot_title("running sum: log P(c<1>, …, c<t>)", 0.5, 1.0),
            subplot_title("per character: log P(c<t> | c<1>, …, c<t-1>)", 0.5, 0.45)],
        shapes=shapes, barmode="group", height=470, margin=dict(l=60, r=20, t=50, b=50),
        legend=dict(orientation="h", y=1.1, x=0),
    )
    return figure(data, layout)
