"""Figures of the sampling page: what a character language model does one step at a time.

A char LM reads x<t> and predicts ŷ<t>, the distribution of the next character; sampling
draws a character c from ŷ<t> (after temperature and top-k) and feeds it back as x<t+1>.

    sample_text_html     the sampled text, each character coloured by the probability it had
                         (HTML: the page redraws it at every step)
    fig_topk             ŷ<t> at one step: the k most likely characters, the drawn one marked
    fig_hidden_state     a<t> over all steps (units x steps) and at the chosen step
    fig_logprob_compare  log P(c<t> | c<1..t-1>) per character and its running sum, for one or
                         two sentences
    played_steps         every step as an animation frame (the draw, ŷ<t>'s top k, a<t>), for
                         the page's ▶ Play to step in the browser

Scoring helpers `format_prob` and `preference` are pure and used by the page.

Figures are written as plain dicts and assembled by `figure.figure(..., compact=True)`
without Plotly's per-property validation (the tests validate every figure once). User text
is escaped (`safe_text.char_labels`, `safe_text.plotly_text`) before it reaches a Plotly label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.core.analysis import most_active_units
from rnnviz.figures.colours import (
    ACCENT,
    BASE,
    DIVERGING,
    DIVERGING_SCALE,
    PROBABILITY,
    SERIES,
    colour_at,
    scale_colour,
)
from rnnviz.figures.figure import figure, subplot_title, title_over_legend
from rnnviz.figures.safe_text import char_labels, escape_all, html_piece, plotly_text, visible_char
from rnnviz.lm import entropy_bits

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


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


def step_t(step: int, n_prefix: int) -> int:
    """The notes' t of sampling step `step` (1-based over the drawn characters): it has read
    the prefix and step - 1 drawn characters, so ŷ<t> and a<t> have t = n_prefix + step - 1
    (t = 0: the start state). The page's slider, charts and text all use this t."""
    return n_prefix + step - 1


def fig_topk(probs: np.ndarray, chosen_id: int, itos: Sequence[str], k: int = 10,
             step: int | None = None, model_probs: np.ndarray | None = None,
             n_prefix: int = 0) -> go.Figure:
    """The distribution a character was drawn from at one step: its k most likely characters,
    the drawn one in red.

    probs: the sampling distribution (ŷ<t> after temperature and top-k); model_probs: the
    model's own ŷ<t>, drawn as grey bars beside it. If the drawn character is not among the k
    most likely it is added as a last bar, so the draw is always visible.
    step (1-based over the sampled characters) names the distribution ŷ<t>, t = n_prefix +
    step - 1 (`step_t`): the notes index ŷ<t> by the input x<t> just read, and sampling step
    s has read the prefix and s - 1 drawn characters (ŷ<0>: the start state, before any
    character). The title is short (the page says the rest above the chart) and the legend
    has its own band under it.
    """
    probs = np.asarray(probs, dtype=np.float64).ravel()
    k = max(1, min(int(k), probs.size))
    order = np.argsort(-probs, kind="stable")[:k]
    if chosen_id not in order:
        order = np.append(order, chosen_id)
    labels = char_labels([itos[i] for i in order])
    is_chosen = order == chosen_id
    pos = np.arange(len(order))
    sym = "ŷ<t>" if step is None else f"ŷ<{step_t(step, n_prefix)}>"
    custom = np.stack([labels, order.astype(str), np.where(is_chosen, "← drawn", "")], axis=1)
    data = []
    top = float(probs[order].max())
    if model_probs is not None:
        mp = np.asarray(model_probs, dtype=np.float64).ravel()
        top = max(top, float(mp[order].max()))
        data.append(dict(
            type="bar", x=pos, y=mp[order].astype(np.float32), name="model (T = 1)",
            marker=dict(color="#c7c7c7"), customdata=custom,
            hovertemplate="'%{customdata[0]}': model P = %{y:.4f}<extra></extra>"))
    data.append(dict(
        type="bar", x=pos, y=probs[order].astype(np.float32),
        name="sampled from",
        marker=dict(color=[ACCENT if c else BASE for c in is_chosen]), customdata=custom,
        hovertemplate="'%{customdata[0]}' (index %{customdata[1]})<br>P = %{y:.4f} "
                      "%{customdata[2]}<extra></extra>",
        text=[f"{p:.2f}" for p in probs[order]], textposition="outside", cliponaxis=False))
    layout = dict(
        title=dict(text=f"{sym}: top {k}, drawn in red", x=0, xref="paper", xanchor="left"),
        xaxis=dict(tickmode="array", tickvals=pos, ticktext=labels, tickfont=dict(size=15),
                   title=dict(text="candidate next character c")),
        yaxis=dict(title=dict(text="P(c)"), range=[0, min(1.12, 1.25 * top + 0.02)]),
        barmode="group", bargap=0.25, showlegend=model_probs is not None,
        margin=dict(l=60, r=20, t=60, b=60), height=360,
    )
    if model_probs is not None:
        title_over_legend(layout)
    return figure(data, layout, compact=True)


