"""What every figure shares: escaping, the seed's symbols as Plotly text, colours, layout.

Plotly draws text through a small HTML-like markup (``<br>``, ``<b>``, ``<a href>``), so the
seed's ``a<t>`` would vanish as an unknown tag and user text could add links or styling.
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


def colour_at(value: float, lo: float = -1.0, hi: float = 1.0, scale: str = DIVERGING) -> str:
    """The colour of `value` on the app's diverging (RdBu_r) or sequential (Viridis) scale,
    as '#rrggbb' (for markers whose colours are computed per frame). NaN is grey."""
    if not np.isfinite(value):
        return "#9e9e9e"
    anchors = _VIRIDIS if scale in (SEQUENTIAL, SEQUENTIAL_SCALE) else _RDBU_R
    f = float(np.clip((value - lo) / (hi - lo), 0.0, 1.0)) * (len(anchors) - 1)
    i = min(int(f), len(anchors) - 2)
    w = f - i
    c0 = [int(anchors[i][k:k + 2], 16) for k in (1, 3, 5)]
    c1 = [int(anchors[i + 1][k:k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(a + (b - a) * w):02x}" for a, b in zip(c0, c1, strict=True))


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
    """The seed's symbol of a trace key, ready for Plotly ('a' -> 'a&lt;t&gt;')."""
    return escape_plotly(_symbol(key))


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


def token_ticks(labels, t_index=None, max_ticks: int = 60) -> dict:
    """Axis settings that show the token under each step (thinned for long sentences)."""
    cats = step_categories(labels, t_index)
    n = len(cats)
    keep = decimate(n, max_ticks)
    t_index = list(range(len(labels))) if t_index is None else list(t_index)
    return dict(
        tickmode="array",
        tickvals=[cats[i] for i in keep],
        ticktext=[token_text(labels[t_index[i]], 6) for i in keep],
        tickangle=0,
        type="category",
    )


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


def base_layout(fig: go.Figure, title: str | None = None, height: int = 320,
                **kwargs) -> go.Figure:
    """Apply `layout(...)` to an existing figure (slow path, for figures built elsewhere)."""
    fig.update_layout(**layout(title, height, **kwargs))
    return fig


def nan_to_none_mask(a: np.ndarray) -> np.ndarray:
    """float32 copy with inf/NaN replaced by NaN (Plotly draws NaN as a gap, inf breaks it)."""
    out = f32(a).copy()
    out[~np.isfinite(out)] = np.nan
    return out
