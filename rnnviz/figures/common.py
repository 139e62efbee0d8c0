"""What every figure shares: escaping, the course's symbols as Plotly text, colours, layout.

Plotly draws text through a small HTML-like markup (``<br>``, ``<b>``, ``<a href>``), so the
course's ``a<t>`` would vanish as an unknown tag and user text could add links or styling.
Every string that reaches a figure goes through `plotly_text` (symbols, tokens) first.
Numbers are sent as float32 (half the bytes of float64; plenty for a colour or a hover).
"""

from __future__ import annotations

import base64
import copy
import unicodedata

import numpy as np
import plotly.graph_objects as go
from _plotly_utils.utils import convert_to_base64

from rnnviz.core.trace import symbol as _symbol

# Colours. Diverging (centred at 0) for a<t>, c<t>, c̃<t> and gradients; sequential in [0, 1]
# for gates. Architectures keep one colour each on every page.
DIVERGING = "RdBu_r"        # name used by colour_at; figures send the explicit list below
SEQUENTIAL = "Viridis"
PROBABILITY = [[0.0, "#f7fbff"], [0.25, "#c6dbef"], [0.5, "#6baed6"], [0.75, "#2171b5"],
               [1.0, "#08306b"]]               # 0 white, 1 dark blue
ACCENT = "#d62728"      # the drawn character, the current step, the chosen answer
BASE = "#7f9cc7"        # every other bar
SERIES = ("#1f77b4", "#ff7f0e")   # sentence A, sentence B
ARCH_COLORS = {"RNN": "#d62728", "GRU": "#2ca02c", "LSTM": "#1f77b4"}
QUANTITY_COLORS = {
    "a": "#1f77b4", "c": "#9467bd", "c_tilde": "#8c564b",
    "gamma_f": "#d62728", "gamma_u": "#2ca02c", "gamma_o": "#ff7f0e", "gamma_r": "#e377c2",
    "z_a": "#7f7f7f",
}  # fmt: skip
# Gates are sigmoids: always in [0, 1]. Everything else is centred at 0.
GATE_KEYS = ("gamma_f", "gamma_u", "gamma_o", "gamma_r")
FONT = dict(family="Inter, 'Source Sans Pro', 'DejaVu Sans', sans-serif", size=13)

# Visible stand-ins for characters that would otherwise print as nothing.
_VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


_VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
            "#6ece58", "#b5de2b", "#fde725"]
_RDBU_R = ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7",
           "#f4a582", "#d6604d", "#b2182b", "#67001f"]


# Explicit colour lists: a named scale can be re-mapped by the app's Plotly theme.
DIVERGING_SCALE = [[i / (len(_RDBU_R) - 1), c] for i, c in enumerate(_RDBU_R)]
SEQUENTIAL_SCALE = [[i / (len(_VIRIDIS) - 1), c] for i, c in enumerate(_VIRIDIS)]