PREFIX_GREY = "#d9d9d9"
_BOX = "border-radius:2px;padding:0 1px;margin:0 1px 0 0"


def _char_html(ch: str) -> str:
    """One character as escaped HTML, a space as ␣ (every character visible)."""
    return escape_all(visible_char(ch)) if ch == " " else html_piece(ch)


def sample_text_html(chars: Sequence[str], p_chosen: np.ndarray, n_prefix: int = 0,
                     step: int | None = None) -> str:
    """The sampled text as HTML: the prefix on grey, each sampled character on the colour of
    the probability it was drawn with (`PROBABILITY`: 0 white, 1 dark blue), the character of
    `step` (1-based over the sampled ones) outlined in red and marked aria-current="step".
    Hovering a drawn character shows the distribution it came from, ŷ<t> with t =
    `step_t(step, n_prefix)` (the page's one index), and P. A legend line follows.

    HTML because the page redraws this at every step: a few hundred spans cost the browser
    next to nothing, where a Plotly scatter with one SVG text per character was re-created
    (~200 ms) at every step. Every character is an HTML entity: safe for
    st.markdown(unsafe_allow_html=True).
    """
    chars = list(chars)
    n_prefix = min(n_prefix, len(chars))
    p = np.asarray(p_chosen, dtype=np.float64)[: len(chars) - n_prefix]
    parts = []
    # Only the character is user text: it alone becomes entities (`escape_all`); the rest of
    # a title is digits and fixed words (a fifth of the bytes of escaping it all).
    for ch in chars[:n_prefix]:
        tip = f"prefix (given): {escape_all(repr(visible_char(ch)))}"
        parts.append(f"<span title='{tip}' style='background:{PREFIX_GREY};color:#333;"
                     f"{_BOX}'>{_char_html(ch)}</span>")
    for s, (ch, pc) in enumerate(zip(chars[n_prefix:], p, strict=False), start=1):
        tip = (f"drawn from ŷ&lt;{step_t(s, n_prefix)}&gt;: {escape_all(repr(visible_char(ch)))}"
               f", P = {pc:.3f}")
        colour = "#fff" if pc > 0.55 else "#222"
        current = (f" aria-current='step' style='outline:3px solid {ACCENT};outline-offset:1px;"
                   if s == step else " style='")
        parts.append(f"<span title='{tip}'{current}background:{scale_colour(PROBABILITY, pc)};"
                     f"color:{colour};{_BOX}'>{_char_html(ch)}</span>")
    sw = "display:inline-block;width:1.4em;height:0.9em;vertical-align:middle;margin:0 4px"
    legend = (f"<div style='font-size:0.85rem;margin-top:4px'>"
              f"<span style='{sw};background:{PREFIX_GREY}'></span>prefix (given) · "
              f"P(drawn) <span style='{sw};background:{scale_colour(PROBABILITY, 0.0)};"
              f"border:1px solid #ccc'></span>0 "
              f"<span style='{sw};background:{scale_colour(PROBABILITY, 0.5)}'></span>0.5 "
              f"<span style='{sw};background:{scale_colour(PROBABILITY, 1.0)}'></span>1 · "
              f"<span style='{sw};outline:3px solid {ACCENT}'></span>drawn from ŷ&lt;t&gt; at the "
              f"slider's t"
              f"</div>")
    return ("<div style='direction:ltr;white-space:pre-wrap;font-family:ui-monospace,"
            "\"DejaVu Sans Mono\",monospace;font-size:1.0rem;line-height:1.9;"
            "word-break:break-all;padding:6px 4px'>" + "".join(parts) + "</div>" + legend)


