"""Small Streamlit helpers that keep every page consistent."""

from __future__ import annotations

import functools
import time

import numpy as np
import streamlit as st

from rnnviz.models import Backward, ModelInUse, Reading
from rnnviz_app.charts import plotly_chart
from rnnviz_app.state import MAX_CHARS, clip_text

# No Plotly logo, no "send to cloud"; keep zoom, pan, hover and the PNG download.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "sendDataToCloud"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


class _Held:
    """A model, a reading or a backward pass passed to a cached figure builder, hashed by its
    key only."""

    __slots__ = ("value", "key")

    def __init__(self, value, key: tuple):
        self.value, self.key = value, key


def _hold(value):
    if isinstance(value, ModelInUse):
        return _Held(value, ("model", value.identity))
    # what was read (a Backward: and the loss back-propagated); one made by hand: itself
    if isinstance(value, (Reading, Backward)):
        return _Held(value, (type(value).__name__, *(value.of or ("unkeyed", id(value)))))
    return value


def _release(value):
    return value.value if isinstance(value, _Held) else value


def cache_figure(fn=None, *, max_entries: int = 256):
    """Decorator for a page's figure builders, shared by all sessions (st.cache_resource):
    `@ui.cache_figure def _fig(model, reading, unit, t)`. The builder takes what the page
    holds: the `ModelInUse` (keyed by its identity) and the `Reading` (keyed by what was read,
    `Reading.of`; a `Backward` likewise, by `Backward.of`), never hashed array by array, and
    small options (numbers, str, tuples); it does not fetch the model or the reading again.
    `@ui.cache_figure(max_entries=16)`: fewer entries, for values of a few MB.

    The figure is frozen (`rnnviz.figures.figure.Figure.freeze`): its JSON-ready dict is
    built once instead of on every rerun.
    """
    if fn is None:
        return functools.partial(cache_figure, max_entries=max_entries)

    @functools.wraps(fn)
    def build(*args, **kwargs):
        fig = fn(*map(_release, args), **{k: _release(v) for k, v in kwargs.items()})
        freeze = getattr(fig, "freeze", None)
        if freeze is not None:
            freeze()
        return fig

    cached = st.cache_resource(max_entries=max_entries, show_spinner=False,
                               hash_funcs={_Held: lambda held: held.key})(build)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        return cached(*map(_hold, args), **{k: _hold(v) for k, v in kwargs.items()})

    return call


def keep_valid(key: str, options, default, init: bool = False) -> None:
    """Before drawing a selectbox/radio/multiselect whose options can change between runs:
    reset its value if it is no longer one of `options` (with `init`, also set `default`
    when the widget has no value yet).

    When the options change (another model, a longer sentence), the browser still sends the
    old choice, which Streamlit then returns as a plain string; this catches it.
    """
    if key not in st.session_state:
        if init:
            st.session_state[key] = default
        return
    value = st.session_state[key]
    if isinstance(default, (list, tuple)):
        ok = isinstance(value, (list, tuple)) and all(v in options for v in value)
    else:
        ok = value in options
    if not ok:
        st.session_state[key] = default


def md(text: str) -> str:
    """Notation for Markdown: `a<t>` would be swallowed as an HTML tag, so escape < and >."""
    return str(text).replace("<", "\\<").replace(">", "\\>")


def chart(fig, key: str, clickable: bool = False, steps: str | None = None,
          play: dict | None = None) -> dict | None:
    """The app's chart element (`rnnviz_app.charts`: mounted once per key, updated in place
    with Plotly.react) with the app's config; `key` must be unique and stable. With
    `clickable`, returns the last point clicked (`{"curve", "point", "x", "y",
    "customdata"}`; a click reruns the page), else None. `steps`: the page's step counter
    this chart plays in the browser (`play` from `browser_play`; the counter takes over the
    step shown when it stops)."""
    on_step = None if steps is None else functools.partial(_follow_browser, key, steps)
    return plotly_chart(fig, key=key, config=PLOTLY_CONFIG, clickable=clickable, play=play,
                        on_step=on_step)


