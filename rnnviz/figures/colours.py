"""The app's colours: the scales (diverging for a<t>, c<t>, c̃<t> and gradients, sequential
in [0, 1] for gates), one colour per architecture and per quantity on every page, colours
computed per value (`colour_at`, `unit_rgba`) and the ink that reads on them (`ink`)."""

from __future__ import annotations

import bisect
import functools
import math

import numpy as np

from rnnviz.figures.safe_text import escape_all

# Diverging (centred at 0) for a<t>, c<t>, c̃<t> and gradients; sequential in [0, 1]
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


_VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
            "#6ece58", "#b5de2b", "#fde725"]
_RDBU_R = ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7",
           "#f4a582", "#d6604d", "#b2182b", "#67001f"]


# Explicit colour lists: a named scale can be re-mapped by the app's Plotly theme.
DIVERGING_SCALE = [[i / (len(_RDBU_R) - 1), c] for i, c in enumerate(_RDBU_R)]
SEQUENTIAL_SCALE = [[i / (len(_VIRIDIS) - 1), c] for i, c in enumerate(_VIRIDIS)]


def scale_colour(scale, value: float, lo: float = 0.0, hi: float = 1.0) -> str:
    """The '#rrggbb' of `value` on a colour scale [[position, '#rrggbb'], ...] spanning
    [lo, hi] (clipped), interpolated as Plotly does; NaN is grey. (Plain floats: a figure
    calls this per cell, and NumPy's scalar calls cost ~10 µs each.)"""
    value = float(value)
    if not math.isfinite(value):
        return "#9e9e9e"
    f = min(max((value - float(lo)) / (float(hi) - float(lo)), 0.0), 1.0)
    pos = [p for p, _ in scale]
    i = min(max(bisect.bisect_right(pos, f) - 1, 0), len(scale) - 2)
    w = (f - pos[i]) / (pos[i + 1] - pos[i]) if pos[i + 1] > pos[i] else 0.0
    c0, c1 = _rgb(scale[i][1]), _rgb(scale[i + 1][1])
    return "#" + "".join(f"{round(a + (b - a) * w):02x}" for a, b in zip(c0, c1, strict=True))


@functools.lru_cache(maxsize=512)
def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[k:k + 2], 16) for k in (1, 3, 5))


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


@functools.lru_cache(maxsize=4096)
def ink(colour: str) -> str:
    """Black or white text, whichever contrasts more with `colour` ('#rrggbb'): the
    WCAG contrast ratio of the better one is always at least 4.58."""
    lum = _luminance(colour)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def unit_rgba(value: float, vmax: float) -> str:
    """Karpathy's colours for text painted by one unit: blue below 0, red above, white at 0
    (opacity |value| / vmax); grey for inf/NaN."""
    if not np.isfinite(value):
        return "rgba(128,128,128,0.6)"
    v = float(np.clip(value / vmax, -1.0, 1.0)) if vmax > 0 else 0.0
    return f"rgba(214,39,40,{v:.3f})" if v >= 0 else f"rgba(31,119,180,{-v:.3f})"


def colour_legend_html(vmax: float, label: str = "a<t>") -> str:
    """A three-swatch legend (−vmax, 0, +vmax) for text painted by one unit (no user text
    inside; `label` is escaped)."""
    sw = "display:inline-block;width:1.4em;height:0.9em;vertical-align:middle;margin:0 4px"
    s = escape_all(label)
    return (f"<div style='font-size:0.85rem'>{s} = "
            f"<span style='{sw};background:{unit_rgba(-vmax, vmax)}'></span>&#8722;{vmax:.2f} "
            f"<span style='{sw};background:#fff;border:1px solid #ccc'></span>0 "
            f"<span style='{sw};background:{unit_rgba(vmax, vmax)}'></span>+{vmax:.2f}</div>")