def fig_hidden_state(A: np.ndarray, step: int, symbol: str = "a<t>",
                     max_units: int = 32, n_prefix: int = 0) -> go.Figure:
    """a<t> over the generated steps (units x steps heatmap) and, at `step`, as bars.

    A: (n_a, S); step is 1-based over the sampled characters. The state of sampling step s
    has read the prefix and s - 1 drawn characters: it is a<t> with t = n_prefix + s - 1
    (`step_t`; the notes index a<t> and ŷ<t> by the input x<t> just read; a<0> is the start
    state). The time axis, the frame and the titles all say that t.
    The colour range is symmetric around 0. With more than
    `max_units` units only the most active ones are drawn (`analysis.most_active_units`), so a wide
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
    t = step_t(step, n_prefix)
    at = symbol.replace("<t>", f"<{t}>")
    which = f"{k} most active of {n_a} units" if k < n_a else f"{symbol}, every unit"
    now = A[:, step - 1]
    ts = np.arange(S) + n_prefix                 # the t of each sampled step
    data = [
        dict(type="heatmap", z=A, x=ts, y=names, zmin=-zmax, zmax=zmax,
             colorscale=DIVERGING_SCALE,
             colorbar=dict(title=dict(text=symbol), thickness=12, x=1.01),
             hovertemplate="t = %{x}, %{y}<br>" + symbol + " = %{z:.3f}<extra></extra>"),
        # One '#rrggbb' per bar, from the heatmap's scale: a numeric colour array on bars
        # makes the browser log one "Invalid color specifier" warning per bar and rerun.
        dict(type="bar", x=now, y=names, orientation="h", xaxis="x2", yaxis="y",
             marker=dict(color=[colour_at(float(v), -zmax, zmax, DIVERGING) for v in now]),
             hovertemplate="%{y}: %{x:.3f}<extra></extra>"),
    ]
    layout = dict(
        xaxis=dict(domain=[0, 0.75], title=dict(text="t (inputs read)")),
        xaxis2=dict(domain=[0.78, 0.98], range=[-zmax, zmax], anchor="y", nticks=3,
                    title=dict(text="value")),
        yaxis=dict(title=dict(text="unit (row of a<t>)"), type="category",
                   autorange="reversed"),
        shapes=[dict(type="rect", xref="x", yref="paper", x0=t - 0.5, x1=t + 0.5, y0=0,
                     y1=1, line=dict(color=ACCENT, width=2))],
        annotations=[subplot_title(which, 0.375, 1.0), subplot_title(at, 0.88, 1.0)],
        height=min(640, max(280, 90 + 7 * k)), showlegend=False,
        margin=dict(l=80, r=20, t=40, b=50),
    )
    return figure(data, layout, compact=True)


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
        # Panel titles on the left, the legend on the right of the top band: never on each
        # other at 1024 px.
        annotations=[
            dict(subplot_title("running sum: log P(c<1>, …, c<t>)", 0, 1.0), xanchor="left"),
            dict(subplot_title("per character: log P(c<t> | c<1>, …, c<t-1>)", 0, 0.45),
                 xanchor="left")],
        shapes=shapes, barmode="group", height=470, margin=dict(l=60, r=20, t=50, b=50),
        legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"),
    )
    return figure(data, layout, compact=True)


def step_figures(sample: dict, step: int, top_k: int = 0) -> tuple:
    """(sampled text as HTML, top-k of ŷ<t>, hidden state) at one step (1-based) of a
    sample's arrays (`rnnviz.lm.Sample.arrays` plus "prefix" and "itos"); the top-k chart
    lists max(5, min(20, top_k or 10)) characters."""
    i, n_prefix = step - 1, len(sample["prefix"])
    k = max(5, min(20, top_k or 10))
    return (
        sample_text_html(list(sample["prefix"]) + list(sample["chars"]), sample["p_chosen"],
                         n_prefix=n_prefix, step=step),
        fig_topk(sample["probs"][i], int(sample["ids"][i]), sample["itos"], k=k, step=step,
                 model_probs=sample["y_hat"][i], n_prefix=n_prefix),
        fig_hidden_state(sample["a"], step, n_prefix=n_prefix),
    )


# -- the steps played in the browser ---------------------------------------------------------

TEXT_WIDTH, TEXT_LINES = 52, 4          # the played text panel: characters a line, lines shown
_MONO = "ui-monospace, 'DejaVu Sans Mono', monospace"
PREFIX_INK = "#8c8c8c"                  # the prefix's characters in the played text


def _text_so_far(chars: Sequence[str], n_prefix: int, upto: int) -> str:
    """Plotly text of chars[:upto]: the prefix grey, the drawn characters dark, the last one
    (the current draw) bold red; every character visible (`visible_char`, a newline as ↵
    and a line break) and escaped (`plotly_text`). Lines of TEXT_WIDTH characters; only the
    last TEXT_LINES are kept (the earlier ones as "…"), so a frame's text has a fixed size."""
    lines, line, width = [], [], 0
    for i, ch in enumerate(chars[:upto]):
        vis = visible_char(ch)
        if width + len(vis) > TEXT_WIDTH:
            lines.append(line)
            line, width = [], 0
        line.append((i, vis))
        width += len(vis)
        if ch == "\n":
            lines.append(line)
            line, width = [], 0
    lines.append(line)
    kept = lines[-TEXT_LINES:]
    out = []
    for row in kept:
        runs, kind, run = [], None, []
        for i, vis in row:
            k = "prefix" if i < n_prefix else "current" if i == upto - 1 else "drawn"
            if k != kind and run:
                runs.append((kind, "".join(run)))
                run = []
            kind = k
            run.append(vis)
        if run:
            runs.append((kind, "".join(run)))
        out.append("".join(
            f"<span style='color:{PREFIX_INK}'>{plotly_text(s)}</span>" if k == "prefix"
            else f"<b><span style='color:{ACCENT}'>{plotly_text(s)}</span></b>"
            if k == "current" else plotly_text(s) for k, s in runs))
    return ("…<br>" if len(lines) > TEXT_LINES else "") + "<br>".join(out)


