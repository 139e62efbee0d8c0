"""The sidebar shared by every page: the model and the input sentence, kept in session state.

``render_sidebar()`` is called by the app shell (``rnnviz_app.shell.run_app``) on every run,
before the page, so its widgets exist on every page and keep their values when the user
switches pages. Pages then call ``page_context()`` (or ``current_spec()`` /
``current_text()``) to read the choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from rnnviz.models import KIND_NAMES, SESSION_PREFIX, ModelInUse, Reading, Steps, shipped_kind
from rnnviz_app.charts import preload_plotly
from rnnviz_app.loaders import (
    ModelUnavailable,
    get_model,
    get_reading,
    session_models,
    shipped_models,
)
from rnnviz_app.notes import READOUT_H_N
from rnnviz_app.state import (
    CELL_NAMES,
    CELLS,
    DEFAULT_PRETRAINED,
    DEFAULT_SENTENCE,
    INIT_SCALE_RANGE,
    KEY_BIDIRECTIONAL,
    KEY_CARD,
    KEY_CELL,
    KEY_INIT_SCALE,
    KEY_LAST_GOOD,
    KEY_MODEL,
    KEY_N_A,
    KEY_SEED,
    KEY_SENTENCE,
    MAX_CHARS,
    N_A_RANGE,
    RANDOM,
    RANDOM_DEFAULTS,
    SEED_RANGE,
    ModelSpec,
    clip_text,
)
from rnnviz_app.upload import render_upload_panel


def _model_label(name: str) -> str:
    if name == RANDOM:
        return "Random weights (choose below)"
    session = session_models().get(name)
    if session is not None:
        return f"{session.label} ({session.source}, this session)"
    try:
        kind = KIND_NAMES.get(shipped_kind(name), "model")
    except (OSError, ValueError, KeyError):      # a card being written: name it, do not fail
        kind = "model"
    return f"{name} (trained {kind})"


def _keep_widget_state() -> None:
    """Streamlit forgets a widget's value in a run where the widget is not drawn (the
    random-weight controls hide while a shipped model is selected). Writing each value back
    to session state before any widget is drawn keeps it.

    The model and the sentence too: a widget whose value came from session state is drawn
    in the browser with that value only in the run that set it. A menu click before the
    first run had finished drawing left the browser's sentence box empty (and the model box
    on its first option) while the page read the default; the next interaction then sent
    the empty box back and the sentence was lost. Written back in every run, the browser is
    told the value every time."""
    for key in (KEY_MODEL, KEY_SENTENCE, KEY_CELL, KEY_BIDIRECTIONAL, KEY_N_A, KEY_SEED,
                KEY_INIT_SCALE):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _init_defaults(options: list[str]) -> None:
    default_model = DEFAULT_PRETRAINED if DEFAULT_PRETRAINED in options else RANDOM
    if st.session_state.get(KEY_MODEL) not in options:
        st.session_state[KEY_MODEL] = default_model
    for key, value in RANDOM_DEFAULTS.items():
        st.session_state.setdefault(key, value)
    st.session_state.setdefault(KEY_SENTENCE, DEFAULT_SENTENCE)


# A shared link carries the sidebar's choice: ?model=…&text=… (and the random-weight settings).
_LINK_READ = "rnnviz.link_read"
_LINK_RANDOM = {"cell": KEY_CELL, "bidirectional": KEY_BIDIRECTIONAL, "n_a": KEY_N_A,
                "seed": KEY_SEED, "init_scale": KEY_INIT_SCALE}


def _read_link(options: list[str]) -> list[str]:
    """On a session's first run, take the model and sentence of the page's URL; returns what
    was wrong with them (those values fall back to the defaults)."""
    if st.session_state.get(_LINK_READ):
        return []
    st.session_state[_LINK_READ] = True
    q, problems = st.query_params, []
    if "model" in q:
        if q["model"] in options and not q["model"].startswith(SESSION_PREFIX):
            st.session_state[KEY_MODEL] = q["model"]
        else:
            problems.append("its model is not one this app has")
    if "text" in q:
        if len(q["text"]) <= MAX_CHARS:
            st.session_state[KEY_SENTENCE] = q["text"]
        else:
            problems.append(f"its sentence is longer than {MAX_CHARS} characters")
    given = {f: q[f] for f in _LINK_RANDOM if f in q}
    if given:
        try:
            spec = ModelSpec(**{**{f: st.session_state[k] for f, k in _LINK_RANDOM.items()},
                                **{f: (v == "true" if f == "bidirectional" else
                                       type(RANDOM_DEFAULTS[_LINK_RANDOM[f]])(v))
                                   for f, v in given.items()}})
            if spec.normalized() != spec or spec.cell not in CELLS:
                raise ValueError
            for f, k in _LINK_RANDOM.items():
                st.session_state[k] = getattr(spec, f)
        except (TypeError, ValueError):
            problems.append("its random-weight settings are out of range")
    return problems


def _write_link() -> None:
    """Keep the address bar a shareable link to what the sidebar shows (a model that lives in
    this session only is left out)."""
    name = st.session_state[KEY_MODEL]
    want = {"text": st.session_state.get(KEY_SENTENCE, "")[:MAX_CHARS]}
    if not name.startswith(SESSION_PREFIX):
        want["model"] = name
    if name == RANDOM:
        want.update({f: str(st.session_state[k]).lower() if f == "bidirectional"
                     else str(st.session_state[k]) for f, k in _LINK_RANDOM.items()})
    if {k: st.query_params.get(k) for k in want} != want or set(st.query_params) - set(want):
        st.query_params.from_dict(want)


def render_sidebar() -> None:
    """Draw the shared sidebar. app.py calls this once per run, before the page runs."""
    _keep_widget_state()
    options = [*shipped_models(), *session_models(), RANDOM]
    _init_defaults(options)
    problems = _read_link(options)
    failure = _keep_a_model_that_loads(options)
    with st.sidebar:
        preload_plotly()
        # The app's name as the page-independent heading (the menu sits above it).
        st.title("rnnviz")
        st.selectbox(
            "Model", options, key=KEY_MODEL, format_func=_model_label,
            help="A model shipped with rnnviz (trained on a small corpus), or an untrained "
                 "network with random weights that you configure below.",
        )
        render_upload_panel()
        if st.session_state[KEY_MODEL] == RANDOM:
            st.radio("Cell", CELLS, key=KEY_CELL, horizontal=True,
                     format_func=CELL_NAMES.__getitem__,
                     help="RNN: a<t> = tanh(W_a[a<t-1>, x<t>] + b_a). GRU: adds Γu, Γr and "
                          "c̃<t>. LSTM: adds Γf, Γu, Γo and the memory cell c<t>.")
            st.toggle("Bidirectional", key=KEY_BIDIRECTIONAL,
                      help="Two directions: a→<t> reads x<1>…x<t>, a←<t> reads x<T_x>…x<t>; "
                           "ŷ<t> sees both.")
            st.slider("n_a (hidden units)", *N_A_RANGE, key=KEY_N_A)
            st.number_input("Seed", min_value=SEED_RANGE[0], max_value=SEED_RANGE[1], step=1,
                            key=KEY_SEED)
            st.slider("Init scale of W_aa", *INIT_SCALE_RANGE, step=0.1, key=KEY_INIT_SCALE,
                      help="Multiplies every recurrent weight block after Xavier init. Above "
                           "about 1.5 the state saturates; far below 1 it forgets at once.")
        else:
            _shipped_summary(_spec())
        st.text_area(
            "Input sentence", key=KEY_SENTENCE, height=110,
            help=f"Typed once, read by every page. Sentences longer than {MAX_CHARS} "
                 "characters are cut to keep every chart fast.",
        )
        text, raw = _text()
        if raw > MAX_CHARS:
            st.caption(f"{raw:,} characters: the pages read the first {MAX_CHARS}.")
        else:
            st.caption(f"{raw} characters")
        if problems:
            st.warning("The link you opened could not be followed in full: "
                       + "; ".join(problems) + ". The defaults are shown instead.")
    if failure:
        st.error(failure)       # at the top of the page, above whatever the page shows
    _write_link()


def _keep_a_model_that_loads(options: list[str]) -> str | None:
    """Before the model picker is drawn: when the chosen model cannot be loaded, go back to
    the last choice that loaded (else random weights) and return a message naming the model
    and the cause; None when it loads. Nothing is substituted silently."""
    spec = _spec()
    try:
        get_model(spec)
    except ModelUnavailable as exc:
        last = st.session_state.get(KEY_LAST_GOOD)
        back = last if last in options and last != spec.name else RANDOM
        st.session_state[KEY_MODEL] = back
        st.session_state[KEY_LAST_GOOD] = back
        return f"{exc}. The sidebar is back on {_model_label(back)}."
    st.session_state[KEY_LAST_GOOD] = spec.name
    return None


def _shipped_summary(spec: ModelSpec) -> None:
    loaded = get_model(spec)
    cfg = loaded.config
    cell = CELL_NAMES[cfg.cell]
    bi = "bidirectional " if cfg.bidirectional else ""
    st.caption(
        f"{bi}{cell}, n_a = {cfg.n_a}, n_x = {cfg.n_x}, n_y = {cfg.n_y}, "
        f"{loaded.model.n_params:,} parameters, {KIND_NAMES.get(loaded.kind, loaded.kind)}."
    )
    for warning in loaded.warnings:
        st.warning(warning)
    if cfg.readout == "h_n" and cfg.bidirectional:       # what ŷ<t> means for this model
        st.caption(READOUT_H_N)
    if loaded.card_markdown:
        # Drawn only while open (opening it reruns): its code blocks would otherwise bring
        # Streamlit's 1.5 MB syntax highlighter into every first visit.
        card = st.expander("Model card", key=KEY_CARD, on_change="rerun")
        if card.open:
            with card:
                # Shipped, trusted Markdown (no HTML is enabled).
                st.markdown(loaded.card_markdown)


def current_spec() -> ModelSpec:
    """The sidebar's model choice (a page calls `ensure_frame` first, as every render() does)."""
    return _spec()