def scale_colour(scale, value: float, lo: float = 0.0, hi: float = 1.0) -> str:
    """The '#rrggbb' of `value` on a colour scale [[position, '#rrggbb'], ...] spanning
    [lo, hi] (clipped), interpolated as Plotly does; NaN is grey."""
    if not np.isfinite(value):
        return "#9e9e9e"
    f = float(np.clip((value - lo) / (hi - lo), 0.0, 1.0))
    pos = [p for p, _ in scale]
    i = min(max(int(np.searchsorted(pos, f, side="right")) - 1, 0), len(scale) - 2)
    w = (f - pos[i]) / (pos[i + 1] - pos[i]) if pos[i + 1] > pos[i] else 0.0
    c0 = [int(scale[i][1][k:k + 2], 16) for k in (1, 3, 5)]
    c1 = [int(scale[i + 1][1][k:k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(a + (b - a) * w):02x}" for a, b in zip(c0, c1, strict=True))


def colour_at(value: float, lo: float = -1.0, hi: float = 1.0, scale: str = DIVERGING) -> str:
    """The colour of `value` on the app's diverging (RdBu_r) or sequential (Viridis) scale,
    as '#rrggbb' (for markers whose colours are computed per frame). NaN is grey."""
    sequential = scale in (SEQUENTIAL, SEQUENTIAL_SCALE)
    return scale_colour(SEQUENTIAL_SCALE if sequential else DIVERGING_SCALE, value, lo, hi)


def _luminance(colour: str) -> float:
    """WCAG relative luminance of '#rrggbb'."""
    def lin(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(int(colour[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ink(colour: str) -> str:
    """Black or white text, whichever contrasts more with `colour` ('#rrggbb'): the
    WCAG contrast ratio of the better one is always at least 4.58."""
    lum = _luminance(colour)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def escape_plotly(s: str) -> str:
    """Escape Plotly's markup characters: `&`, `<`, `>` become entities."""
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def visible_char(ch: str) -> str:
    """A printable stand-in for one code point: "␣" for a space, "U+202E" for a bidi control."""
    if ch in _VISIBLE:
        return _VISIBLE[ch]
    cat = unicodedata.category(ch) if len(ch) == 1 else ""
    # Control, format (bidi overrides, zero-width joiners), separators, unassigned, surrogates.
    if cat in ("Cc", "Cf", "Zl", "Zp", "Cn", "Cs", "Co"):
        return f"U+{ord(ch):04X}"
    return ch


def visible_token(tok: str) -> str:
    """A token with every invisible or direction-changing character made visible."""
    if tok.startswith("<") and tok.endswith(">") and len(tok) > 2:    # <UNK>, <EOS>
        return tok
    if tok.startswith("⟨") and tok.endswith("⟩"):
        return tok
    return "".join(visible_char(ch) for ch in tok) if tok else "∅"


def plotly_text(s: str, max_len: int | None = None) -> str:
    """Any text for a Plotly label, title or hover: escaped, cut to `max_len` with "…"."""
    s = str(s)
    if max_len is not None and len(s) > max_len:
        s = s[: max_len - 1] + "…"
    return escape_plotly(s)


def printable(text: str) -> str:
    """Text for a plain-text block: newlines and tabs kept, every other control or format
    character (NUL, bidi overrides, zero-width joiners...) shown as ⟨U+XXXX⟩, so it can
    neither vanish nor reorder what follows it."""
    return "".join(c if c in "\n\t" or len(visible_char(c)) == 1 else f"⟨{visible_char(c)}⟩"
                   for c in text)


def char_labels(chars, max_len: int = 12) -> list[str]:
    """Characters (or special tokens) as safe, visible Plotly labels."""
    return [plotly_text(visible_char(c) if len(c) == 1 else c, max_len) for c in chars]


def token_text(tok: str, max_len: int = 12) -> str:
    """A token as a short Plotly label (visible, escaped, long words cut with …)."""
    v = visible_token(tok)
    if len(v) > max_len:
        v = v[: max_len - 1] + "…"
    return escape_plotly(v)


def sym(key: str) -> str:
    """The course's symbol of a trace key, ready for Plotly ('a' -> 'a&lt;t&gt;')."""
    return escape_plotly(_symbol(key))


def unit_rgba(value: float, vmax: float) -> str:
    """Karpathy's colours for text painted by one unit: blue below 0, red above, white at 0
    (opacity |value| / vmax); grey for inf/NaN."""
    if not np.isfinite(value):
        return "rgba(128,128,128,0.6)"
    v = float(np.clip(value / vmax, -1.0, 1.0)) if vmax > 0 else 0.0
    return f"rgba(214,39,40,{v:.3f})" if v >= 0 else f"rgba(31,119,180,{-v:.3f})"


def html_piece(text: str) -> str:
    """Escaped HTML of a run of user text (`escape_all`), a newline as ↵ and a line break,
    every other invisible character as a small badge (U+202E...)."""
    out = []
    for ch in text:
        vis = visible_char(ch)
        if ch == "\n":
            out.append(f"{escape_all('↵')}<br>")
        elif vis != ch and len(vis) > 1:
            out.append(f"<span style='font-size:0.7em;border:1px solid #999;border-radius:3px;"
                       f"padding:0 2px'>{escape_all(vis)}</span>")
        else:
            out.append(escape_all(ch))
    return "".join(out)


def escape_all(text: str) -> str:
    """Every character as a numeric HTML entity: safe inside HTML *and* Markdown.

    Markdown would read `*`, `_`, `$`, `:` or backticks as formatting even between HTML tags;
    an entity is only ever the literal character.
    """
    return "".join(f"&#{ord(ch)};" for ch in text)


def f32(a) -> np.ndarray:
    """A contiguous float32 copy (what figures send to the browser)."""
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32))


def decimate(n: int, max_points: int) -> np.ndarray:
    """Indices 0..n-1 thinned to at most `max_points` evenly spaced ones (the last kept)."""
    if n <= max_points:
        return np.arange(n)
    idx = np.unique(np.linspace(0, n - 1, max_points).round().astype(int))
    return idx


def step_categories(labels, t_index=None) -> list[str]:
    """Unique category labels 't=3 ‘e’' for the time axis (hover shows the token too)."""
    t_index = range(len(labels)) if t_index is None else t_index
    return [f"t={t + 1} {token_text(labels[t])}" for t in t_index]


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def step_ticks(labels, values=None, *, max_ticks: int = 60, max_len: int = 4,
               title: str = "") -> dict:
    """x-axis settings that label the steps with their tokens, every one of them.

    Plotly thins tick labels it thinks collide, and an evenly spaced decimation of 45 steps
    into 40 drops every ninth character ("The␣ ats,␣whi h"). Here every step is labelled
    while there are at most `max_ticks` (what the chart's width holds at a readable size;
    smaller labels for more steps); beyond that, every k-th step is labelled and the axis
    title says so. values: the axis value of each step (default 1..T_x).
    """
    T = len(labels)
    values = list(range(1, T + 1)) if values is None else list(values)
    stride = max(1, -(-T // max_ticks))
    keep = range(0, T, stride)
    text = [token_text(labels[i], max_len) for i in keep]
    wide = max((len(visible_token(str(labels[i]))) for i in keep), default=1) > 2
    note = f"every {_ordinal(stride)} step labelled (T_x = {T})" if stride > 1 else ""
    out = dict(tickmode="array", tickvals=[values[i] for i in keep], ticktext=text,
               tickangle=-60 if wide else 0,
               tickfont=dict(size=12 if len(text) <= max_ticks // 2 else 10))
    heading = " — ".join(x for x in (title, note) if x)
    if heading:
        out["title"] = dict(text=heading)
    return out


def token_ticks(labels, t_index=None, max_ticks: int = 60, title: str = "") -> dict:
    """`step_ticks` for a category axis of `step_categories` (heatmaps over t)."""
    return dict(step_ticks(labels if t_index is None else [labels[t] for t in t_index],
                           step_categories(labels, t_index), max_ticks=max_ticks, max_len=6,
                           title=title),
                type="category")


class Figure(go.Figure):
    """A go.Figure built from plain dicts, whose animation frames stay plain dicts, and which
    can be frozen into its final JSON-ready dict.

    * Plotly validates every frame even with `_validate=False` and deep-copies frames again
      in `to_dict`; for a few hundred frames that is most of a page's time budget. Frames are
      kept as built (`raw_frames`; treat them as read-only).
    * `to_dict` (what Streamlit and `plotly.io.to_json` call) deep-copies the figure and
      encodes its arrays every time. `freeze()` does that once and keeps the result: later
      calls return the same dict, so a cached figure costs almost nothing to send again.
      Freeze only a finished figure that nobody changes any more (`ui.cache_figure` does).

    The figure tests validate every builder's output (`go.Figure(fig.to_dict())`).
    """

    def __init__(self, data, layout, frames=None):
        super().__init__({"data": list(data), "layout": layout}, _validate=False)
        self._raw_frames = list(frames or [])
        self._frozen = None

    @property
    def raw_frames(self) -> list[dict]:
        return self._raw_frames

    def freeze(self) -> Figure:
        if self._frozen is None:
            out = go.Figure.to_dict(self)              # a deep copy, arrays as base64 specs
            if self._raw_frames:
                frames = copy.deepcopy(self._raw_frames)
                convert_to_base64(frames)
                out["frames"] = frames
            self._frozen = out
        return self

    def to_dict(self):
        if self._frozen is not None:
            return self._frozen
        out = super().to_dict()
        if self._raw_frames:
            out["frames"] = self._raw_frames
        return out

    def to_plotly_json(self):
        return self.to_dict()


_TYPED = {"f": "f4", "i": "i4", "u": "u4"}


def typed_arrays(obj):
    """Numeric arrays as Plotly typed-array specs (base64 float32 / int32), other arrays as
    lists, at any depth. Plotly's own conversion of a NumPy array costs ~0.3 ms each."""
    if isinstance(obj, dict):
        return {k: typed_arrays(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if all(isinstance(v, (str, int, float, bool)) or v is None for v in obj):
            return obj                  # labels and colours: nothing to convert
        return [typed_arrays(v) for v in obj]
    if isinstance(obj, np.ndarray):
        kind = obj.dtype.kind
        if kind in _TYPED and obj.size and obj.ndim <= 2:
            if kind in "iu" and (obj.min() < -2**31 or obj.max() >= 2**31):
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


def figure(data, layout, frames=None, *, compact: bool = False) -> Figure:
    """A Figure from plain dicts, without Plotly's per-property validation.

    Validation costs ~30 ms per figure (most of a page's time budget); the figure tests
    validate every builder's output instead (`go.Figure(fig.to_dict())`).
    compact: send every numeric array as float32/int32 (`typed_arrays`, for figures whose
    numbers are only drawn) and an empty template: Streamlit's theme styles the chart, and
    plotly.py's default template adds ~7 kB and ~20 ms of copying. Keep it off for values
    that need float64 (gradient norms far below float32's range).
    """
    if compact:
        data = typed_arrays(list(data))
        layout = typed_arrays({"template": {}, **layout})
        frames = typed_arrays(frames) if frames else frames
    return Figure(data, layout, frames)


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


def subplot_title(text: str, x: float, y: float) -> dict:
    """A subplot title as a paper-anchored annotation centred at (x, y)."""
    return dict(text=text, x=x, y=y, xref="paper", yref="paper", showarrow=False,
                xanchor="center", yanchor="bottom", font=dict(size=14))


def layout(title: str | None = None, height: int = 320, **kwargs) -> dict:
    """The app's common layout: compact margins, readable font, hover near the cursor."""
    out = dict(
        height=height,
        margin=dict(l=60, r=20, t=48 if title else 16, b=40),
        font=FONT,
        hoverlabel=dict(font=dict(family=FONT["family"], size=13)),
    )
    if title:
        out["title"] = dict(text=title, x=0, xanchor="left", font=dict(size=15))
    out.update(kwargs)
    return out


def title_over_legend(lay: dict, legend_rows: int = 1) -> dict:
    """Put the title at the very top and a horizontal legend in its own band(s) under it,
    above the plot, so that a narrow chart never prints one over the other."""
    lay["title"].update(y=1, yref="container", yanchor="top", pad=dict(t=8))
    lay["legend"] = dict(lay.get("legend", {}), orientation="h", yanchor="bottom", y=1.02,
                         xanchor="left", x=0)
    lay["margin"]["t"] = 40 + 24 * legend_rows
    return lay


def base_layout(fig: go.Figure, title: str | None = None, height: int = 320,
                **kwargs) -> go.Figure:
    """Apply `layout(...)` to an existing figure (slow path, for figures built elsewhere)."""
    fig.update_layout(**layout(title, height, **kwargs))
    return fig


# Animated figures: the Play/Pause buttons and the slider sit under the plot, below the tick
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


def log_axis(values, title: str, max_ticks: int = 8) -> dict:
    """A log-scale axis labelled at powers of ten only (10⁻³, 10⁻², ...), never at the
    digits 2..9 between them (which read like a falling scale: "4 3 2 10 9 8").

    The range is widened to whole decades around the finite positive `values`, so at least
    two labels show; with more than `max_ticks` decades only every k-th is labelled.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    lo, hi = (int(np.floor(np.log10(v.min()))), int(np.ceil(np.log10(v.max())))) if v.size \
        else (-1, 1)
    hi = max(hi, lo + 1)
    step = max(1, -(-(hi - lo) // max_ticks))
    return dict(type="log", range=[lo, hi], tick0=0, dtick=step, exponentformat="power",
                minor=dict(ticks="", showgrid=False), title=dict(text=title))


def nan_to_none_mask(a: np.ndarray) -> np.ndarray:
    """float32 copy with inf/NaN replaced by NaN (Plotly draws NaN as a gap, inf breaks it)."""
    out = f32(a).copy()
    out[~np.isfinite(out)] = np.nan
    return out


def colour_legend_html(vmax: float, label: str = "a<t>") -> str:
    """A three-swatch legend (−vmax, 0, +vmax) for text painted by one unit (no user text
    inside; `label` is escaped)."""
    sw = "display:inline-block;width:1.4em;height:0.9em;vertical-align:middle;margin:0 4px"
    s = escape_all(label)
    return (f"<div style='font-size:0.85rem'>{s} = "
            f"<span style='{sw};background:{unit_rgba(-vmax, vmax)}'></span>&#8722;{vmax:.2f} "
            f"<span style='{sw};background:#fff;border:1px solid #ccc'></span>0 "
            f"<span style='{sw};background:{unit_rgba(vmax, vmax)}'></span>+{vmax:.2f}</div>")
