"""Figures of the Forward-pass page: the cell of each architecture, step by step.

* `forward_figure`   one animated figure (Plotly frames, played in the browser): the cell
                     diagram whose gates show their values at step t for one unit, the a<t>
                     heatmap filling in as t advances, and ŷ<t>'s most likely classes.
* `equation_lines`   the seed's equations with the numbers of one unit at step t (LaTeX).
* `shape_rows`       the shape of every array in the seed's layout.
"""

from __future__ import annotations

import math
import string

import numpy as np
import plotly.graph_objects as go

from rnnviz.figures.common import (
    DIVERGING,
    DIVERGING_SCALE,
    SEQUENTIAL,
    colour_at,
    decimate,
    escape_plotly,
    figure,
    layout,
    nan_to_none_mask,
    sym,
    token_text,
    visible_token,
)

MAX_FRAMES = 300
TOP_Y = 8

# -- the diagram ---------------------------------------------------------------------------
# Nodes: name -> (x, y, kind, label). kind: "gate" (σ, value in [0, 1]), "state" (value
# centred at 0), "op" (an operator, no value), "input" (x<t>), "output" (ŷ<t>).
# Coordinates live in a [0, 10] x [0, 7] box; edges are (from, to).
_DIAGRAMS = {
    "lstm": {
        "nodes": {
            "c_prev": (0.8, 6.2, "state", "c<t-1>"),
            "mul_f": (3.0, 6.2, "op", "×"),
            "add": (6.2, 6.2, "op", "+"),
            "c": (11.2, 6.2, "state", "c<t>"),
            "a_prev": (0.8, 1.2, "state", "a<t-1>"),
            "x": (2.4, 0.1, "input", "x<t>"),
            "cat": (2.4, 1.7, "op", "[;]"),
            "gamma_f": (3.0, 3.6, "gate", "Γf"),
            "gamma_u": (4.6, 3.6, "gate", "Γu"),
            "c_tilde": (6.2, 3.6, "state", "c̃<t>"),
            "gamma_o": (7.8, 3.6, "gate", "Γo"),
            "mul_u": (5.4, 5.0, "op", "×"),
            "tanh_c": (9.0, 5.1, "op", "tanh"),
            "mul_o": (9.0, 3.6, "op", "×"),
            "a": (11.2, 1.2, "state", "a<t>"),
            "y_hat": (11.2, 3.7, "output", "ŷ<t>"),
        },
        "edges": [("c_prev", "mul_f"), ("gamma_f", "mul_f"), ("mul_f", "add"),
                  ("gamma_u", "mul_u"), ("c_tilde", "mul_u"), ("mul_u", "add"), ("add", "c"),
                  ("add", "tanh_c"), ("tanh_c", "mul_o"), ("gamma_o", "mul_o"),
                  ("mul_o", "a"), ("a", "y_hat"), ("a_prev", "cat"), ("x", "cat"),
                  ("cat", "gamma_f"), ("cat", "gamma_u"), ("cat", "c_tilde"),
                  ("cat", "gamma_o")],
    },
    "gru": {
        "nodes": {
            "c_prev": (0.8, 6.2, "state", "c<t-1>"),
            "mul_keep": (5.2, 6.2, "op", "×"),
            "add": (8.4, 6.2, "op", "+"),
            "c": (11.2, 6.2, "state", "c<t>=a<t>"),
            "x": (2.4, 0.1, "input", "x<t>"),
            "cat": (2.4, 1.7, "op", "[;]"),
            "gamma_r": (3.4, 3.6, "gate", "Γr"),
            "gamma_u": (5.2, 3.6, "gate", "Γu"),
            "one_minus": (5.2, 5.0, "op", "1−"),
            "mul_r": (3.4, 5.0, "op", "×"),
            "c_tilde": (7.4, 3.6, "state", "c̃<t>"),
            "mul_u": (8.4, 5.0, "op", "×"),
            "y_hat": (11.2, 3.7, "output", "ŷ<t>"),
        },
        "edges": [("c_prev", "mul_keep"), ("one_minus", "mul_keep"), ("mul_keep", "add"),
                  ("add", "c"), ("gamma_u", "one_minus"), ("gamma_u", "mul_u"),
                  ("c_tilde", "mul_u"), ("mul_u", "add"), ("c_prev", "mul_r"),
                  ("gamma_r", "mul_r"), ("mul_r", "c_tilde"), ("x", "cat"),
                  ("c_prev", "cat"), ("cat", "gamma_r"), ("cat", "gamma_u"), ("x", "c_tilde"),
                  ("c", "y_hat")],
    },
    "rnn": {
        "nodes": {
            "a_prev": (0.8, 4.6, "state", "a<t-1>"),
            "x": (2.6, 0.6, "input", "x<t>"),
            "cat": (2.6, 3.1, "op", "[;]"),
            "z_a": (5.0, 3.1, "state", "z<t>"),
            "g": (7.0, 3.1, "op", "g"),
            "a": (9.2, 3.1, "state", "a<t>"),
            "y_hat": (9.2, 5.9, "output", "ŷ<t>"),
        },
        "edges": [("a_prev", "cat"), ("x", "cat"), ("cat", "z_a"), ("z_a", "g"), ("g", "a"),
                  ("a", "y_hat")],
    },
}
DIAGRAM_W, DIAGRAM_H = 12.0, 7.0
_HOVER = {
    "c_prev": "memory cell from step t-1", "c": "memory cell after step t",
    "a_prev": "hidden state from step t-1", "a": "hidden state after step t",
    "gamma_f": "forget gate: how much of c<t-1> is kept",
    "gamma_u": "update gate: how much of c̃<t> is written",
    "gamma_o": "output gate: how much of tanh(c<t>) becomes a<t>",
    "gamma_r": "relevance gate: how much of c<t-1> feeds c̃<t>",
    "c_tilde": "candidate value for the memory cell",
    "z_a": "pre-activation W_aa a<t-1> + W_ax x<t> + b_a",
}