def lazy_tabs(tabs: dict, key: str):
    """Tabs of which only the chosen one is built: `tabs` maps each label (Markdown) to a
    value; returns (the open tab's container, its value). Choosing a tab reruns the script
    (st.tabs with on_change="rerun"), so a page sends and draws one tab's charts, not all."""
    labels = list(tabs)
    keep_valid(key, labels, labels[0])
    for label, tab in zip(labels, st.tabs(labels, key=key, on_change="rerun"), strict=True):
        if tab.open:
            return tab, tabs[label]
    return tab, tabs[labels[-1]]             # not reached: one tab is always open


def look_for(markdown: str, title: str = "What to look for") -> None:
    """The short note beside a chart: what the picture shows and why it matters."""
    with st.container(border=True):
        st.markdown(f"**{title}**\n\n{markdown}")


def chart_with_note(fig, key: str, note: str, ratio=(3, 1)) -> None:
    """A chart with its "what to look for" note in a narrow column on the right."""
    left, right = st.columns(list(ratio), gap="medium")
    with left:
        chart(fig, key)
    with right:
        look_for(note)


def nonfinite_warning(values, what: str = "The network's values") -> bool:
    """st.warning (and True) when `values` (a Trace, or a bool mask over t) hold inf/NaN."""
    mask = values.nonfinite if hasattr(values, "nonfinite") else np.asarray(values, dtype=bool)
    if not mask.any():
        return False
    first = int(np.argmax(mask)) + 1
    st.warning(
        f"{what} overflowed to inf/NaN at {int(mask.sum())} of {mask.size} steps (first at "
        f"t = {first}). Those steps are left blank in the charts: lower the init scale or "
        "the spectral radius to get finite numbers."
    )
    return True


def safe_markdown_html(html: str) -> None:
    """Show HTML built by `rnnviz.figures` (every user character is an escaped entity).

    Never pass text that came from a user without escaping it with
    `rnnviz.figures.safe_text.escape_all` first.
    """
    st.markdown(html, unsafe_allow_html=True)


def text_box(label: str, key: str, default: str) -> str:
    """A text box kept across pages; returns its text cut to MAX_CHARS (with a notice)."""
    raw = st.text_input(label, value=default, key=key, persist_state="session",
                        help=f"Up to {MAX_CHARS} characters are read.")
    text, n = clip_text(raw)
    if n > MAX_CHARS:
        st.warning(f"{n:,} characters: only the first {MAX_CHARS} are read.")
    return text


def text_pair(defaults: dict, purpose: str) -> tuple[str, str]:
    """Sentence A and sentence B side by side (`text_box`es keyed by `defaults`' two keys,
    with their default texts); an empty one says "type a sentence `purpose`"."""
    texts = []
    for key, col, label in zip(defaults, st.columns(2, gap="large"),
                               ("Sentence A", "Sentence B"), strict=True):
        with col:
            texts.append(text_box(label, key, defaults[key]))
            if not texts[-1]:
                st.info(f"{label} is empty: type a sentence {purpose}.")
    return texts[0], texts[1]


def table(rows, formats: dict | None = None, height: int | None = None,
          wrap: bool = False) -> None:
    """A table (a DataFrame, or a list of dicts, one per row) without its index, drawn as
    one escaped HTML element (`rnnviz.figures.tables`: every user character an entity), with
    printf-style formats for numeric columns ({"column": "%.4f"}); it scrolls, header kept,
    beyond `height` pixels; with `wrap`, every text cell may wrap (a table of prose). Not
    `st.dataframe`: its grid redraws 100–200 ms after the rest of the page on every edit."""
    from rnnviz.figures.tables import table_html

    safe_markdown_html(table_html(rows, formats, height, wrap))


def text(value: str) -> None:
    """Text shown as it is (a generated sample, a word) in a wrapping monospace block, every
    character escaped (`rnnviz.figures.tables.text_html`). Not `st.code`: its syntax
    highlighter, 1.5 MB of JavaScript, would load on the page's first visit."""
    from rnnviz.figures.tables import text_html

    safe_markdown_html(text_html(value))