def current_text() -> tuple[str, int]:
    """(the sentence cut to MAX_CHARS characters, its length as typed)."""
    return _text()


def sidebar_text(verb: str = "read") -> str:
    """The sidebar's sentence cut to MAX_CHARS, with a notice when it was longer ("only the
    first MAX_CHARS are `verb`"), for a page that reads it without `page_context`."""
    text, n = _text()
    if n > MAX_CHARS:
        st.warning(f"{n:,} characters: only the first {MAX_CHARS} are {verb}.")
    return text


def _spec() -> ModelSpec:
    ss = st.session_state
    name = ss.get(KEY_MODEL, RANDOM)
    return ModelSpec(
        name=name,
        cell=ss.get(KEY_CELL, RANDOM_DEFAULTS[KEY_CELL]),
        bidirectional=ss.get(KEY_BIDIRECTIONAL, RANDOM_DEFAULTS[KEY_BIDIRECTIONAL]),
        n_a=ss.get(KEY_N_A, RANDOM_DEFAULTS[KEY_N_A]),
        seed=ss.get(KEY_SEED, RANDOM_DEFAULTS[KEY_SEED]) or 0,
        init_scale=ss.get(KEY_INIT_SCALE, RANDOM_DEFAULTS[KEY_INIT_SCALE]),
    ).normalized()


