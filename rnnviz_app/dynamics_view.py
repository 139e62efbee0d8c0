"""Helpers of the Dynamics page (pages/dynamics.py): cached computations, the background
fixed-point search with progress, and the page's notes."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from rnnviz.dynamics import fixed_points, jacobian_spectrum
from rnnviz.dynamics.fixed_points import TOL, FixedPoints, StepMap, _point, run_constant
from rnnviz.figures import dynamics as figs
from rnnviz.training.flipflop import flipflop_data, load_flipflop
from rnnviz.training.flipflop_seeds import SHIPPED as SEEDS_TABLE
from rnnviz.training.flipflop_seeds import seed_table
from rnnviz_app.loaders import load_shipped
from rnnviz_app.widgets import cache_figure, md

CELLS = ("rnn", "gru", "lstm")
TRAINED_KEY = "dynamics.trained"   # {"token", "models": {cell: FlipFlop}}: the Training page's
TRAINED = "trained:"               # prefix of a "trained here" network's choice
CONSTANT_CHAR = " "      # the constant-input section's default character
TOP = 3                  # σ1..σ3 drawn as lines (the band needs no other singular value)
SIDE_CHARS = 60          # the three char LMs side by side read at most this many characters
# The page's four views, a tab each, built only when open (`widgets.lazy_tabs`): an edit of
# the sentence rebuilds the open tab only, and a visit draws one chart, not six (the three
# char LMs side by side are a tab of their own: a new sentence's first visit reads one model).
# Short labels: the four fit beside each other at 1024 px.
KEY_TAB = "dynamics.tab"
SPECTRUM_TAB, SIDE_TAB, FIXED_TAB, CONSTANT_TAB = ("Along your sentence", "RNN vs GRU vs LSTM",
                                                   "Flip-flop fixed points",
                                                   "A constant input")
TABS = {SPECTRUM_TAB: "spectrum", SIDE_TAB: "side", FIXED_TAB: "fixed",
        CONSTANT_TAB: "constant"}
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fixed-points")
_SPECTRA = ThreadPoolExecutor(max_workers=2, thread_name_prefix="spectra")

NOTES = {
    "spectrum": (
        "Each step multiplies the gradient by ∂s\\<t\\>/∂s\\<t−1\\>ᵀ. The grey band runs from "
        "its smallest to its largest singular value (its lower edge to within 0.1 % of the "
        "largest); the dashed line is 1. Singular values "
        "below 1 shrink the gradient at that step: the **Vanishing gradients** page shows the "
        "product of these matrices. Hover a point: it names the gate (Γf for the LSTM, "
        "1 − Γu for the GRU) that carries σ_max, and how much of it."),
    "side": (
        "The shipped char LMs on the same sentence. A σ_max above 1 does not mean the "
        "gradient grows: the top directions of successive steps differ, so the product can "
        "still shrink. Compare the RNN's band with the gated cells'."),
    "fixed": (
        "The trajectory of the flip-flop network reading random pulses, in its first two "
        "principal components. Green dots: stable fixed points (every |λ| < 1), one per "
        "memory state; red crosses: saddles, with their unstable directions as red lines; "
        "orange rings: marginal points (largest |λ| = 1: a saturated gate holds them). "
        "Between pulses the state sits at a stable point; a pulse moves it across a saddle."),
    "eig": (
        "The eigenvalues of the fixed point's Jacobian. Inside the circle the state returns "
        "to the point along that direction; outside it leaves. A saddle has at least one "
        "outside."),
    "constant": (
        "The LM reads one character forever from its start state. If the path ends in a "
        "point with q ≈ 0 it settled at a fixed point: its eigenvalues say how fast it "
        "forgets what came before (|λ| close to 1: slowly)."),
}


# (model identity, layer) -> the spectrum last computed for it, the 16 most recent: a new
# sentence reuses the steps of the tokens it shares at its start (`jacobian_spectrum`'s
# `prefix`). Spectra are read-only; shared by sessions like the cache below, keyed likewise.
_LAST: OrderedDict = OrderedDict()
_LAST_LOCK = threading.Lock()


@st.cache_resource(max_entries=16, show_spinner=False)
def spectrum(_model, identity: str, text: str, layer: int | None):
    """The step-Jacobian spectrum of a model in use (cached by its identity and the text)."""
    with _LAST_LOCK:
        prefix = _LAST.get((identity, layer))
    spec = jacobian_spectrum(_model, text, layer=layer, prefix=prefix, top=TOP)
    with _LAST_LOCK:
        _LAST[(identity, layer)] = spec
        _LAST.move_to_end((identity, layer))
        while len(_LAST) > 16:
            _LAST.popitem(last=False)
    return spec


STALE_S = 2.0           # a background spectrum not started within this is left to the page


def start_spectra(text: str, layer: int | None, *models) -> None:
    """Start `spectrum` of each model in use reading `text` in the background (two threads,
    shared by every session), so that a page which asks for them next finds them computed
    beside its own work: forming the step Jacobians and LAPACK release the GIL. The results
    go to `spectrum`'s cache; a page that asks for one still in progress waits for it (one
    computation per key), and one not yet started is computed by the page itself. Under load
    a job may wait: one that has not started within STALE_S is dropped (its page computed it,
    or has moved on to another sentence)."""
    for model in models:
        try:
            _SPECTRA.submit(_spectrum_if_fresh, time.monotonic(), model, text, layer)
        except RuntimeError:        # the server is shutting down: the page computes its own
            return


def _spectrum_if_fresh(submitted: float, model, text: str, layer: int | None) -> None:
    if time.monotonic() - submitted <= STALE_S:
        spectrum(model, model.identity, text, layer)


def warm_first_visit(text: str, sidebar_model: str | None = None) -> None:
    """The Dynamics page's first visit, computed once per server and not in a visitor's
    click, at the page's defaults: the three shipped char LMs' spectra of `text` and their
    side-by-side figure; the main figure when the sidebar's model `sidebar_model` (by
    default `char-lm-lstm`) is one of them; the shipped RNN flip-flop's quick fixed-point
    search and its two figures; the last LM's orbit under a constant space and its figures.
    Run by the app's background warm-up (`rnnviz_app.shell`); the caches are shared by every
    session, and `tests/app/test_page_dynamics.py` checks that the page's first run then
    builds nothing."""
    models = [m for m in (load_shipped(f"char-lm-{c}") for c in CELLS) if m is not None]
    for model in models:
        for t in dict.fromkeys((text, text[:SIDE_CHARS])):
            spectrum(model, model.identity, t, None)
    if len(models) == len(CELLS):
        spectrum_figure(text[:SIDE_CHARS], None, "", tuple(c.upper() for c in CELLS), *models)
    for model in models:
        if model.name == sidebar_model:
            spectrum_figure(text, None, "", (model_md_label(model),), model)
    try:
        ff, states, token = flipflop(CELLS[0])
    except FileNotFoundError:
        ff = None
    if ff is not None:
        search = next(iter(SEARCHES))           # the page's default: the first choice
        res = flipflop_points(ff, token, search)
        if res.points:
            fixed_point_figure(res, states, token, search, 0)
            eigen_figure(res.points[0], token, search, 0, point_title(res.points[0], 0))
    if models:                      # the constant-input section opens on the last shipped LM
        constant_section(models[-1], CONSTANT_CHAR)


def model_md_label(model) -> str:
    """The main spectrum panel's title: the model's label as Markdown-safe text."""
    return md(model.label)


def point_title(point, i: int) -> str:
    return f"Fixed point {i}: {point.kind}"


def constant_section(model, char: str):
    """(S the orbit's states, its last state as a point, settled, (orbit figure, eigenvalue
    figure)) of a char LM reading `char` forever (the constant-input section)."""
    S, point = constant_orbit(model, model.identity, char)
    settled = point.q < TOL
    res = FixedPoints(points=[point] if settled else [], slow=[], x=None, tol=TOL, n_init=0,
                      seconds=0.0)
    return S, point, settled, orbit_figures(res, S, point, model.identity, char)


# The page's figures, shared by sessions and keyed like what they draw: a model by its
# identity, a flip-flop network by its token (shipped cell, or the Training run's token).
# An edit of the sentence then rebuilds only the spectra; a figure is built once.

@cache_figure(max_entries=32)
def spectrum_figure(text: str, layer: int | None, direction: str, titles: tuple, *models):
    """One spectrum panel per model in use (keyed by its identity) reading `text`, titled by
    `titles`; the spectra come from `spectrum`'s cache."""
    spectra = {title: spectrum(m, m.identity, text, layer)
               for title, m in zip(titles, models, strict=True)}
    return figs.spectrum_figure(spectra, top=TOP, direction=direction)