def lm_picker(key: str, shipped: dict[str, str], default: str, help: str | None = None) -> str:
    """A "Model" radio (`key`, kept across pages) over the char LMs to read or sample from:
    the `shipped` ones (name -> label) and this session's own (`loaders.lm_choices`). It
    starts at the sidebar's model when that is one of them, else at `default`. Returns the
    name."""
    from rnnviz_app.loaders import lm_choices
    from rnnviz_app.state import KEY_MODEL

    lms = lm_choices(shipped)
    sidebar_model = st.session_state.get(KEY_MODEL)
    start = sidebar_model if sidebar_model in lms else default
    return st.radio("Model", list(lms), index=list(lms).index(start), key=key,
                    persist_state="session", help=help,
                    format_func=lambda n: f"{lms[n]} ({n})" if n in shipped else lms.get(n, n))


def upload_or_paste(key: str, max_mb: int = 1) -> tuple[str | None, str | None]:
    """A file uploader ("<key>.upload") and a text area ("<key>.paste") for a UTF-8 text of at
    most `max_mb` MB: (text, None) from the upload (first) or the pasted text, (None, None)
    while neither is given, or (None, why) when it cannot be read (`rnnviz.units.read_corpus_bytes`,
    `check_corpus_text`)."""
    from rnnviz.units import check_corpus_text, read_corpus_bytes

    up = st.file_uploader(f"Upload a UTF-8 text file (≤ {max_mb} MB)", key=f"{key}.upload",
                          type=None, accept_multiple_files=False, max_upload_size=max_mb)
    pasted = st.text_area("…or paste text", key=f"{key}.paste", height=120,
                          max_chars=max_mb * 1_000_000)
    if up is None and not pasted:
        return None, None                   # nothing given yet: not an error
    try:
        if up is not None:
            return read_corpus_bytes(up.getvalue(), max_mb * 1_000_000), None
        return check_corpus_text(pasted, max_mb * 1_000_000), None
    except ValueError as e:
        return None, str(e)


def corpus_picker(key: str, kind: str, sentence: str) -> tuple[str, str, str]:
    """A "Corpus" radio (`key`; its uploader and text area are "<page>.upload" and
    "<page>.paste"): the held-out text of the model `kind` (its start or all of it), the
    sidebar `sentence`, or the user's own text. Returns (name, corpus key, text); the corpus
    key names the text (choice and hash) for the cached corpus readings."""
    from rnnviz_app.loaders import HELDOUT_CHARS, corpus_key, get_heldout
    from rnnviz_app.notes import UNITS

    corpora = {k: v.format(n=HELDOUT_CHARS) for k, v in UNITS["corpora"].items()}
    keep_valid(key, list(corpora), "heldout")
    choice = st.radio("Corpus", list(corpora), format_func=corpora.get, key=key, horizontal=True)
    name, text = get_heldout(kind, full=choice == "heldout_all")
    if choice == "sentence":
        name, text = "the sidebar sentence", sentence
    elif choice == "own":
        own, error = upload_or_paste(key.rsplit(".", 1)[0])
        if error:
            st.error(UNITS["own_error"].format(error=error))
        elif own is not None:
            name, text = "your text", own
        else:
            st.info(UNITS["own_waiting"])
    return name, corpus_key(choice, text), text


def preset_pair(presets: dict, key: str, default: int = 1) -> tuple[str, str]:
    """Two sentences to compare: a "Pair" selectbox ("<page>.preset") over `presets`
    (name -> (A, B)) and "your own", which shows two text inputs ("<page>.text_a",
    "<page>.text_b"; an empty one keeps the preset's sentence). Returns (A, B)."""
    names = [*presets, "your own"]
    keep_valid(f"{key}.preset", names, names[default], init=True)
    preset = st.selectbox("Pair", names, key=f"{key}.preset")
    a, b = presets.get(preset, presets[names[default]])
    if preset == "your own":
        c1, c2 = st.columns(2)
        a = c1.text_input("Sentence A", a, key=f"{key}.text_a", max_chars=MAX_CHARS) or a
        b = c2.text_input("Sentence B", b, key=f"{key}.text_b", max_chars=MAX_CHARS) or b
    return a, b


