"""Animated figures: Plotly's own Play button and slider placed under the plot, or taken off
for a page whose step counter plays the frames (`played_by_the_page`)."""

from __future__ import annotations

import plotly.graph_objects as go

from rnnviz.figures.figure import Figure, figure

# The Play/Pause buttons and the slider sit under the plot, below the tick
# labels of its bottom axis (never on top of them). Heights in pixels.
TICK_LABELS_PX = 24      # one row of tick labels at tickangle 0
TILTED_LABELS_PX = 54    # tick labels at -60°, up to ~6 characters
AXIS_TITLE_PX = 22
CONTROLS_PX = 80         # buttons and slider (with its step labels and padding)


def label_band_px(axis: dict) -> int:
    """How far below an x axis its tick labels and title reach, in pixels."""
    if axis.get("visible") is False:
        return 0
    band = 0
    if axis.get("showticklabels", True):
        band = TICK_LABELS_PX if not axis.get("tickangle") else TILTED_LABELS_PX
    if axis.get("title"):
        band += AXIS_TITLE_PX
    return band


def controls_below(height: int, top: int, band_px: int) -> tuple[float, int]:
    """(y in paper units, bottom margin) for an animation's buttons and slider: their top
    `band_px` below the plot area (under the bottom axis' labels), all inside the margin."""
    bottom = band_px + CONTROLS_PX
    return -band_px / (height - top - bottom), bottom


def animation_controls(play_label: str, play: list[str], steps: list[dict], active: int, *,
                       y: float, frame_ms: int, slider_x: float) -> dict:
    """Layout entries `updatemenus` and `sliders` of an animation: ▶ plays the frames named
    in `play` from the one shown (fromcurrent), ❚❚ pauses; the slider (`steps`) jumps."""
    animate = dict(transition=dict(duration=0), mode="immediate")
    return dict(
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=y, xanchor="left", yanchor="top",
            pad=dict(r=8, t=8), showactive=False,
            buttons=[
                dict(label=play_label, method="animate",
                     args=[play, dict(animate, frame=dict(duration=frame_ms, redraw=True),
                                      fromcurrent=True)]),
                dict(label="❚❚ Pause", method="animate",
                     args=[[None], dict(animate, frame=dict(duration=0, redraw=False))]),
            ],
        )],
        sliders=[dict(active=active, steps=steps, x=slider_x, len=1 - slider_x, y=y,
                      yanchor="top", pad=dict(t=8, b=4), currentvalue=dict(visible=False),
                      transition=dict(duration=0), font=dict(size=10))],
    )


def static_layout(lay: dict, title: str) -> dict:
    """An animation's layout without its own Play button and slider (and their margin), for
    a page whose widgets own the step shown."""
    lay = {k: v for k, v in lay.items() if k not in ("updatemenus", "sliders")}
    bottom = lay.get("margin", {}).get("b", 20)
    lay["margin"] = dict(lay.get("margin", {}), b=max(20, bottom - CONTROLS_PX))
    lay["height"] = lay["height"] - (bottom - lay["margin"]["b"])
    lay["title"] = dict(lay.get("title", {}), text=title)
    return lay


def played_by_the_page(fig: go.Figure, title: str) -> go.Figure:
    """An animation whose frames the page's step counter plays in the browser (the chart
    element steps them; no script run per step): the same traces and frames, without
    Plotly's own Play button and slider, titled `title`. Returns a new figure."""
    lay = static_layout(fig.layout.to_plotly_json(), title)
    frames = fig.raw_frames if isinstance(fig, Figure) else [f.to_plotly_json() for f in fig.frames]
    return figure([t.to_plotly_json() for t in fig.data], lay, frames, compact=True)


def frame_names(fig: go.Figure) -> list[str]:
    """The names of an animation's frames, in order (the steps t of a page's stepped chart)."""
    frames = fig.raw_frames if isinstance(fig, Figure) else [f.to_plotly_json() for f in fig.frames]
    return [str(f["name"]) for f in frames]