@st.cache_resource(max_entries=32, show_spinner=False)
def fixed_point_figure(_res, _states, token: str, search: str, pick: int):
    return figs.fixed_point_figure(_res, _states, selected=pick).freeze()


@st.cache_resource(max_entries=32, show_spinner=False)
def eigen_figure(_point, token: str, search: str, pick: int, title: str):
    return figs.eigen_figure(_point, title=title).freeze()


@st.cache_resource(max_entries=8, show_spinner=False)
def orbit_figures(_res, _S, _point, identity: str, char: str) -> tuple:
    """(the constant-input orbit with its point, the point's eigenvalues)."""
    return (figs.fixed_point_figure(_res, _S).freeze(), figs.eigen_figure(_point).freeze())


def network_choices() -> dict[str, str]:
    """{choice: label}: the shipped flip-flop networks, then this session's trained ones."""
    out = {c: f"{c.upper()} (shipped)" for c in CELLS}
    trained = st.session_state.get(TRAINED_KEY)
    for c in (trained or {}).get("models", {}):
        out[TRAINED + c] = f"{c.upper()} (trained here)"
    return out


@st.cache_resource(max_entries=3, show_spinner=False)
def _shipped(cell: str):
    return load_flipflop(cell)


def flipflop(choice: str):
    """(FlipFlop, states of a 300-step pulse trajectory, cache token) of a network choice:
    a shipped cell ("gru") or one trained on the Training page ("trained:gru")."""
    if choice.startswith(TRAINED):
        trained = st.session_state[TRAINED_KEY]
        cell = choice[len(TRAINED):]
        ff, token = trained["models"][cell], f"{trained['token']}:{cell}"
    else:
        ff, token = _shipped(choice), choice
    return ff, _states(ff, token), token