def played_steps(sample: dict, step: int = 1, top_k: int = 0,
                 max_units: int = 32) -> go.Figure:
    """The sampling steps as one animation the page plays in the browser: a frame per step
    (named str(t), t = `step_t(step, n_prefix)`, the page's step counter), showing the base
    data at `step` (1-based over the drawn characters).

    Three panels, as the step view shows them: the text so far with the current draw in red
    (`_text_so_far`) under two lines with the draw, its P and the entropy of ŷ<t>; ŷ<t>'s top k
    (`fig_topk`'s k and colours: grey the model's ŷ<t>, blue/red the distribution sampled
    from, red the draw, a draw outside the top k added as a last bar; each bar labelled with
    its character); a<t> as `fig_hidden_state` draws it (units x steps, a red frame at t,
    and a<t> as bars). A frame carries only what changes: the bars' heights, labels and
    colours, the frame's x and the text (float32). No Plotly Play or slider: the page's
    step counter owns the step shown.
    """
    chars = list(sample["prefix"]) + list(sample["chars"])
    n_prefix, S = len(sample["prefix"]), len(sample["chars"])
    itos, ids = sample["itos"], np.asarray(sample["ids"])
    probs = np.asarray(sample["probs"], dtype=np.float32)
    y_hat = np.asarray(sample["y_hat"], dtype=np.float32)
    k = max(5, min(20, top_k or 10))
    k = min(k, probs.shape[1])
    step = int(np.clip(step, 1, S))
    A = np.asarray(sample["a"], dtype=np.float32)
    n_a = A.shape[0]
    units = most_active_units(A, max_units)
    A = A[units]
    finite = A[np.isfinite(A)]
    zmax = float(max(1.0, np.abs(finite).max())) if finite.size else 1.0
    top = float(max(probs.max(), y_hat.max())) if S else 1.0

    def frame_data(s: int) -> list[dict]:
        """What step s (1-based) changes: the two bar sets, the frame, a<t>, the text."""
        i, t = s - 1, step_t(s, n_prefix)
        chosen = int(ids[i])
        order = np.argsort(-probs[i], kind="stable")[:k]
        if chosen not in order:
            order = np.append(order, chosen)
        pos = np.arange(order.size, dtype=np.int32)
        now = A[:, i]
        p, q = float(probs[i, chosen]), float(y_hat[i, chosen])
        # Two short lines: at 1024 px the chart holds ~60 monospace characters a line.
        head = (f"t = {t}: x&lt;{t + 1}&gt; = '{char_labels([chars[n_prefix + i]])[0]}' "
                f"drawn from ŷ&lt;{t}&gt;",
                f"P = {p:.3f} (model {q:.3f}), entropy {entropy_bits(y_hat[i]):.2f} bits")
        return [
            dict(type="bar", x=pos, y=y_hat[i, order]),
            dict(type="bar", x=pos, y=probs[i, order],
                 text=char_labels([itos[j] for j in order]),
                 marker=dict(color=[ACCENT if j == chosen else BASE for j in order])),
            dict(type="scatter", x=np.array([t - .5, t + .5, t + .5, t - .5, t - .5],
                                            dtype=np.float32)),
            dict(type="bar", x=now,
                 marker=dict(color=[colour_at(float(v), -zmax, zmax, DIVERGING) for v in now])),
            dict(type="scatter", text=["".join(f"<b>{h}</b><br>" for h in head)
                                       + _text_so_far(chars, n_prefix, n_prefix + s)]),
        ]

    # Heights in px, top to bottom: the text, ŷ<t>'s bars, a<t>; domains follow.
    text_px, bars_px, gap, axis_gap = 20 * (TEXT_LINES + 3), 210, 30, 90
    hidden_px = min(440, max(180, 30 + 9 * units.size))
    t_px, b_px = 30, 50
    plot = text_px + bars_px + hidden_px + gap + axis_gap
    hidden_top = hidden_px / plot
    bars = ((hidden_px + axis_gap) / plot, (hidden_px + axis_gap + bars_px) / plot)
    first = frame_data(step)
    # The heatmap's and the bars' rows, top down, on a numeric axis labelled with the units:
    # on a category axis Plotly dropped the heatmap after a few animated frames.
    rows = np.arange(units.size)
    names = [f"unit {u}" for u in units]
    every = -(-units.size // 16)                # at most 16 unit labels: each stays readable
    ts = np.arange(S) + n_prefix
    data = [
        dict(first[0], name="model (T = 1)", marker=dict(color="#c7c7c7"),
             hovertemplate="model ŷ: P = %{y:.4f}<extra></extra>"),
        dict(first[1], name="sampled from", textposition="outside", cliponaxis=False,
             textfont=dict(size=15),
             hovertemplate="'%{text}': P = %{y:.4f} (sampled from)<extra></extra>"),
        dict(type="heatmap", z=A, x=ts, y=rows, zmin=-zmax, zmax=zmax, xaxis="x2",
             yaxis="y2", colorscale=DIVERGING_SCALE,
             colorbar=dict(title=dict(text="a<t>"), thickness=12, x=1.01, y=0,
                           yanchor="bottom", len=hidden_top),
             customdata=np.broadcast_to(units[:, None], A.shape).astype(np.int32),
             hovertemplate="t = %{x}, unit %{customdata}<br>a<t> = %{z:.3f}<extra></extra>"),
        # The frame around column t, over every row.
        dict(first[2], y=np.array([-0.5, -0.5, units.size - 0.5, units.size - 0.5, -0.5],
                                  dtype=np.float32),
             mode="lines", xaxis="x2", yaxis="y2", hoverinfo="skip",
             line=dict(color=ACCENT, width=2)),
        dict(first[3], y=rows, orientation="h", xaxis="x4", yaxis="y2", customdata=units,
             hovertemplate="unit %{customdata}: %{x:.3f}<extra></extra>"),
        dict(first[4], x=[0], y=[1], mode="text", xaxis="x3", yaxis="y3",
             textposition="bottom right", hoverinfo="skip",
             textfont=dict(family=_MONO, size=13, color="#222")),
    ]
    frames = [dict(name=str(step_t(s, n_prefix)), data=frame_data(s), traces=[0, 1, 3, 4, 5])
              for s in range(1, S + 1)]
    which = (f"{units.size} most active of {n_a} units" if units.size < n_a
             else "a<t>, every unit")
    layout = dict(
        title=dict(text="Sampling, step t: the draw, ŷ<t> and a<t>", x=0, xref="paper",
                   xanchor="left"),
        xaxis=dict(domain=[0, 1], range=[-0.6, k + 0.6], anchor="y", showticklabels=False,
                   title=dict(text="candidate next character c, most likely first")),
        yaxis=dict(domain=list(bars), anchor="x", range=[0, min(1.12, 1.25 * top + 0.02)],
                   title=dict(text="P(c)")),
        xaxis2=dict(domain=[0, 0.75], anchor="y2", title=dict(text="t (inputs read)")),
        yaxis2=dict(domain=[0, hidden_top], anchor="x2", range=[units.size - 0.5, -0.5],
                    tickmode="array", tickvals=rows[::every], ticktext=names[::every],
                    title=dict(text="unit (row of a<t>)")),
        xaxis3=dict(domain=[0, 1], anchor="y3", range=[0, 1], visible=False, fixedrange=True),
        yaxis3=dict(domain=[1 - text_px / plot, 1], anchor="x3", range=[0, 1], visible=False,
                    fixedrange=True),
        xaxis4=dict(domain=[0.78, 0.98], anchor="y2", range=[-zmax, zmax], nticks=3,
                    title=dict(text="value")),
        annotations=[
            dict(subplot_title(f"ŷ<t>: top {k}, grey the model's, red the draw",
                               0, bars[1] + 0.01), xanchor="left"),
            subplot_title(which, 0.375, hidden_top + 0.01),
            subplot_title("a<t>", 0.88, hidden_top + 0.01)],
        barmode="group", bargap=0.25, showlegend=False, height=plot + t_px + b_px,
        margin=dict(l=80, r=20, t=t_px + 10, b=b_px),
    )
    return figure(data, layout, frames, compact=True)


def preference_rows(rows: Sequence[dict]) -> list[dict]:
    """`loaders.get_preferences` rows with headers that fit a 1024 px column: the model by
    its architecture ("LSTM (char-lm-lstm)" -> "LSTM") and "P(A)/P(B)" for the ratio."""
    return [{"model": str(r["model"]).split(" (")[0],
             **{k: r[k] for k in ("log P(A)", "log P(B)", "bits/char A", "bits/char B",
                                  "prefers")},
             "ratio": r["P(preferred) / P(other)"]} for r in rows]