def best_unit_picker(best: dict, n: int, feature_key: str, unit_key: str, where) -> int:
    """Unit j (0…n-1) in a number input (`unit_key`, in `where[1]`), and beside it (in
    `where[0]`) a "Best unit for the feature" selectbox (`feature_key`) that sets it to the
    chosen feature's best unit. `best`: feature -> its best unit, in order. Returns j."""
    feats = list(best)

    def pick_best():
        f = st.session_state.get(feature_key)
        if f in best:
            st.session_state[unit_key] = int(best[f])

    keep_valid(feature_key, feats, feats[0])
    where[0].selectbox("Best unit for the feature", feats, key=feature_key, on_change=pick_best)
    st.session_state.setdefault(unit_key, int(best[feats[0]]))
    if not 0 <= int(st.session_state[unit_key]) < n:
        st.session_state[unit_key] = int(best[feats[0]])
    return int(where[1].number_input("Unit", 0, n - 1, key=unit_key, step=1))


def span_slider(label: str, key: str, T: int, default: int = 3, where=st) -> tuple[int, int]:
    """A range slider over t = 1…T (disabled for T < 2; in the container `where`) whose
    (start, end) is reset to (1, min(T, default)) when it no longer fits; returns it clipped
    to T."""
    span = st.session_state.get(key)
    if not (isinstance(span, (tuple, list)) and len(span) == 2 and 1 <= span[0] <= span[1] <= T):
        st.session_state[key] = (1, min(T, default))
    start, end = where.slider(label, 1, max(T, 2), key=key, disabled=T < 2)
    return int(min(start, T)), int(min(end, T))


def unknown_words_note(steps) -> None:
    """A caption naming the tokens the model reads as <UNK> (it has never seen them), so a
    confident output on an unknown word is not mistaken for knowledge."""
    unknown = sorted({w for w, u in zip(steps.labels, steps.unk, strict=True) if u})
    if unknown:
        words = ", ".join(literal(w) for w in unknown)
        st.caption(f"Outside the model's vocabulary, read as \\<UNK\\> (every unknown word "
                   f"looks the same to it): {words}.")


def literal(text: str) -> str:
    """User text shown as itself in Markdown: every ASCII punctuation character is
    backslash-escaped, so no tag, link or emphasis can take effect."""
    return "".join("\\" + c if c.isascii() and not c.isalnum() and not c.isspace() else c
                   for c in str(text))


def _move(key: str, delta: int, T: int) -> None:
    st.session_state[key] = int(min(max(st.session_state.get(key, 1) + delta, 1), T))


def equations(lines) -> None:
    """Equations one under the other, each wrapping at its = and + signs when the column is
    narrow (KaTeX breaks inline math there; display math would be cut at the right edge), in
    one element: a Markdown paragraph each, so a run re-renders one element, not one per
    line."""
    st.markdown("\n\n".join(f"$\\displaystyle {latex}$" for latex in lines))


def step_controls(key: str, T: int, label: str, back: str = "◀ t − 1", forward: str = "t + 1 ▶",
                  back_help: str | None = None) -> int:
    """The page's one step counter t (1…T): a back button, a slider and a forward button,
    all on session state `key` ("page.t"; the buttons are "page.back" and "page.next").
    Returns t."""
    if st.session_state.get(key, 1) > T:
        st.session_state[key] = T
    page = key.rsplit(".", 1)[0]
    c1, c2, c3 = st.columns([1.5, 5, 1.5], vertical_alignment="bottom")
    c1.button(back, key=f"{page}.back", on_click=_move, args=(key, -1, T),
              disabled=st.session_state[key] <= 1, width="stretch", help=back_help)
    c3.button(forward, key=f"{page}.next", on_click=_move, args=(key, 1, T),
              disabled=st.session_state[key] >= T, width="stretch")
    if T > 1:
        c2.slider(label, 1, T, key=key)
    else:
        c2.caption("T_x = 1: a single step.")
    return int(st.session_state[key])


def download_trace(spec, text: str, key: str, at: str | None = None) -> None:
    """A button that downloads the page's trace as the tidy CSV (built only when pressed);
    with `at` (the loss: "all" or "last"), the gradients of the backward pass instead."""
    from rnnviz_app.loaders import get_csv

    what = "trace" if at is None else "gradients"
    st.download_button(
        f"Download the {what} as CSV (t, token, unit, quantity, symbol, value, layer)",
        data=lambda: get_csv(spec, text, at), file_name=f"rnnviz-{what}.csv",
        mime="text/csv", on_click="ignore", key=key)
    st.caption(r"One row per (t, unit, quantity): x\<t\>, every gate and pre-activation, "
               r"c\<t\>, a\<t\> and ŷ\<t\>, with t counted from 1 as in the course notes."
               if at is None else
               r"One row per (t, unit, quantity): ∂L/∂a\<t\>, ∂L/∂c\<t\> and the gates' "
               r"gradients of this loss, t counted from 1 as in the course notes.")