def initial_state(trace, base, direction="", example=0):
    """a<0> (base "a") or c<0> (base "c") of one direction, (n_a,) float64: the state the
    pass started from (zero, or a shipped LM's primed state), kept by the kernel tape."""
    tape = trace.tapes.get(direction) if direction != "bwd" else None
    if tape is None:                     # the backward direction starts from zeros
        return np.zeros(trace.config.n_a)
    v = tape.c0 if base == "c" or not hasattr(tape, "a0") else tape.a0   # GRU: a = c
    return np.asarray(v, dtype=np.float64)[example]


def _dir_key(trace, base, direction):
    key = f"{base}_{direction}" if direction else base
    return key if key in trace.keys() else base


def _node_values(trace, cell, t, unit, example, direction):
    """{node: value} for one unit at step t (0-based)."""
    def get(base, tt):
        if tt < 0:
            return float(initial_state(trace, base, direction, example)[unit])
        return float(trace[_dir_key(trace, base, direction)][unit, example, tt])
    a_key = "c" if cell == "gru" else "a"
    out = {}
    if cell == "lstm":
        out.update(c_prev=get("c", t - 1), c=get("c", t),
                   a_prev=_a(trace, direction, unit, example, t - 1),
                   a=_a(trace, direction, unit, example, t))
        for g in ("gamma_f", "gamma_u", "gamma_o", "c_tilde"):
            out[g] = get(g, t)
    elif cell == "gru":
        out.update(c_prev=get(a_key, t - 1), c=get(a_key, t))
        for g in ("gamma_r", "gamma_u", "c_tilde"):
            out[g] = get(g, t)
    else:
        out.update(a_prev=_a(trace, direction, unit, example, t - 1),
                   a=_a(trace, direction, unit, example, t), z_a=get("z_a", t))
    return out


def _a(trace, direction, unit, example, t):
    if t < 0:
        return float(initial_state(trace, "a", direction, example)[unit])
    key = f"a_{direction}" if direction and f"a_{direction}" in trace.keys() else "a"
    return float(trace[key][unit, example, t])