@st.cache_resource(max_entries=8, show_spinner=False)
def _states(_ff, token: str):
    x, _ = flipflop_data(1, 300, np.random.default_rng(0), bits=_ff.bits)
    return _ff.states(x)


SEARCHES = {"quick": "quick: 64 starts", "thorough": "thorough: 256 starts, as the cards"}


@st.cache_resource(max_entries=8, show_spinner=False)
def _flipflop_points(_ff, token: str, search: str):
    if search == "thorough":         # flipflop.describe: the cards' and the seed table's search
        x, _ = flipflop_data(1, 1000, np.random.default_rng(0), bits=_ff.bits)
        states, n_init, iters = _ff.states(x), 256, 400
    else:
        states, n_init, iters = _states(_ff, token), 64, 200
    return _run_with_progress(lambda progress: fixed_points(
        _ff.model, None, n_init=n_init, states=states, seed=0, iters=iters,
        progress=progress))


def flipflop_points(ff, token: str, search: str = "quick"):
    """The fixed points of a flip-flop network under x = 0: "quick" (64 starts from the
    300-step trajectory drawn) or "thorough" (`flipflop.describe`'s search, whose counts are
    the cards' and the seed table's)."""
    return _flipflop_points(ff, token, search)


def search_note(counts: dict, card: dict | None, search: str) -> str | None:
    """A caption when the quick search counts differ from the card's thorough one."""
    fp = (card or {}).get("fixed_points")
    if search != "quick" or not fp or all(counts[k] == fp[k] for k in ("stable", "saddle")):
        return None
    return (f"This quick search finds {counts['stable']} stable points and {counts['saddle']} "
            f"saddles; the card's thorough search found {fp['stable']} and {fp['saddle']}. "
            f"Choose *thorough* to see them (slower for a network with many slow points, "
            f"like the shipped GRU).")


def picked_point(click: dict | None, n_points: int, key: str) -> None:
    """Make the selectbox `key` follow a click on a fixed point (its customdata is the point's
    index): a click not seen before sets the selectbox and reruns, so the chart, the box and
    the eigenvalues show one selection."""
    seen = key + ".click"
    if click is None or click == st.session_state.get(seen):
        return
    st.session_state[seen] = click
    idx = click.get("customdata")
    if isinstance(idx, list):
        idx = idx[0] if idx else None
    if isinstance(idx, (int, float)) and 0 <= int(idx) < n_points \
            and st.session_state.get(key) != int(idx):
        st.session_state[key] = int(idx)
        st.rerun()


