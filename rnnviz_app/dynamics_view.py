"""Helpers of the Dynamics page (pages/dynamics.py): cached computations, the background
fixed-point search with progress, and the page's notes."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import streamlit as st

from rnnviz.dynamics import fixed_points, jacobian_spectrum
from rnnviz.dynamics.fixed_points import StepMap, _point, run_constant
from rnnviz.training.flipflop import flipflop_data, load_flipflop

CELLS = ("rnn", "gru", "lstm")
SIDE_CHARS = 60          # the three char LMs side by side read at most this many characters
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fixed-points")

NOTES = {
    "spectrum": (
        "Each step multiplies the gradient by ∂s\\<t\\>/∂s\\<t−1\\>ᵀ. The grey band runs from "
        "its smallest to its largest singular value; the dashed line is 1. Singular values "
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


@st.cache_resource(max_entries=16, show_spinner=False)
def spectrum(_model, identity: str, text: str, layer: int | None):
    """The step-Jacobian spectrum of a model in use (cached by its identity and the text)."""
    return jacobian_spectrum(_model, text, layer=layer)


@st.cache_resource(max_entries=3, show_spinner=False)
def flipflop(cell: str):
    """A shipped flip-flop model, a pulse trajectory (300 steps) and its states."""
    ff = load_flipflop(cell)
    x, _ = flipflop_data(1, 300, np.random.default_rng(0), bits=ff.bits)
    return ff, ff.states(x)


@st.cache_resource(max_entries=3, show_spinner=False)
def _flipflop_points(cell: str, n_init: int, seed: int):
    ff, states = flipflop(cell)
    return _run_with_progress(lambda progress: fixed_points(
        ff.model, None, n_init=n_init, states=states, seed=seed, progress=progress))


def flipflop_points(cell: str, n_init: int = 64, seed: int = 0):
    return _flipflop_points(cell, n_init, seed)


def _run_with_progress(job):
    """Run job(progress) on the worker thread; show a progress bar until it ends."""
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
    F, _ = StepMap(net, xv)(S[-1:])
    q = 0.5 * float(((F[0] - S[-1]) ** 2).sum())
    return S, _point(StepMap(net, xv), S[-1], q)