def _node_text(label, value):
    """Two lines inside the box: the symbol and the value."""
    v = f"{value:+.2f}" if math.isfinite(value) else "NaN"
    return f"{escape_plotly(label)}<br>{v}"


def _ink(colour: str) -> str:
    """Black or white text, whichever reads better on `colour` ('#rrggbb')."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def forward_figure(trace, output_labels, *, unit=0, example=0, direction="", start_t=1,
                   top_k=TOP_Y, max_frames=MAX_FRAMES, frame_ms=450) -> go.Figure:
    """The cell at step t (left), a<t> filling in (top right) and ŷ<t> (bottom right),
    animated over t = 1..T_x by Plotly frames: play, pause and the slider run in the browser.

    unit: the unit whose numbers the diagram shows. direction: "", "fwd" or "bwd" for a
    bidirectional trace. start_t: the step shown before play (1-based). Long sentences are
    decimated to at most `max_frames` frames.
    """
    cfg = trace.config
    cell = cfg.cell
    spec = _DIAGRAMS[cell]
    nodes = spec["nodes"]
    T = trace.T_x
    labels = trace.token_labels()
    x_ids = np.asarray(trace["x"][:, example, :]).argmax(axis=0)
    a_key = f"a_{direction}" if direction and f"a_{direction}" in trace.keys() else "a"
    A = np.asarray(trace[a_key][:, example, :])
    n_a = A.shape[0]
    Y = np.asarray(trace["y_hat"][:, example, :], dtype=np.float64)
    k = int(min(top_k, Y.shape[0]))
    # Probabilities of a random model are ~1/n_y: scale the bars to what they reach.
    finite_y = Y[np.isfinite(Y)]
    p_max = float(min(1.0, max(0.05, 1.2 * (finite_y.max() if finite_y.size else 1.0))))
    frames_t = decimate(T, max_frames)
    start = int(np.clip(start_t, 1, T)) - 1
    if start not in set(frames_t.tolist()):
        frames_t = np.unique(np.append(frames_t, start))

    value_nodes = [n for n, v in nodes.items() if v[2] in ("gate", "state")]
    gate_nodes = [n for n in value_nodes if nodes[n][2] == "gate"]

    # -- static part: edges as arrows, operators as circles, the panel boxes ----------------
    ann, shapes = [], []
    for a, b in spec["edges"]:
        (x0, y0, *_), (x1, y1, *_) = nodes[a], nodes[b]
        ann.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                        showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=1.4,
                        arrowcolor="#9a9a9a", standoff=20, startstandoff=18, text=""))
    for x, y, kind, label in nodes.values():
        if kind == "op":
            shapes.append(dict(type="circle", xref="x", yref="y", x0=x - 0.36, x1=x + 0.36,
                               y0=y - 0.3, y1=y + 0.3, fillcolor="#fff8e1",
                               line=dict(color="#c9a227", width=1.5), layer="above"))
            ann.append(dict(x=x, y=y, xref="x", yref="y", text=escape_plotly(label),
                            showarrow=False, font=dict(size=11 if len(label) > 2 else 15)))
    shapes.append(dict(type="rect", xref="x", yref="y", x0=-0.1, x1=DIAGRAM_W + 0.1,
                       y0=-0.5, y1=DIAGRAM_H + 0.1,
                       line=dict(color="#ddd", width=1), layer="below"))

    # -- per-frame data (plain lists: frames are many small objects) ---------------------------
    # Trace 0: every node of the diagram (value boxes coloured by value, x<t> and ŷ<t> as
    # text); trace 2: the grey cover over the steps not read yet; trace 3: the cursor on
    # (t, unit) and the line at t; trace 4: ŷ<t>'s top-k bars. Trace 1 (a<t>) is static.
    shown = value_nodes + ["x", "y_hat"]
    sizes = [50] * len(value_nodes) + [0, 0]
    node_x = [nodes[n][0] for n in shown]
    node_y = [nodes[n][1] for n in shown]
    gate_set = set(gate_nodes)

    def frame_data(t):
        vals = _node_values(trace, cell, t, unit, example, direction)
        colours = [colour_at(vals[n], 0, 1, SEQUENTIAL) if n in gate_set
                   else colour_at(vals[n], -1, 1, DIVERGING) for n in value_nodes]
        texts = [_node_text(nodes[n][3], vals[n]) for n in value_nodes]
        yt = Y[:, t]
        top = np.argsort(-np.where(np.isfinite(yt), yt, -1))[:k]
        texts.append(f"x&lt;t&gt; = {token_text(labels[t], 10)} (index {int(x_ids[t])})")
        texts.append(f"ŷ&lt;t&gt; top: {token_text(output_labels[top[0]], 8)}"
                     f"<br>p = {yt[top[0]]:.2f}")
        inks = [_ink(c) for c in colours] + ["#1f3a93", "#1f3a93"]
        colours += ["#1f3a93", "#1f3a93"]
        tt = t + 1
        return [
            dict(type="scatter", marker=dict(color=colours, size=sizes), text=texts,
                 textfont=dict(color=inks)),
            dict(type="scatter", x=[tt + 0.5, T + 0.5, T + 0.5, tt + 0.5, tt + 0.5],
                 y=[-0.5, -0.5, n_a - 0.5, n_a - 0.5, -0.5]),
            dict(type="scatter", x=[tt - 0.5, tt + 0.5, tt + 0.5, tt - 0.5, tt - 0.5, None,
                                    tt, tt],
                 y=[unit - 0.5, unit - 0.5, unit + 0.5, unit + 0.5, unit - 0.5, None, -0.5,
                    n_a - 0.5]),
            dict(type="bar", x=[round(float(v), 4) if np.isfinite(v) else 0.0 for v in yt[top]],
                 y=list(range(1, k + 1)),
                 text=[token_text(output_labels[i], 8) for i in top]),
        ]

    first = frame_data(start)
    hover = [f"{escape_plotly(nodes[n][3])}: {escape_plotly(_HOVER.get(n, ''))}"
             for n in value_nodes] + ["the token read at step t", "the most likely class"]
    data = [
        dict(first[0], x=node_x, y=node_y, mode="markers+text", textposition="middle center",
             xaxis="x", yaxis="y", showlegend=False, cliponaxis=False,
             marker=dict(first[0]["marker"], symbol="square", line=dict(color="#555", width=1)),
             customdata=hover, textfont=dict(first[0]["textfont"], size=11),
             hovertemplate="%{customdata}<br>%{text}<extra></extra>"),
        # The a<t> heatmap is static; frames only move the cover and the cursor over it.
        dict(type="heatmap", z=nan_to_none_mask(A), x=list(range(1, T + 1)),
             y=list(range(n_a)), xaxis="x2", yaxis="y2", colorscale=DIVERGING_SCALE, zmid=0,
             zmin=-1 if cfg.activation == "tanh" else None,
             zmax=1 if cfg.activation == "tanh" else None, showscale=False,
             hovertemplate=f"t=%{{x}}<br>unit %{{y}}<br>{sym('a')} = %{{z:.3f}}"
                           "<extra></extra>"),
        dict(first[1], mode="lines", fill="toself", fillcolor="rgba(250,250,250,0.92)",
             line=dict(width=0), xaxis="x2", yaxis="y2", hoverinfo="skip", showlegend=False),
        dict(first[2], mode="lines", xaxis="x2", yaxis="y2", hoverinfo="skip",
             showlegend=False, line=dict(color="#111", width=2)),
        dict(first[3], orientation="h", xaxis="x3", yaxis="y3", showlegend=False,
             textposition="outside", cliponaxis=False, marker=dict(color="#1f77b4"),
             hovertemplate="%{text}: p = %{x:.3f}<extra></extra>"),
    ]
    dynamic = [0, 2, 3, 4]          # the traces the frames update
    frames = [dict(name=str(t + 1), data=frame_data(t), traces=dynamic) for t in frames_t]
    slider_steps = [dict(
        method="animate", label=token_text(labels[t], 4),
        args=[[str(t + 1)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                 transition=dict(duration=0))],
    ) for t in frames_t]
    start_idx = int(np.flatnonzero(frames_t == start)[0])
    tick_idx = decimate(T, 40)
    direction_note = {"fwd": " (forward direction →)", "bwd": " (backward direction ←)"}
    title = (f"{cell.upper()} cell at step t, unit {unit}"
             f"{direction_note.get(direction, '')}: play, pause or drag the slider")
    lay = layout(
        title, 560,
        annotations=ann + [
            dict(text=f"{sym('a')} of every unit: filled up to step t", x=0.6, y=1.0,
                 xref="paper", yref="paper", showarrow=False, xanchor="left",
                 yanchor="bottom", font=dict(size=13)),
            dict(text=f"{sym('y_hat')}: the {k} most likely classes at step t", x=0.6,
                 y=0.37, xref="paper", yref="paper", showarrow=False, xanchor="left",
                 yanchor="bottom", font=dict(size=13)),
        ],
        shapes=shapes,
        xaxis=dict(domain=[0, 0.52], range=[-0.4, DIAGRAM_W + 0.4], visible=False,
                   fixedrange=True),
        yaxis=dict(domain=[0.06, 1], range=[-0.7, DIAGRAM_H + 0.3], visible=False,
                   fixedrange=True),
        xaxis2=dict(domain=[0.6, 1], anchor="y2", range=[0.5, T + 0.5], tickmode="array",
                    tickvals=[int(i) + 1 for i in tick_idx],
                    ticktext=[token_text(labels[i], 4) for i in tick_idx], tickangle=0),
        yaxis2=dict(domain=[0.52, 0.98], anchor="x2", autorange="reversed",
                    title=dict(text="unit")),
        xaxis3=dict(domain=[0.65, 0.96], anchor="y3", range=[0, p_max], tickformat=".0%",
                    title=dict(text="probability")),
        yaxis3=dict(domain=[0.08, 0.36], anchor="x3", autorange="reversed", tickmode="array",
                    tickvals=list(range(1, k + 1)), ticktext=[f"#{i}" for i in range(1, k + 1)]),
        margin=dict(l=20, r=20, t=50, b=20),
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=-0.02, xanchor="left", yanchor="top",
            pad=dict(r=8, t=8), showactive=False,
            buttons=[
                # From the step shown: Plotly only knows a "current" frame once one has
                # been played, so the list starts at start_t (fromcurrent continues after
                # a slider drag within it).
                dict(label="▶ Play", method="animate",
                     args=[[str(t + 1) for t in frames_t if t >= start],
                           dict(frame=dict(duration=frame_ms, redraw=True),
                                transition=dict(duration=0), fromcurrent=True,
                                mode="immediate")]),
                dict(label="❚❚ Pause", method="animate",
                     args=[[None], dict(frame=dict(duration=0, redraw=False),
                                        transition=dict(duration=0), mode="immediate")]),
            ],
        )],
        sliders=[dict(
            active=start_idx, steps=slider_steps, x=0.14, len=0.86, y=-0.02, yanchor="top",
            pad=dict(t=8, b=4), currentvalue=dict(prefix="t = ", visible=False),
            transition=dict(duration=0), font=dict(size=10),
        )],
    )
    fig = figure(data, lay, frames)
    return fig


# -- equations -------------------------------------------------------------------------------


def _num(v: float) -> str:
    return f"{v:.3f}" if math.isfinite(v) else r"\mathrm{NaN}"


def _paren(v: float) -> str:
    s = _num(v)
    return f"({s})" if v < 0 else s


_LATEX_TEXT = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
               "#": r"\#", "_": r"\_", "%": r"\%", "^": r"\textasciicircum{}",
               "~": r"\textasciitilde{}"}


def latex_token(tok: str) -> str:
    """A token for \\text{...} in KaTeX: ASCII with LaTeX's specials escaped; anything else
    (accents, emoji, RTL, controls) as U+XXXX so KaTeX never meets an unknown glyph."""
    out = []
    for ch in visible_token(tok)[:12]:
        if ch in _LATEX_TEXT:
            out.append(_LATEX_TEXT[ch])
        elif ch.isascii() and ch.isprintable():
            out.append(ch)
        elif ch in "␣↵⇥":
            out.append({"␣": r"\textvisiblespace{}", "↵": r"\backslash n",
                        "⇥": r"\backslash t"}[ch].replace(r"\backslash", r"\textbackslash{}"))
        else:
            out.append(f"U+{ord(ch):04X}")
    return "".join(out) or "?"


_FN = {"sigmoid": "\\sigma", "tanh": "\\tanh", "relu": r"\mathrm{ReLU}"}


class _Numbers(string.Formatter):
    """Fills a cell's LaTeX update lines (`cell.updates`, rnnviz.core.recurrent) with one
    unit's numbers: {key} is the trace's value at step t ({c_prev}: c<t-1>), {key:p} puts a
    negative number in parentheses, {key:1-} writes 1 - value, {j} is the unit."""

    def __init__(self, q, j):
        self.q, self.j = q, j

    def get_value(self, key, args, kwargs):
        if key == "j":
            return str(self.j)
        if key.endswith("_prev"):
            return self.q(key[:-len("_prev")], 1)
        return self.q(key)

    def format_field(self, value, spec):
        if isinstance(value, str):
            return value
        if spec == "p":
            return _paren(value)
        return _num(1 - value) if spec == "1-" else _num(value)


def _terms(model, params, key, h_prev, r, x, unit):
    """(recurrent, input, bias) parts of z for row `unit` of gate `key`, from the cell object:
    the same named quantities its forward pass computes."""
    return model.cell.terms(params, key, h_prev, r, x, unit)


def equation_lines(model, trace, t, unit, *, example=0, direction="", output_labels=None,
                   layer=None):
    """The seed's equations of the model's cell at step t (1-based) for one unit, with the
    numbers filled in. Returns a list of LaTeX strings (one equation each).

    Each pre-activation is split into its three parts, W_{·a}a<t-1> (from memory),
    W_{·x}x<t> (from the input: x<t> is one-hot, so this is one column of W_{·x}) and the
    bias, so a learner can see which one drives the gate. The lines are the cell object's
    named gates (symbol, weights, what they read) in the notes' order, then its state update.
    layer: which layer of a stacked model (1-based; default the top, the trace's unprefixed
    keys); above the first, the input is the layer below's a^[l-1]<t> instead of x<t>.
    """
    cfg = model.config
    cell = model.cell
    T = trace.T_x
    t0 = int(np.clip(t, 1, T)) - 1
    direction = direction if cfg.bidirectional else ""
    layer = layer or trace.layer_index or cfg.layers
    params = model.cell_params(direction, layer)
    x_id = int(np.asarray(trace["x"][:, example, t0]).argmax())
    tok = latex_token(trace.token_labels()[t0])
    below = trace.layer(layer - 1)["a"][:, example, t0] if layer > 1 else None
    x_in = x_id if below is None else np.asarray(below, dtype=np.float64)
    x_sym = "x^{<t>}" if below is None else f"a^{{[{layer - 1}]<t>}}"
    if layer != (trace.layer_index or trace.layers):
        trace = trace.layer(layer)

    # "previous" is t-1, or t+1 for the backward direction (it reads x<T_x> first)
    to_prev = -1 if direction != "bwd" else 1

    def q(base, dt=0):
        tt = t0 + to_prev * dt
        if not 0 <= tt < T:
            return float(initial_state(trace, base, direction, example)[unit])
        key = f"{base}_{direction}" if direction else base
        return float(trace[key][unit, example, tt])

    def vec(base, tt):
        key = f"{base}_{direction}" if direction else base
        return np.asarray(trace[key][:cfg.n_a, example, tt], dtype=np.float64)

    # the state every gate reads at step t: a<t-1> (= c<t-1> in the GRU)
    t_prev = t0 + to_prev
    h_prev = (vec("a", t_prev) if 0 <= t_prev < T
              else initial_state(trace, "a", direction, example))
    r = vec("gamma_r", t0) if "gamma_r" in (g.key for g in cell.gates) else None
    j = unit
    unk = r"\ (\text{<UNK>})" if x_id == 0 else ""
    lines = [rf"x^{{<{t0 + 1}>}} = \text{{one-hot}}(\text{{`{tok}'}}){unk},\ \text{{index }}{x_id}"
             rf"\quad\Rightarrow\quad W_{{\cdot x}}\,x^{{<t>}} = \text{{column }}{x_id}"
             rf"\text{{ of }}W_{{\cdot x}}"]
    if below is not None:
        lines = [rf"\text{{layer }}{layer}\text{{ reads }}{x_sym}\text{{, the states of layer }}"
                 rf"{layer - 1}\text{{, in place of }}x^{{<t>}}"]
    for key in cell.display:
        gate = cell.gate(key)
        ra, rx, rb = _terms(model, params, key, h_prev, r, x_in, j)
        fn, g = _FN[gate.fn], gate.sub
        lines.append(rf"{gate.latex.format(j=j)} = {fn}(\underbrace{{{_num(ra)}}}"
                     rf"_{{{gate.recurrent_latex}}}"
                     rf" + \underbrace{{{_num(rx)}}}_{{W_{{{g}x}}{x_sym}}}"
                     rf" + \underbrace{{{_num(rb)}}}_{{b_{g}}}) = {fn}({_num(ra + rx + rb)})"
                     rf" = {_num(q(key))}")
    numbers = _Numbers(q, j)
    lines += [numbers.format(line) for line in cell.updates]
    if not cfg.bidirectional:
        y = np.asarray(trace["y_hat"][:, example, t0], dtype=np.float64)
        top = int(np.argmax(np.where(np.isfinite(y), y, -1)))
        name = latex_token(output_labels[top]) if output_labels is not None else str(top)
        lines.append(rf"\hat{{y}}^{{<t>}} = \mathrm{{softmax}}(W_y\,a^{{<t>}} + b_y):\ "
                     rf"\text{{most likely `{name}' with }}p = {_num(y[top])}")
    return lines


def shape_rows(config, T_x, m=1) -> list[dict]:
    """Every array of one step and of the whole sequence, in the seed's layout."""
    n_a, n_x, n_y = config.n_a, config.n_x, config.n_y
    d = 2 if config.bidirectional else 1
    rows = [
        dict(array="x<t>", shape=f"(n_x, m) = ({n_x}, {m})", meaning="one-hot input at step t"),
        dict(array="a<t-1>, a<t>", shape=f"(n_a, m) = ({n_a}, {m})",
             meaning="hidden state" + (" per direction" if d == 2 else "")),
        dict(array="[a<t-1>; x<t>]", shape=f"(n_a + n_x, m) = ({n_a + n_x}, {m})",
             meaning="stacked vertically"),
    ]
    if config.cell == "rnn":
        rows.append(dict(array="W_a = [W_aa | W_ax]", shape=f"(n_a, n_a + n_x) = ({n_a}, "
                         f"{n_a + n_x})", meaning="recurrent and input weights side by side"))
    else:
        gates = "W_f, W_u, W_o, W_c" if config.cell == "lstm" else "W_u, W_r, W_c"
        rows.append(dict(array=gates, shape=f"(n_a, n_a + n_x) = ({n_a}, {n_a + n_x}) each",
                         meaning="one matrix per gate, acting on [a<t-1>; x<t>]"))
        rows.append(dict(array="Γ<t>, c̃<t>, c<t>", shape=f"(n_a, m) = ({n_a}, {m})",
                         meaning="gates are element-wise (one value per unit)"))
    rows += [
        dict(array="W_y", shape=f"(n_y, {'2 ' if d == 2 else ''}n_a) = ({n_y}, {d * n_a})",
             meaning="output weights"),
        dict(array="ŷ<t>", shape=f"(n_y, m) = ({n_y}, {m})", meaning="softmax over classes"),
        dict(array="a (all steps)", shape=f"(n_a, m, T_x) = ({d * n_a}, {m}, {T_x})",
             meaning="what the heatmap shows"),
    ]
    return rows


__all__ = ["forward_figure", "equation_lines", "shape_rows"]