@st.cache_data(show_spinner=False)
def _seed_table(mtime: float) -> dict | None:
    return seed_table(SEEDS_TABLE) if SEEDS_TABLE.exists() else None


def seed_spread() -> dict | None:
    """The shipped multi-seed table (rnnviz.training.flipflop_seeds), None when missing."""
    return _seed_table(SEEDS_TABLE.stat().st_mtime if SEEDS_TABLE.exists() else 0.0)


def _run_with_progress(job):
    """Run job(progress) on the worker thread; show a progress bar until it ends."""
    if get_script_run_ctx() is None:          # the server's warm-up: no page, no bar
        return job(lambda f: None)
    done = {"f": 0.0}
    future = _POOL.submit(job, lambda f: done.__setitem__("f", f))
    bar = st.progress(0.0, text="Searching for fixed points…")
    while not future.done():
        bar.progress(min(done["f"], 1.0), text="Searching for fixed points…")
        time.sleep(0.05)
    bar.empty()
    return future.result()


@st.cache_resource(max_entries=8, show_spinner=False)
def constant_orbit(_model, identity: str, char: str, steps: int = 300):
    """The states of a char LM reading `char` forever from its start, and the last state as
    a (fixed or slow) point with q and eigenvalues."""
    net = _model.network("float64")
    ids = _model.vocab.encode_tokens(_model.tokens(char))
    xv = np.zeros(net.config.n_x)
    xv[int(ids[0])] = 1
    st0 = _model.state0
    s0 = (np.concatenate([np.asarray(v, np.float64)[:, 0] for v in st0 if v is not None])
          if st0 is not None else np.zeros(net.config.n_a * len(net.cell.state)))
    S = run_constant(net, xv, s0, steps)
    step = StepMap(net, xv)
    F = step.next_state(S[-1:])
    q = 0.5 * float(((F[0] - S[-1]) ** 2).sum())
    return S, _point(step, S[-1], q)


def _spread(s: dict, pct: bool = False) -> str:
    """"mean ± std (min–max)" of a summary; accuracies in percent."""
    k = 100 if pct else 1
    unit = "%" if pct else ""
    return (f"{k * s['mean']:.1f}{unit} ± {k * s['std']:.1f} "
            f"({k * s['min']:.{1 if pct else 0}f}–{k * s['max']:.{1 if pct else 0}f})")


def spread_section() -> None:
    """The multi-seed table (mean ± standard deviation (min–max) per cell) and, per cell,
    where the course story holds for the seeds and the shipped model, in words computed
    from the numbers."""
    from rnnviz.training.flipflop_seeds import story

    table = seed_spread()
    if table is None:
        st.info("The multi-seed table is missing: run "
                "`python -m rnnviz.training.flipflop_seeds`.")
        return
    cfg, mem = table["settings"], table["memories"]
    title = f"One seed is an anecdote: {len(cfg['seeds'])} seeds per cell"
    with st.expander(title, expanded=True):
        rows = [f"| cell | accuracy | stable points | saddles | seeds with {mem} stable |",
                "|---|---|---|---|---|"]
        for c, per in table["cells"].items():
            rows.append(f"| {c.upper()} | {_spread(per['accuracy'], pct=True)} | "
                        f"{_spread(per['stable'])} | {_spread(per['saddle'])} | "
                        f"{table['one_per_memory'][c]} of {per['stable']['n']} |")
        st.markdown("\n".join(rows))
        st.caption(f"Mean ± standard deviation (min–max) over seeds {cfg['seeds']}: n_a = "
                   f"{cfg['n_a']}, {cfg['steps']} Adam steps each (shorter runs than the "
                   f"shipped seed-0 models'), fixed points searched as for the shipped cards. "
                   f"Reproduce: `{table['command']}`.")
        for c in table["cells"]:
            try:
                card = _shipped(c).card
            except FileNotFoundError:
                card = None
            st.markdown(story(table, c, card))
