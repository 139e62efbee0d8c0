"""Figures of the Forward-pass page: the cell of each architecture, step by step.

* `forward_figure`   one animated figure (Plotly frames, played in the browser): the cell
                     diagram whose gates show their values at step t for one unit, the a<t>
                     heatmap filling in as t advances, and ŷ<t>'s most likely classes.
* `equation_lines`   the seed's equations with the numbers of one unit at step t (LaTeX):
                     in `forward_equations`, re-exported here.
* `shape_rows`       the shape of every array in the seed's layout: in `forward_shapes`.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from rnnviz.figures.animation import (
    animation_controls,
    controls_below,
    label_band_px,
    static_layout,
)
from rnnviz.figures.arrows import arrows
from rnnviz.figures.axes import step_ticks
from rnnviz.figures.colours import DIVERGING, DIVERGING_SCALE, SEQUENTIAL, colour_at, ink
from rnnviz.figures.figure import decimate, figure, layout, nan_to_none_mask
from rnnviz.figures.forward_equations import (  # noqa: F401  (re-exported)
    LATEX_TOKEN_MACROS,
    equation_lines,
    initial_state,
    latex_token,
)
from rnnviz.figures.forward_shapes import shape_rows  # noqa: F401  (re-exported)
from rnnviz.figures.safe_text import escape_plotly, sym, token_text

MAX_FRAMES = 300
TOP_Y = 8
PANEL_TOP = 0.38         # the a<t> and ŷ<t> panels' titles (paper y), under the diagram

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
            "c": (11.2, 6.2, "state", "c<t>"),
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
        # Labels outside the boxes: (x, y) of each, in diagram units.
        "notes": {"c<t> = a<t> (the GRU's state)": (11.2, 6.98)},
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


# Half width and half height of a node's box in diagram units (y is scaled like x). State
# boxes are wider: "c<t-1>" and "+0.64" must fit at a 1024 px wide screen (~25 px a unit).
BOX_HALF = {"gate": (0.62, 0.5), "state": (0.8, 0.5), "op": (0.36, 0.36),
            "input": (0.3, 0.25), "output": (0.3, 0.3)}
NARROW_STATES = {"c_tilde"}          # between two gates: a gate's width
OP_R = 0.36
EDGE_COLOUR = "#9a9a9a"
NODE_FONT = 10


def box_half(name: str, node) -> tuple[float, float]:
    """(half width, half height) of a node's box in diagram units."""
    kind = node[2]
    return BOX_HALF["gate" if name in NARROW_STATES else kind]


def _box_outline(name, node) -> tuple[list[float], list[float]]:
    x, y = node[:2]
    w, h = box_half(name, node)
    return [x - w, x + w, x + w, x - w, x - w], [y - h, y - h, y + h, y + h, y - h]


def _edge(name, node, tx, ty, gap=0.06) -> tuple[float, float]:
    """Where the segment from a node's centre towards (tx, ty) leaves its box (plus a gap):
    arrows start and end at the boxes' edges whatever the screen width."""
    x, y = node[:2]
    w, h = box_half(name, node)
    dx, dy = tx - x, ty - y
    if dx == 0 and dy == 0:
        return x, y
    s = min(w / abs(dx) if dx else np.inf, h / abs(dy) if dy else np.inf)
    s += gap / math.hypot(dx, dy)
    return x + s * dx, y + s * dy