def metrics_row(*metrics) -> None:
    """st.metric side by side: each metric is (label, value) or (label, value, help); None
    leaves its column empty."""
    for col, m in zip(st.columns(len(metrics)), metrics, strict=True):
        if m is not None:
            col.metric(m[0], m[1], help=m[2] if len(m) > 2 else None)


def layer_picker(model, key: str) -> int | None:
    """A "Layer" picker for a stacked model (config.layers > 1): the 1-based layer l whose
    a^[l]<t> and gates the page shows (default: the top layer, which ŷ reads). None for a
    one-layer model, whose trace keys are its only layer."""
    L = int(model.config.layers)
    if L == 1:
        return None
    options = list(range(1, L + 1))
    keep_valid(key, options, L)
    st.session_state.setdefault(key, L)
    return int(st.radio("Layer", options, key=key, horizontal=True,
                        format_func=lambda l: f"{l} (top)" if l == L else str(l),
                        help="A stacked RNN: layer 1 reads x<t>, layer l reads the states "
                             "a^[l-1]<t> of the layer below; ŷ<t> reads the top layer."))


# Play: the page's step chart plays its frames in the browser (`browser_play`: no script run
# per step) and the page's one step counter takes the step shown when it stops.
PLAY_SECONDS = 0.8


def _toggle_play(key: str, T: int, step: int, first: int = 1) -> None:
    playing = not st.session_state.get(f"{key}.playing", False)
    start, end = (first, T) if step > 0 else (T, first)
    t = int(st.session_state.get(key, start))
    # Always written back, so this run sends the slider the server's t: a tick of the playing
    # fragment that Pause interrupted may have moved the browser's slider already while the
    # click carried the old t (the slider and the chart disagreed).
    st.session_state[key] = start if playing and t == end else t     # at the end: from start
    st.session_state[f"{key}.playing"] = playing
    st.session_state[f"{key}.token"] = f"{time.time():.6f}"      # a new play for the browser


def play_button(key: str, T: int, step: int = 1, first: int = 1) -> bool:
    """▶ Play / ❚❚ Pause for the step counter `key` over first…T (t moves by `step`: +1
    forward in time, -1 for BPTT). Returns whether it plays; the page then hands its step
    chart the frames to play (`chart(..., steps=key, play=browser_play(key, ...))`) instead
    of its slider."""
    playing = bool(st.session_state.get(f"{key}.playing", False)) and T > first
    st.button("❚❚ Pause" if playing else ("▶ Play" if step > 0 else "◀ Play BPTT"),
              key=f"{key.rsplit('.', 1)[0]}.play", on_click=_toggle_play,
              args=(key, T, step, first), disabled=T <= first,
              help=f"Steps t by itself in your browser, once every {PLAY_SECONDS:g} s; where "
                   "it stops, the slider and everything below follow.")
    return playing


def browser_play(key: str, frame_steps, step: int = 1) -> dict | None:
    """While the step counter `key` plays: what its chart plays in the browser (the frames
    from the step after t to the end, t moving by `step`; `frame_steps` are the steps t
    that have a frame, named str(t)), with no script run per step. None when not playing."""
    if not st.session_state.get(f"{key}.playing"):
        return None
    t = int(st.session_state.get(key, 1))
    ts = sorted(int(s) for s in frame_steps)
    ahead = [s for s in ts if s > t] if step > 0 else [s for s in reversed(ts) if s < t]
    return {"frames": [str(s) for s in ahead], "T": max(ts), "seconds": PLAY_SECONDS,
            "token": st.session_state.get(f"{key}.token", "")}


def _follow_browser(chart_key: str, key: str) -> None:
    """The chart played in the browser and stopped: the page's counter takes its step."""
    shown = (st.session_state.get(chart_key) or {}).get("step") or {}
    if "t" in shown:
        st.session_state[key] = int(shown["t"])
    st.session_state[f"{key}.playing"] = False