def _text() -> tuple[str, int]:
    return clip_text(st.session_state.get(KEY_SENTENCE, DEFAULT_SENTENCE))


@dataclass(frozen=True)
class PageContext:
    """What a page needs from the sidebar."""

    spec: ModelSpec
    model: ModelInUse
    text: str               # the sentence after truncation to MAX_CHARS
    raw_length: int         # its length as typed
    steps: Steps | None     # what each step reads and predicts (None when the text is empty)
    reading: Reading | None = None   # the model reading the text: .steps and .trace (cached)

    @property
    def truncated(self) -> bool:
        return self.raw_length > MAX_CHARS


def page_context(require_text: bool = True) -> PageContext:
    """Read the sidebar; show the truncation notice; stop with a hint if there is no text.

    With ``require_text=False`` an empty sentence is allowed (``steps`` is then None). The page
    calls `ensure_frame` first (every page's render() does).
    """
    spec = _spec()
    model = get_model(spec)
    text, raw = _text()
    if raw > MAX_CHARS:
        st.warning(
            f"Your sentence has {raw:,} characters; every page reads only the first "
            f"{MAX_CHARS} (the limit keeps each chart fast and readable)."
        )
    reading = None
    try:
        reading = get_reading(spec, text) if text else None
    except ValueError:
        reading = None
    steps = None if reading is None else reading.steps
    if steps is None and require_text:
        if not text:
            st.info("Type a sentence in the sidebar (**Input sentence**) to see the network "
                    "read it.")
        else:
            st.info("The model finds no tokens in this text (it reads words, and there are "
                    "none): type a sentence with words in the sidebar.")
        st.stop()
    return PageContext(spec=spec, model=model, text=text, raw_length=raw, steps=steps,
                       reading=reading)