def forward_figure(trace, output_labels, *, unit=0, example=0, direction="", start_t=1,
                   top_k=TOP_Y, max_frames=MAX_FRAMES, frame_ms=450,
                   animate=True) -> go.Figure:
    """The cell at step t (left), a<t> filling in (top right) and ŷ<t> (bottom right),
    animated over t = 1..T_x by Plotly frames: play, pause and the slider run in the browser
    (animate=False: the figure of step start_t alone, for a page that owns the step).

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
    start = int(np.clip(start_t, 1, T)) - 1
    # The steps with a frame (animate=False: step start_t alone; every frame costs ~0.3 ms)
    frames_t = decimate(T, max_frames) if animate else np.array([start])
    if start not in set(frames_t.tolist()):
        frames_t = np.unique(np.append(frames_t, start))

    value_nodes = [n for n, v in nodes.items() if v[2] in ("gate", "state")]
    gate_nodes = [n for n in value_nodes if nodes[n][2] == "gate"]

    # -- static part: edges as arrows, operators as circles, the panel boxes ----------------
    # The diagram lives in data coordinates with y scaled like x (scaleanchor), and its
    # boxes are drawn in those coordinates too: at any width the boxes keep their size
    # relative to their spacing, so they cannot grow into each other.
    # The edges are one trace (`arrows`): a Plotly annotation per arrow cost ~1 ms of every
    # redraw each.
    ann, shapes = [], []
    edge_x, edge_y = [], []
    for a, b in spec["edges"]:
        (x0, y0, *_), (x1, y1, *_) = nodes[a], nodes[b]
        sx, sy = _edge(a, nodes[a], x1, y1)
        ex, ey = _edge(b, nodes[b], x0, y0)
        edge_x += [sx, ex, None]
        edge_y += [sy, ey, None]
    edges = arrows(edge_x, edge_y, EDGE_COLOUR, name="edges")
    for x, y, kind, label in nodes.values():
        if kind == "op":
            shapes.append(dict(type="circle", xref="x", yref="y", x0=x - OP_R, x1=x + OP_R,
                               y0=y - OP_R, y1=y + OP_R, fillcolor="#fff8e1",
                               line=dict(color="#c9a227", width=1.5), layer="above"))
            ann.append(dict(x=x, y=y, xref="x", yref="y", text=escape_plotly(label),
                            showarrow=False, font=dict(size=9 if len(label) > 2 else 14)))
    for text, (x, y) in spec.get("notes", {}).items():
        ann.append(dict(x=x, y=y, xref="x", yref="y", text=escape_plotly(text),
                        showarrow=False, font=dict(size=10, color="#555")))
    shapes.append(dict(type="rect", xref="x", yref="y", x0=-0.1, x1=DIAGRAM_W + 0.1,
                       y0=-0.5, y1=DIAGRAM_H + 0.1,
                       line=dict(color="#ddd", width=1), layer="below"))

    # -- per-frame data (plain lists: frames are many small objects) ---------------------------
    # Traces in drawing order: one filled box per value node (coloured by its value), the
    # a<t> heatmap (static), the grey cover over the steps not read yet, the cursor on
    # (t, unit) and the line at t, ŷ<t>'s top-k bars, and last, on top of the boxes, the
    # text of every node (value boxes, x<t> and ŷ<t>). A frame lists the text first.
    shown = value_nodes + ["x", "y_hat"]
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
        inks = [ink(c) for c in colours] + ["#1f3a93", "#1f3a93"]
        tt = t + 1
        return [
            dict(type="scatter", text=texts, textfont=dict(color=inks)),
            dict(type="scatter", x=[tt + 0.5, T + 0.5, T + 0.5, tt + 0.5, tt + 0.5],
                 y=[-0.5, -0.5, n_a - 0.5, n_a - 0.5, -0.5]),
            dict(type="scatter", x=[tt - 0.5, tt + 0.5, tt + 0.5, tt - 0.5, tt - 0.5, None,
                                    tt, tt],
                 y=[unit - 0.5, unit - 0.5, unit + 0.5, unit + 0.5, unit - 0.5, None, -0.5,
                    n_a - 0.5]),
            dict(type="bar", x=[round(float(v), 4) if np.isfinite(v) else 0.0 for v in yt[top]],
                 y=list(range(1, k + 1)),
                 text=[token_text(output_labels[i], 8) for i in top]),
        ] + [dict(type="scatter", fillcolor=c) for c in colours]

    first = frame_data(start)
    hover = [f"{escape_plotly(nodes[n][3])}: {escape_plotly(_HOVER.get(n, ''))}"
             for n in value_nodes] + ["the token read at step t", "the most likely class"]
    boxes = []
    for i, n in enumerate(value_nodes):
        bx, by = _box_outline(n, nodes[n])
        boxes.append(dict(first[4 + i], x=bx, y=by, mode="lines", fill="toself", xaxis="x",
                          yaxis="y", line=dict(color="#555", width=1), hoverinfo="skip",
                          showlegend=False, name=f"box {n}"))
    data = [
        *boxes,
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
        dict(first[0], x=node_x, y=node_y, mode="markers+text", textposition="middle center",
             xaxis="x", yaxis="y", showlegend=False, cliponaxis=False, name="node labels",
             marker=dict(size=24, color="rgba(0,0,0,0)"),
             customdata=hover, textfont=dict(first[0]["textfont"], size=NODE_FONT),
             hovertemplate="%{customdata}<br>%{text}<extra></extra>"),
        edges,
    ]
    nb = len(boxes)                 # the indices of the traces each frame updates, in its order
    dynamic = [nb + 4, nb + 1, nb + 2, nb + 3, *range(nb)]
    frames = [dict(name=str(t + 1), data=first if t == start else frame_data(t), traces=dynamic)
              for t in frames_t]
    slider_steps = [dict(
        method="animate", label=str(t + 1),
        args=[[str(t + 1)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                 transition=dict(duration=0))],
    ) for t in frames_t]
    start_idx = int(np.flatnonzero(frames_t == start)[0])
    direction_note = {"fwd": " (forward direction →)", "bwd": " (backward direction ←)"}
    title = (f"{cell.upper()} cell at step t, unit {unit}"
             f"{direction_note.get(direction, '')}: play, pause or drag the slider")
    # The diagram over the whole width on top (at 1024 px a unit is ~38 px, so every value
    # label fits its box), a<t> and ŷ<t> side by side below it.
    xaxis3 = dict(domain=[0.68, 0.98], anchor="y3", range=[0, p_max], tickformat=".0%",
                  title=dict(text="probability"))
    heat_x = step_ticks(labels, max_ticks=30)
    if "title" in heat_x:          # short ("every 2nd step labelled"), under its own panel
        heat_x["title"] = dict(text=heat_x["title"]["text"].split(" (")[0], standoff=4)
    height, top_px = 760, 50
    y_controls, bottom = controls_below(height, top_px, max(label_band_px(xaxis3),
                                                            label_band_px(heat_x)))
    lay = layout(
        title, height,
        annotations=ann + [
            # short: the right-hand panels get ~40 % of a chart that may be 640 px wide
            dict(text=f"{sym('a')}, every unit, up to step t", x=0, y=PANEL_TOP,
                 xref="paper", yref="paper", showarrow=False, xanchor="left",
                 yanchor="bottom", font=dict(size=13)),
            dict(text=f"{sym('y_hat')}: top {k} at step t", x=0.62,
                 y=PANEL_TOP, xref="paper", yref="paper", showarrow=False, xanchor="left",
                 yanchor="bottom", font=dict(size=13)),
        ],
        shapes=shapes,
        xaxis=dict(domain=[0, 1], range=[-0.4, DIAGRAM_W + 0.4], visible=False,
                   fixedrange=True, constrain="domain"),
        yaxis=dict(domain=[0.46, 1], range=[-0.7, DIAGRAM_H + 0.3], visible=False,
                   fixedrange=True, scaleanchor="x", scaleratio=1, constrain="domain"),
        # The heatmap covers its panel: no grid lines under it (~3 ms of every redraw).
        xaxis2=dict(heat_x, domain=[0, 0.54], anchor="y2",
                    range=[0.5, T + 0.5], showgrid=False),
        yaxis2=dict(domain=[0, PANEL_TOP - 0.02], anchor="x2", autorange="reversed",
                    title=dict(text="unit"), showgrid=False),
        xaxis3=xaxis3,
        yaxis3=dict(domain=[0, PANEL_TOP - 0.02], anchor="x3", autorange="reversed",
                    tickmode="array", tickvals=list(range(1, k + 1)),
                    ticktext=[f"#{i}" for i in range(1, k + 1)]),
        margin=dict(l=50, r=20, t=top_px, b=bottom),
        # Play runs from the step shown: Plotly only knows a "current" frame once one has
        # been played, so the list starts at start_t (fromcurrent continues after a drag).
        **animation_controls("▶ Play", [str(t + 1) for t in frames_t if t >= start],
                             slider_steps, start_idx, y=y_controls, frame_ms=frame_ms,
                             slider_x=0.14),
    )
    if not animate:                 # step t is the page's: no frames, no controls of its own
        return figure(data, static_layout(
            lay, f"{cell.upper()} cell at step t = {start + 1}, unit {unit}"
                 f"{direction_note.get(direction, '')}"), compact=True)
    return figure(data, lay, frames, compact=True)


# -- equations -------------------------------------------------------------------------------


__all__ = ["forward_figure", "equation_lines", "shape_rows"]
