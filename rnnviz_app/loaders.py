"""Cached loaders: the model of a spec, its reading of a text, and the backward pass.

One route for every page: ``get_reading(spec, text)`` runs `ModelInUse.read` (tokens, x and
the forward trace, one forward pass) once per (spec, text); ``get_backward`` reuses the
reading the loss is computed on. Every cached function takes small keys (a `ModelSpec` of a
few scalars and a string), never arrays. Results are shared by all sessions, so their arrays
are read-only (``flags.writeable = False``): copy before changing anything.

Models that live in one session (an upload, a model trained in the app) are kept in
``st.session_state`` and named "session:<digest of their weights>": the same weights give the
same name, so sharing their cached readings between sessions is safe.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

import rnnviz
from rnnviz.models import Backward, ModelInUse, ModelSpec, Reading, Steps, freeze, random_model
from rnnviz.models.spec import SESSION_PREFIX
from rnnviz_app.state import KEY_MODEL, KEY_SESSION_MODELS

# Bounded caches: a trace of 300 steps of a 256-unit LSTM is a few MB.
_MODELS = 24
_READINGS = 48


def shipped_models() -> list[str]:
    """Names of the shipped pretrained models that are present (may be empty)."""
    try:
        return [str(n) for n in rnnviz.list_pretrained()]
    except Exception:  # a half-written checkpoint must not take the app down
        return []


def load_shipped(name: str) -> ModelInUse | None:
    """The shipped model `name`, or None when it is not available."""
    try:
        return rnnviz.load_pretrained(name)
    except Exception:  # a missing or half-written checkpoint must not take the page down
        return None


def load_lm(name: str) -> ModelInUse | None:
    """A language model by name: shipped, or one that lives in this session ("session:...")."""
    if name.startswith(SESSION_PREFIX):
        return session_models().get(name)
    return load_shipped(name)


def missing_models(*names: str) -> bool:
    """Show an info box and return True when one of the shipped models is missing."""
    absent = [n for n in names if load_shipped(n) is None]
    if absent:
        st.info(f"Model not available: {', '.join(absent)}. Train it with "
                f"`python -m rnnviz.train {absent[0]}` (it ships with rnnviz).")
    return bool(absent)


# -- models that live in this session ---------------------------------------------------------


def session_models() -> dict[str, ModelInUse]:
    """name -> model of the models added in this session (uploads, trained in the app)."""
    return st.session_state.setdefault(KEY_SESSION_MODELS, {})


def model_digest(model: ModelInUse) -> str:
    """A short content hash of the weights, vocabulary, kind and labels."""
    h = hashlib.sha256()
    h.update(repr((model.kind, model.config, list(model.vocab.itos), model.output_labels,
                   model.state0 is not None)).encode())
    for k in sorted(model.model.params):
        h.update(k.encode())
        h.update(np.ascontiguousarray(model.model.params[k]).tobytes())
    return h.hexdigest()[:16]


def add_session_model(model: ModelInUse, select: bool = True) -> ModelSpec:
    """Keep `model` for this session only (read-only from now on) and make it a sidebar
    choice; with `select` the sidebar switches to it. Returns its spec."""
    name = SESSION_PREFIX + model_digest(model)
    session_models()[name] = model.freeze()
    if select:
        st.session_state[KEY_MODEL] = name
    return ModelSpec(name=name)


# -- the route --------------------------------------------------------------------------------


@st.cache_resource(max_entries=_MODELS, show_spinner=False)
def _shared_model(spec: ModelSpec) -> ModelInUse:
    model = rnnviz.load_pretrained(spec.name) if not spec.is_random else random_model(
        spec.cell, spec.bidirectional, spec.n_a, spec.seed, spec.init_scale)
    return model.freeze()


def get_model(spec: ModelSpec) -> ModelInUse:
    """The model of `spec` (shared, read-only). A shipped or session model that cannot be
    had falls back to random weights, so a broken choice degrades one choice, not the app."""
    spec = spec.normalized()
    if spec.is_session:
        found = session_models().get(spec.name)
        if found is not None:
            return found
        spec = ModelSpec()
    if not spec.is_random:
        try:
            return _shared_model(spec)
        except Exception:
            spec = ModelSpec()
    return _shared_model(spec)


@st.cache_resource(max_entries=_READINGS, show_spinner=False)
def _read(spec: ModelSpec, text: str, for_loss: bool) -> Reading:
    reading = get_model(spec).read(text, for_loss=for_loss)
    freeze(reading)
    return reading


def get_reading(spec: ModelSpec, text: str, for_loss: bool = False) -> Reading:
    """The model reading `text`: `.steps` and `.trace` (ValueError for a text without tokens;
    with for_loss, a char LM below two tokens)."""
    spec = spec.normalized()
    # Only a language model's loss reads a different input (the sentence minus its last token).
    for_loss = bool(for_loss) and get_model(spec).kind == "char_lm"
    return _read(spec, text, for_loss)


def get_steps(spec: ModelSpec, text: str) -> Steps:
    return get_reading(spec, text).steps


def get_trace(spec: ModelSpec, text: str):
    return get_reading(spec, text).trace


@st.cache_resource(max_entries=_READINGS, show_spinner=False)
def _backward(spec: ModelSpec, text: str, at: str) -> Backward:
    result = get_model(spec).backward(get_reading(spec, text, for_loss=True), at=at)
    freeze(result.grads, result.btrace, result.y)
    return result


def get_backward(spec: ModelSpec, text: str, at: str = "all") -> Backward:
    """BPTT of the sentence's loss: at="all" (L = Σ_t L<t>) or "last" (L<T_x>), on
    `get_reading(spec, text, for_loss=True)` (`.steps`, `.trace`)."""
    if at not in ("all", "last"):
        raise ValueError(f"at must be 'all' or 'last', got {at!r}")
    return _backward(spec.normalized(), text, at)


# -- other package calls the pages share, cached on small keys --------------------------------


@st.cache_resource(max_entries=64, show_spinner=False)
def get_dw_contributions(spec: ModelSpec, text: str, at: str, direction: str = ""):
    """Per weight matrix, the norms of each step's term dz<t> [a<t-1>; x<t>]ᵀ of ∂L/∂W and of
    their running sum from T_x (`rnnviz.figures.backward.dw_contributions`), for the BPTT of
    `get_backward(spec, text, at)`."""
    from rnnviz.figures.backward import dw_contributions

    res = get_backward(spec, text, at)
    return dw_contributions(get_model(spec).model, res.trace, res.btrace, direction=direction)


@st.cache_data(max_entries=8, show_spinner=False)
def get_csv(spec: ModelSpec, text: str) -> bytes:
    """The reading's trace as a tidy CSV (t, token, unit, quantity, symbol, value)."""
    return get_trace(spec, text).to_dataframe().to_csv(index=False).encode("utf-8")


