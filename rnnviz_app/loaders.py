"""Cached loaders: models, steps, traces and backward passes, keyed on small values.

Every function takes a `ModelSpec` (a frozen dataclass of a few scalars) and a string, and
calls a `st.cache_resource` function on those scalars: the cache never hashes an array.
Results are shared by all sessions, so their arrays are frozen (``flags.writeable = False``):
copy before changing anything.
"""

from __future__ import annotations

import streamlit as st

import rnnviz
from rnnviz_app.models import Backward, LoadedModel, Steps, freeze
from rnnviz_app.state import RANDOM, ModelSpec

# Bounded caches: a trace of 300 steps of a 128-unit LSTM is a few MB.
_MODELS = 24
_TRACES = 48


def _pretrained_available() -> bool:
    return hasattr(rnnviz, "load_pretrained") and hasattr(rnnviz, "list_pretrained")


def shipped_models() -> list[str]:
    """Names of the shipped pretrained models that are present (empty until they exist)."""
    if not _pretrained_available():
        return []
    try:
        return [str(n) for n in rnnviz.list_pretrained()]
    except Exception:  # a half-written checkpoint must not take the app down
        return []


def load_shipped(name: str):
    """The shipped model `name` (`rnnviz.load_pretrained`), or None when it is not available."""
    try:
        return rnnviz.load_pretrained(name)
    except Exception:  # a missing or half-written checkpoint must not take the page down
        return None


def missing_models(*names: str) -> bool:
    """Show an info box and return True when one of the shipped models is missing."""
    absent = [n for n in names if load_shipped(n) is None]
    if absent:
        st.info(f"Model not available: {', '.join(absent)}. Train it with "
                f"`python -m rnnviz.train {absent[0]}` (it ships with rnnviz).")
    return bool(absent)


@st.cache_resource(max_entries=_MODELS, show_spinner=False)
def _load_pretrained(name: str) -> LoadedModel:
    loaded = LoadedModel.from_pretrained(name, rnnviz.load_pretrained(name))
    freeze(loaded.model)
    return loaded


@st.cache_resource(max_entries=_MODELS, show_spinner=False)
def _load_random(cell: str, bidirectional: bool, n_a: int, seed: int,
                 init_scale: float) -> LoadedModel:
    loaded = LoadedModel.random(cell=cell, bidirectional=bidirectional, n_a=n_a, seed=seed,
                                init_scale=init_scale)
    freeze(loaded.model)
    return loaded


def get_model(spec: ModelSpec) -> LoadedModel:
    """The model of `spec` (shared, read-only). A shipped model that fails to load falls back
    to random weights, so a broken checkpoint degrades one choice, not the app."""
    spec = spec.normalized()
    if spec.name != RANDOM:
        try:
            return _load_pretrained(spec.name)
        except Exception:
            spec = ModelSpec()
    return _load_random(spec.cell, spec.bidirectional, spec.n_a, spec.seed, spec.init_scale)


def _key(spec: ModelSpec) -> tuple:
    s = spec.normalized()
    return (s.name, s.cell, s.bidirectional, s.n_a, s.seed, s.init_scale)


@st.cache_resource(max_entries=_TRACES, show_spinner=False)
def _steps(key: tuple, text: str) -> Steps:
    steps = get_model(ModelSpec(*key)).steps(text)
    freeze(steps)
    return steps


@st.cache_resource(max_entries=_TRACES, show_spinner=False)
def _trace(key: tuple, text: str):
    loaded = get_model(ModelSpec(*key))
    trace = loaded.trace(text, _steps(key, text))
    freeze(trace.rows, trace.tapes, trace.final_state)
    return trace


@st.cache_resource(max_entries=_TRACES, show_spinner=False)
def _backward(key: tuple, text: str, at: str) -> Backward:
    loaded = get_model(ModelSpec(*key))
    steps = loaded.training_steps(text)
    result = loaded.backward(steps, loaded.trace(text, steps), at=at)
    freeze(steps, result.grads, result.btrace.rows, result.y, result.trace.rows,
           result.trace.tapes)
    return result


def get_steps(spec: ModelSpec, text: str) -> Steps:
    """What each step reads and predicts (ValueError for a text without tokens)."""
    return _steps(_key(spec), text)


def get_trace(spec: ModelSpec, text: str):
    """The forward Trace of `text` (shared, read-only)."""
    return _trace(_key(spec), text)


def get_backward(spec: ModelSpec, text: str, at: str = "all") -> Backward:
    """BPTT of the sentence's loss: at="all" (L = Σ_t L<t>) or "last" (L<T_x>), on
    `LoadedModel.training_steps(text)` (`.steps`, `.trace`). ValueError for a char LM and
    fewer than two characters."""
    if at not in ("all", "last"):
        raise ValueError(f"at must be 'all' or 'last', got {at!r}")
    return _backward(_key(spec), text, at)
