"""Arrows for the diagrams (Forward pass, Types of RNNs, the Bidirectional sweep)."""

from __future__ import annotations

import math

import numpy as np

ARROW_HEAD_PX = 9


def arrows(x, y, colour: str, *, name: str = "arrows", width: float = 1.4,
           standoff=None) -> dict:
    """Arrows as one scatter trace: `x`, `y` hold each arrow's start, end and None (a gap);
    the end carries an arrowhead (Plotly's "arrow" marker, whose tip is the point) turned
    from the start towards the end. Cheaper to redraw than a layout annotation per arrow
    (~1 ms each in every `Plotly.react`).

    Without `standoff` the angle is taken in data units: the screen angle when the axes
    share one scale or the arrow is horizontal or vertical. With `standoff` (pixels, one per
    arrow) Plotly turns each head along its segment on screen (angleref "previous"), on any
    axes, and stands its tip that far back from the end (for an end inside a marker)."""
    n = len(x) // 3
    size = [0, ARROW_HEAD_PX, 0] * n
    if standoff is None:                                    # angles clockwise from up
        head = dict(angle=[a for i in range(0, len(x), 3) for a in (
            0, round(float(np.degrees(np.arctan2(x[i + 1] - x[i], y[i + 1] - y[i]))), 2), 0)])
    else:
        head = dict(angleref="previous", standoff=[v for s in standoff for v in (0, s, 0)])
    return dict(type="scatter", x=list(x), y=list(y), mode="lines+markers", name=name,
                line=dict(color=colour, width=width),
                marker=dict(symbol="arrow", size=size, color=colour, line=dict(width=0),
                            **head),
                hoverinfo="skip", showlegend=False)


def inset(x0, y0, x1, y1, start: float = 0.0, end: float = 0.0) -> tuple:
    """The segment (x0, y0) -> (x1, y1) shortened along itself by `start` at its start and
    `end` at its end (data units): an arrow that stops short of a box or a label."""
    d = math.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / d, (y1 - y0) / d
    return x0 + start * ux, y0 + start * uy, x1 - end * ux, y1 - end * uy