@st.cache_data(max_entries=256, show_spinner=False)
def get_da_split(spec: ModelSpec, text: str, at: str, t: int, direction: str = "") -> dict:
    """Where ∂L/∂a<t> of `get_backward(spec, text, at)` comes from
    (`rnnviz.figures.backward.da_split`): the norms "local" (from ŷ<t>), "carried" (from step
    t+1; 0 below float32 rounding of the total), "total", and "dc" = ||∂L/∂c<t>|| for an LSTM
    (else None)."""
    from rnnviz.figures.backward import da_split

    res = get_backward(spec, text, at)
    local, carried, total = da_split(get_model(spec).model, res.trace, res.btrace, res.y, at=at,
                                     t=t, direction=direction)
    dc = "dc" + (f"_{direction}" if direction else "")
    lstm = get_model(spec).config.cell == "lstm" and dc in res.btrace.keys()
    return {"local": local, "carried": 0.0 if carried <= 1e-5 * max(total, 1e-30) else carried,
            "total": total,
            "dc": float(np.linalg.norm(res.btrace[dc][:, 0, t - 1])) if lstm else None}


@st.cache_data(max_entries=64, show_spinner=False)
def get_gradient_check(spec: ModelSpec, text: str, at: str):
    """BPTT against finite differences on a float64 copy over the first 20 steps
    (`ModelInUse.check_gradients`): (the table of `rnnviz.figures.backward.gradcheck_table`,
    the largest relative error among the entries checked in relative terms)."""
    import pandas as pd

    from rnnviz.figures.backward import gradcheck_table

    rows, loss = get_model(spec).check_gradients(get_backward(spec, text, at), n_steps=20)
    table = pd.DataFrame(gradcheck_table(rows, loss=loss, eps=1e-5))
    checked = table[table["check"] == "ok"] if len(table) else table
    return table, float(checked["relative error"].max()) if len(checked) else float("nan")


@st.cache_resource(max_entries=32, show_spinner=False)
def get_sample(name: str, prefix: str, temperature: float, top_k: int, length: int,
               seed: int) -> dict:
    """A shipped (or this session's) LM's sample, deterministic for its arguments, as compact
    float32 arrays (`rnnviz.lm.Sample.arrays`) with the prefix and the vocabulary; read-only."""
    p = load_lm(name)
    s = p.sample(prefix, length=length, temperature=temperature, top_k=top_k or None,
                 rng=np.random.default_rng(seed))
    out = {"prefix": prefix, "itos": tuple(p.vocab.itos), **s.arrays()}
    freeze(out)
    return out


@st.cache_data(max_entries=256, show_spinner=False)
def get_score(name: str, text: str) -> dict:
    """log P(text), bits per character, perplexity and the per-character terms under a
    shipped LM (`CharLM.score`)."""
    out = load_lm(name).score(text)
    return {k: (np.asarray(v, dtype=np.float64) if k == "per_char" else float(v))
            for k, v in out.items()}


def get_tags(name: str, text: str) -> tuple[list[str], np.ndarray]:
    """(tokens, P(class 1) per token) of the tagger `name` from its cached reading (the
    shipped ner taggers: P(name)); ([], empty) for a text without tokens."""
    try:
        reading = get_reading(ModelSpec(name), text)
    except ValueError:
        return [], np.zeros(0)
    return (list(reading.steps.labels),
            np.asarray(reading.trace["y_hat"][1, 0, :], dtype=np.float64))


@st.cache_data(max_entries=64, show_spinner=False)
def get_sensitivity(spec: ModelSpec, text: str) -> tuple[list[str], np.ndarray]:
    """(tokens, S) with S[t, t'] = ||∂ŷ<t>/∂x<t'>|| (`rnnviz.core.analysis.sensitivity_matrix`);
    ([], empty) for a text without tokens."""
    from rnnviz.core.analysis import sensitivity_matrix

    try:
        steps = get_steps(spec, text)
    except ValueError:
        return [], np.zeros((0, 0), dtype=np.float32)
    with np.errstate(all="ignore"):
        S = sensitivity_matrix(get_model(spec).model, steps.x)
    return list(steps.labels), S.astype(np.float32)
