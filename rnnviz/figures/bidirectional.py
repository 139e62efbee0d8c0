"""Figures of the bidirectional page: a→<t>, a←<t> and what each contributes to ŷ<t>.

Seed notation: the forward sweep computes a→<1>, a→<2>, …, a→<T_x> from x<1..t>; the backward
sweep, with its own parameters, computes a←<T_x>, …, a←<1> from x<T_x..t>; then

    ŷ<t> = g(W_y [a→<t>, a←<t>] + b_y).

    fig_tagger_probs     P(name) per word, one bar per model (unidirectional vs bidirectional)
    fig_directions       a→<t> and a←<t> aligned per token, and that split
    sweep_frames         the order of computation, frame by frame
    fig_sweep_order      animated diagram (Plotly frames, client-side) of that order
    fig_sensitivity      ||∂ŷ<t>/∂x<t'>|| for two models side by side
    row_shares, future_share, quoted_row, next_word_share
                         the numbers the page's text quotes (what the "row" scale colours)

Figures are plain dicts assembled without validation (`figure.figure(..., compact=True)`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from rnnviz.figures.arrows import arrows, inset
from rnnviz.figures.colours import ACCENT, DIVERGING_SCALE
from rnnviz.figures.figure import figure, subplot_title
from rnnviz.figures.safe_text import char_labels, plotly_text

FWD = "#1f77b4"     # a→
BWD = "#2ca02c"     # a←
OUT = "#9467bd"     # ŷ
UNI = "#ff7f0e"     # the unidirectional model in comparisons
TOKEN_GAP = 0.14    # sweep diagram: ~13 px between a token and the arrows leaving it
MODEL_COLORS = (UNI, FWD)
PENDING = "#e8e8e8"
# Cells of the sweep animation: code -> colour (pending, a→ done, a← done, ŷ done).
CELL_CODES = {"pending": 0, "fwd": 1, "bwd": 2, "out": 3}
CELL_SCALE = [[0, PENDING], [1 / 6, PENDING], [1 / 6, FWD], [0.5, FWD], [0.5, BWD],
              [5 / 6, BWD], [5 / 6, OUT], [1, OUT]]


def token_labels(tokens: Sequence[str], max_len: int = 14) -> list[str]:
    """Tokens as safe, visible Plotly labels."""
    return char_labels(tokens, max_len)


def _token_axis(labels: Sequence[str], max_ticks: int = 60) -> dict:
    """Tick labels at the tokens: every one up to `max_ticks` (what the axis holds without
    two labels touching), then every k-th, regularly (t = 1, 1 + k, ...)."""
    T = len(labels)
    if T == 0:
        return {}
    k = -(-T // max_ticks)
    return dict(tickmode="array", tickvals=list(range(1, T + 1, k)),
                ticktext=list(labels)[::k])


def fig_tagger_probs(words: Sequence[str], probs: Mapping[str, np.ndarray],
                     title: str = "P(name) per word",
                     colors: Sequence[str] = MODEL_COLORS) -> go.Figure:
    """Grouped bars: P(name | sentence) at every word, one series per model.

    probs: model label -> (T,) probabilities, in the order given (default colours: the
    unidirectional model first, then the bidirectional one). A dashed line marks 0.5.
    """
    labels = token_labels(words)
    T = len(labels)
    data = []
    for j, (name, p) in enumerate(probs.items()):
        safe = plotly_text(name)
        data.append(dict(
            type="bar", x=np.arange(1, T + 1), y=np.asarray(p, dtype=np.float32)[:T],
            name=safe, marker=dict(color=colors[j % len(colors)]),
            customdata=labels,
            hovertemplate=f"{safe}<br>t = %{{x}} '%{{customdata}}'<br>"
                          "P(name) = %{y:.3f}<extra></extra>"))
    layout = dict(
        barmode="group", height=340, margin=dict(l=60, r=30, t=60 if title else 36, b=80),
        yaxis=dict(title=dict(text="P(name) = ŷ<t>"), range=[0, 1.05]),
        # from x = 0: the first word's tilted label stays clear of the y axis's tick labels
        xaxis=dict(title=dict(text="word x<t>"), tickangle=-40, range=[0, T + 0.5],
                   **_token_axis(labels, 20)),
        shapes=[dict(type="line", xref="paper", yref="y", x0=0, x1=1, y0=0.5, y1=0.5,
                     line=dict(color="#555", dash="dash", width=1))],
        legend=dict(orientation="h", y=1.0, x=1, xanchor="right", yanchor="bottom"),
    )
    if title:       # a long title belongs in the text above the chart (the page's)
        layout["title"] = dict(text=title)
    return figure(data, layout, compact=True)


def fig_directions(a_fwd: np.ndarray, a_bwd: np.ndarray, tokens: Sequence[str],
                   split: Mapping | None = None, p_name: np.ndarray | None = None,
                   cls_name: str = "name") -> go.Figure:
    """a→<t> and a←<t> (units x tokens, aligned per token) and, below, their share of ŷ<t>.

    a_fwd, a_bwd: (n_a, T). split: from `rnnviz.core.analysis.direction_split` (adds a
    third row: the score of class `cls_name` ("name" for the shipped taggers) of ŷ<t> split
    into what a→<t> and a←<t> contribute; p_name: P(that class) per step, for the hover).
    """
    a_fwd = np.asarray(a_fwd, dtype=np.float32)
    a_bwd = np.asarray(a_bwd, dtype=np.float32)
    n_a, T = a_fwd.shape
    labels = (token_labels(tokens) + [""] * T)[:T]
    t = np.arange(1, T + 1)
    three = split is not None
    domains = ([[0.70, 1.0], [0.36, 0.66], [0.0, 0.26]] if three else [[0.53, 1], [0, 0.47]])
    both = np.concatenate([a_fwd.ravel(), a_bwd.ravel()])
    lim = float(max(1e-6, np.nanmax(np.abs(both)))) if np.isfinite(both).any() else 1.0
    data = []
    layout = dict(
        coloraxis=dict(colorscale=DIVERGING_SCALE, cmin=-lim, cmax=lim,
                       colorbar=dict(title=dict(text="value"), thickness=12, len=0.6,
                                     y=0.68 if three else 0.5)),
        barmode="relative", height=640 if three else 460,
        margin=dict(l=70, r=20, t=40, b=90), legend=dict(orientation="h", y=-0.2, x=0),
        annotations=[], hovermode="closest",
    )
    # short: a panel title spans the chart's middle only (the note says the rest)
    titles = ["a→<t> (read x<1..t>)", "a←<t> (read x<t..T_x>)",
              f"'{plotly_text(token_labels([cls_name], 12)[0])}' score of ŷ<t>: a→ + a←"]
    for r, (A, sym) in enumerate(((a_fwd, "a→<t>"), (a_bwd, "a←<t>"))):
        ya = "y" if r == 0 else f"y{r + 1}"
        data.append(dict(
            type="heatmap", z=A, x=t, y=np.arange(n_a), coloraxis="coloraxis", yaxis=ya,
            hovertemplate=f"{sym}, t = %{{x}}, unit %{{y}}: %{{z:.3f}}<extra></extra>"))
        layout["yaxis" if r == 0 else f"yaxis{r + 1}"] = dict(
            domain=domains[r], anchor="x", range=[n_a - 0.5, -0.5],
            title=dict(text=f"unit of {sym}"))
    if three:
        p = (np.asarray(p_name, dtype=np.float64) if p_name is not None
             else 1 / (1 + np.exp(-np.asarray(split["total"], dtype=np.float64))))
        custom = np.stack([np.asarray(labels, dtype=object), p], axis=1)
        for key, name, color in (("fwd", "from a→<t>", FWD), ("bwd", "from a←<t>", BWD)):
            data.append(dict(
                type="bar", x=t, y=np.asarray(split[key], dtype=np.float32), name=name,
                marker=dict(color=color), customdata=custom, yaxis="y3",
                hovertemplate=f"{name}<br>t = %{{x}} '%{{customdata[0]}}'<br>"
                              "contribution %{y:+.2f}<extra></extra>"))
        data.append(dict(
            type="scatter", x=t, y=np.asarray(split["total"], dtype=np.float32),
            mode="markers", name="total score (incl. bias)", yaxis="y3", customdata=custom,
            marker=dict(color="black", symbol="diamond", size=9),
            hovertemplate="total score<br>t = %{x} '%{customdata[0]}'<br>%{y:+.2f} "
                          f"→ P({plotly_text(cls_name)}) = %{{customdata[1]:.3f}}<extra></extra>"))
        layout["yaxis3"] = dict(domain=domains[2], anchor="x", zeroline=True,
                                zerolinecolor="#555", title=dict(text="log-odds"))
    layout["xaxis"] = dict(anchor="y3" if three else "y2", tickangle=-40,
                           title=dict(text="token x<t>"), **_token_axis(labels, 40))
    for r in range(3 if three else 2):
        layout["annotations"].append(subplot_title(titles[r], 0.5, domains[r][1]))
    return figure(data, layout, compact=True)


def sweep_frames(T: int) -> list[dict]:
    """The order of computation of a bidirectional RNN, one entry per frame.

    Frame 0: nothing computed; frames 1..T: a→<1>..a→<T>; frames T+1..2T: a←<T>..a←<1>;
    frame 2T+1: every ŷ<t>. Each entry has fwd_done / bwd_done (sets of 1-based t),
    current = (kind, t) with kind in (None, "fwd", "bwd", "y"), and y_done.
    """
    all_t = set(range(1, T + 1))
    frames = [dict(fwd_done=set(), bwd_done=set(), current=(None, 0), y_done=False)]
    for t in range(1, T + 1):
        frames.append(dict(fwd_done=set(range(1, t + 1)), bwd_done=set(),
                           current=("fwd", t), y_done=False))
    for t in range(T, 0, -1):
        frames.append(dict(fwd_done=all_t, bwd_done=set(range(t, T + 1)),
                           current=("bwd", t), y_done=False))
    frames.append(dict(fwd_done=all_t, bwd_done=all_t, current=("y", 0), y_done=True))
    return frames


def _frame_title(k: int, f: dict, T: int) -> str:
    """Short (≤ 42 characters): the title must fit the chart at 1024 px."""
    kind, t = f["current"]
    head = f"{k}/{2 * T + 1}: "
    if kind is None:
        return head + "nothing computed yet"
    if kind == "fwd":
        prev = "a→<0> = 0" if t == 1 else f"a→<{t - 1}>"
        return head + f"a→<{t}> from x<{t}>, {prev}"
    if kind == "bwd":
        nxt = f"a←<{T + 1}> = 0" if t == T else f"a←<{t + 1}>"
        return head + f"a←<{t}> from x<{t}>, {nxt}"
    return head + "now every ŷ<t> from [a→<t>, a←<t>]"


def fig_sweep_order(tokens: Sequence[str], max_tokens: int = 14) -> go.Figure:
    """Animated diagram of a bidirectional RNN: the forward sweep (1)…(T_x), then the backward
    sweep (T_x)…(1), then ŷ<t> from both. Runs client-side (Plotly frames, ▶/❚❚, slider).

    Opens on the last frame (everything computed). Cells show the order of computation.
    Longer inputs are cut to `max_tokens` (the last shown as "…").
    """
    labels = token_labels(tokens, 10)[:max_tokens] or ["x"]
    if len(tokens) > max_tokens:
        labels[-1] = "…"
    T = len(labels)
    t = np.arange(1, T + 1, dtype=float)
    xf, xb = t - 0.18, t + 0.18            # a→<t> and a←<t> side by side above x<t>
    yf, yb, yx, yy = 2.1, 1.45, 0.55, 3.05
    spec = sweep_frames(T)
    order = {("fwd", i): i for i in range(1, T + 1)}
    order.update({("bwd", i): 2 * T + 1 - i for i in range(1, T + 1)})
    ts = list(range(1, T + 1))

    def cells(f: dict) -> dict:
        """The animated trace: T forward cells, T backward cells, T outputs.

        Colours are numeric codes on fixed colour scales (`CELL_CODES`): Plotly validates
        frames even when the figure is built unvalidated, and numbers validate ~50x faster
        than colour strings."""
        kind, cur = f["current"]
        code = np.array([CELL_CODES["fwd"] if i in f["fwd_done"] else 0 for i in ts]
                        + [CELL_CODES["bwd"] if i in f["bwd_done"] else 0 for i in ts]
                        + [CELL_CODES["out"] if f["y_done"] else 0] * T, dtype=np.float32)
        now = np.array([kind == "fwd" and i == cur for i in ts]
                       + [kind == "bwd" and i == cur for i in ts] + [kind == "y"] * T,
                       dtype=np.float32)
        text = ([str(order["fwd", i]) if i in f["fwd_done"] else " " for i in ts]
                + [str(order["bwd", i]) if i in f["bwd_done"] else " " for i in ts]
                + [" "] * T)
        return dict(marker=dict(color=code, line=dict(color=now, width=1 + 3 * now)),
                    text=text)

    final = len(spec) - 1
    sym = ([f"a→<{i}>: forward sweep, reads x<1..{i}>" for i in ts]
           + [f"a←<{i}>: backward sweep, reads x<{T}..{i}>" for i in ts]
           + [f"ŷ<{i}> = g(W_y [a→<{i}>, a←<{i}>] + b_y)" for i in ts])
    animated = dict(
        type="scatter", x=np.concatenate([xf, xb, t]),
        y=np.array([yf] * T + [yb] * T + [yy] * T), mode="markers+text",
        textfont=dict(color="white", size=13), customdata=sym,
        hovertemplate="%{customdata}<extra></extra>", name="cells")
    animated.update(cells(spec[final]))
    animated["marker"].update(
        symbol=["square"] * (2 * T) + ["circle"] * T, size=[30] * (2 * T) + [24] * T,
        colorscale=CELL_SCALE, cmin=0, cmax=3, showscale=False,
        opacity=1)      # opaque over the arrows (sizes given per point would make it 0.7)
    animated["marker"]["line"].update(colorscale=[[0, "#666"], [0.5, "#666"], [0.5, ACCENT],
                                                  [1, ACCENT]], cmin=0, cmax=1)
    # Tokens on two staggered rows: neighbours never run together ("TeddyRoosevelt").
    y_tok = np.where(np.arange(T) % 2 == 0, yx, yx - 0.27)
    static = dict(
        type="scatter", x=np.concatenate([t, t]), y=np.concatenate([y_tok, [yy + 0.33] * T]),
        mode="text", text=labels + [f"ŷ<{i}>" for i in ts], textfont=dict(size=12),
        customdata=[f"x<{i}> = '{lab}'" for i, lab in zip(ts, labels, strict=True)]
        + [f"ŷ<{i}>" for i in ts],
        hovertemplate="%{customdata}<extra></extra>", name="labels")
    # The arrows: one trace per colour, drawn under the cells. Each runs from its source's
    # centre to its target's, where a head marker (its tip at the point, turned along the
    # segment on screen: angleref "previous") stands off by the cell's half-size in pixels;
    # an arrow from a token starts ~13 px above it. A Plotly annotation per arrow (6 T of
    # them) cost ~1 ms each in every redraw.
    runs: dict[str, tuple[list, list, list]] = {}

    def arrow(x0, y0, x1, y1, color="#999", off=15, from_token=False):
        xs, ys, offs = runs.setdefault(color, ([], [], []))
        if from_token:
            x0, y0, _, _ = inset(x0, y0, x1, y1, start=TOKEN_GAP)
        xs.extend([float(x0), float(x1), None])
        ys.extend([float(y0), float(y1), None])
        offs.append(off + 1)

    for i in range(T):
        arrow(t[i], yx, xf[i], yf, from_token=True)     # x<t> -> a→<t>
        arrow(t[i], yx, xb[i], yb, from_token=True)     # x<t> -> a←<t>
        arrow(xf[i], yf, t[i], yy, off=12)              # a→<t> -> ŷ<t>
        arrow(xb[i], yb, t[i], yy, off=12)              # a←<t> -> ŷ<t>
        if i + 1 < T:
            arrow(xf[i], yf, xf[i + 1], yf, FWD)         # a→<t> -> a→<t+1>
            arrow(xb[i + 1], yb, xb[i], yb, BWD)         # a←<t+1> -> a←<t>
    lines = [arrows(xs, ys, color, name=f"arrows {color}", width=1.3, standoff=offs)
             for color, (xs, ys, offs) in runs.items()]
    ann = [dict(x=0.25, y=yf, text="a→", showarrow=False, font=dict(color=FWD, size=16)),
           dict(x=0.25, y=yb, text="a←", showarrow=False, font=dict(color=BWD, size=16)),
           dict(x=0.25, y=yx, text="x", showarrow=False, font=dict(size=16)),
           dict(x=0.25, y=yy, text="ŷ", showarrow=False, font=dict(color=OUT, size=16))]
    frames = [dict(name=str(k), traces=[len(lines)], data=[cells(f)],
                   layout=dict(title=dict(text=_frame_title(k, f, T))))
              for k, f in enumerate(spec)]
    still = {"frame": {"duration": 0, "redraw": True}, "mode": "immediate",
             "transition": {"duration": 0}}
    play = {"frame": {"duration": 700, "redraw": True}, "mode": "immediate",
            "transition": {"duration": 0}, "fromcurrent": False}
    layout = dict(
        title=dict(text=_frame_title(final, spec[final], T), font=dict(size=15)),
        annotations=ann, showlegend=False, height=470, plot_bgcolor="white",
        xaxis=dict(visible=False, range=[-0.1, T + 0.6], fixedrange=True),
        yaxis=dict(visible=False, range=[0, 3.65], fixedrange=True),
        margin=dict(l=10, r=10, t=50, b=70),
        updatemenus=[dict(
            type="buttons", direction="left", x=0, y=0, xanchor="left", yanchor="top",
            showactive=False, pad=dict(t=10, r=8),
            buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                     dict(label="❚❚ Pause", method="animate", args=[[None], still])])],
        sliders=[dict(
            active=final, x=0.24, len=0.76, y=0, yanchor="top", pad=dict(t=10),
            # the step's name at the slider's right end, clear of ▶ Play / ❚❚ Pause
            currentvalue=dict(visible=True, prefix="computation ", xanchor="right",
                              font=dict(size=12)),
            steps=[dict(label=str(k), method="animate", args=[[str(k)], still])
                   for k in range(len(spec))])],
    )
    return figure([*lines, animated, static], layout, frames, compact=True)


SENSITIVITY_SCALES = ("row", "log", "raw")
ROW_TICKS = 22           # row labels the 480 px heatmap holds ~14 px apart
LOG_DECADES = 8          # the log colour scale spans this many powers of ten below the max


def row_shares(S: np.ndarray) -> np.ndarray:
    """S[t, t'] / max_t' S[t, t'] (float64; inf/NaN count as 0, a row of zeros stays 0): how
    much of ŷ<t>'s strongest dependence each input x<t'> has. A confident softmax makes every
    raw norm tiny; the shares say where ŷ<t> looks. What the "row" colour scale draws."""
    S = np.nan_to_num(np.asarray(S, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    m = S.max(axis=1, keepdims=True) if S.size else np.zeros((S.shape[0], 1))
    return np.divide(S, m, out=np.zeros_like(S), where=m > 0)


def future_share(S: np.ndarray) -> float:
    """The largest share (`row_shares`) right of the diagonal: 0 for a model that reads left
    to right only (ŷ<t> cannot depend on x<t'>, t' > t), near 1 when a later word matters as
    much as the most important one."""
    R = row_shares(S)
    upper = R[np.triu_indices(R.shape[0], k=1)] if R.size else R
    return float(upper.max()) if upper.size else 0.0


def quoted_row(tokens: Sequence[str], S: np.ndarray, prefer: str = "Teddy") -> int | None:
    """The row t (1-based) the page's text quotes: the first token `prefer` (any case) that has
    a next word, else the row whose next word has the largest share; None below two tokens."""
    T = min(len(tokens), np.asarray(S).shape[0])
    if T < 2:
        return None
    for t, w in enumerate(tokens[:T - 1], start=1):
        if str(w).lower() == prefer.lower():
            return t
    R = row_shares(S)
    return int(np.argmax([R[t, t + 1] for t in range(T - 1)])) + 1


def next_word_share(S: np.ndarray, t: int) -> tuple[float, float]:
    """(share of x<t+1>, share of x<t>) in row t of `row_shares(S)` (t 1-based): the numbers
    the page's text quotes, the colours of those two cells on the "row" scale."""
    R = row_shares(S)
    return float(R[t - 1, t]), float(R[t - 1, t - 1])


def fig_sensitivity(matrices: Mapping[str, np.ndarray], tokens: Sequence[str],
                    scale: str = "row") -> go.Figure:
    """Heatmaps S[t, t'] = ||∂ŷ<t>/∂x<t'>|| side by side, one per model, one colour scale.

    Rows: the output ŷ<t>; columns: the input x<t'>. scale: "log" (log10 S; exact zeros are
    left blank, so "cannot depend" stands out from "depends a little" even where a confident
    softmax squashes every gradient), "row" (each row divided by its maximum: where does ŷ<t>
    look?) or "raw". Hover always shows the raw norm. inf/NaN count as 0.
    """
    if scale not in SENSITIVITY_SCALES:
        raise ValueError(f"scale must be one of {SENSITIVITY_SCALES}, got {scale!r}")
    labels = token_labels(tokens)
    names = list(matrices)
    raws, shown = [], []
    for name in names:
        S = np.nan_to_num(np.asarray(matrices[name], dtype=np.float64), nan=0.0, posinf=0.0)
        raws.append(S.astype(np.float32))
        if scale == "row":
            S = row_shares(S)
        elif scale == "log":
            with np.errstate(divide="ignore"):
                S = np.where(S > 0, np.log10(np.where(S > 0, S, 1.0)), np.nan)
        shown.append(S.astype(np.float32))
    finite = [S[np.isfinite(S)] for S in shown]
    finite = np.concatenate(finite) if finite else np.zeros(0)
    zmax = float(finite.max()) if finite.size else 1.0
    zmin = 0.0 if scale != "log" else (max(float(finite.min()), zmax - LOG_DECADES)
                                       if finite.size else zmax - 1)
    if zmax <= zmin:
        zmax = zmin + 1.0
    title = {"log": "log10 norm", "row": "row max = 1", "raw": "norm"}[scale]
    n = max(len(names), 1)
    gap = 0.16
    width = (1 - gap * (n - 1)) / n
    data, layout = [], dict(annotations=[], height=480, margin=dict(l=70, r=20, t=56, b=100),
                            plot_bgcolor="white")
    for j, S in enumerate(shown):
        T = S.shape[0]
        lab = (labels + [""] * T)[:T]
        sfx = "" if j == 0 else str(j + 1)
        lo = j * (width + gap)
        data.append(dict(
            type="heatmap", z=S, x=np.arange(1, T + 1), y=np.arange(1, T + 1),
            customdata=raws[j], coloraxis="coloraxis", xaxis=f"x{sfx}", yaxis=f"y{sfx}",
            hoverongaps=True,
            hovertemplate="ŷ<%{y}> ← x<%{x}>: ||∂ŷ<t>/∂x<t'>|| = %{customdata:.3g}"
                          "<extra></extra>"))
        # labels that fit at 1024 px: the rows ~14 px apart; tilted columns ~10 px apart in a
        # panel (~200 px each of two, ~420 px alone)
        layout[f"xaxis{sfx}"] = dict(domain=[lo, lo + width], anchor=f"y{sfx}", tickangle=-50,
                                     title=dict(text="input x<t'>"),
                                     showgrid=False,
                                     **_token_axis(lab, 20 if n > 1 else 40))
        layout[f"yaxis{sfx}"] = dict(anchor=f"x{sfx}", range=[T + 0.5, 0.5], showgrid=False,
                                     **_token_axis(lab, ROW_TICKS))
        # "name (kind)" on two lines: two titles side by side fit a 1024 px window
        layout["annotations"].append(subplot_title(
            plotly_text(names[j]).replace(" (", "<br>("), lo + width / 2, 1.0))
    layout["coloraxis"] = dict(colorscale="Viridis", cmin=zmin, cmax=zmax, colorbar=dict(
        title=dict(text=title), thickness=12))
    return figure(data, layout, compact=True)
