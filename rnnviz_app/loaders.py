"""Cached loaders: the model of a spec, its reading of a text, and the backward pass.

One route for every page: ``get_reading(spec, text)`` runs `ModelInUse.read` (tokens, x and
the forward trace, one forward pass) once per (spec, text); ``get_backward`` reuses the
reading the loss is computed on. Every cached function takes small keys (a `ModelSpec` of a
few scalars and a string), never arrays. Results are shared by all sessions, so their arrays
are read-only (``flags.writeable = False``): copy before changing anything.

Models that live in one session (an upload, a model trained in the app) are kept in
``st.session_state`` and named "session:<identity>" (`ModelInUse.identity`: a digest of the
whole model object: weights, vocabulary, tokenizer, case, start token, task, labels, readout),
so two sessions share a cached reading only when their models read every text the same way.
A model that cannot be had raises `ModelUnavailable`; nothing is substituted for it.
"""

from __future__ import annotations

import logging

import numpy as np
import streamlit as st

import rnnviz
from rnnviz.models import Backward, ModelInUse, ModelSpec, Reading, freeze, random_model
from rnnviz.models.gradcheck import check_key
from rnnviz.models.spec import SESSION_PREFIX, TRAINED_LMS
from rnnviz.units.heldout_summary import HELDOUT_CHARS
from rnnviz_app.state import DEFAULT_PRETRAINED, KEY_MODEL, KEY_SESSION_MODELS

log = logging.getLogger(__name__)

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


def session_name(model: ModelInUse) -> str:
    """The name a session model is cached under: "session:" + the first 24 hex digits of its
    identity (`ModelInUse.identity`: weights, vocabulary, tokenizer, case, start token, task,
    labels, readout, layers, variant). Two sessions share a cached reading only when their
    models read every text the same way."""
    return SESSION_PREFIX + model.identity[:24]


def add_session_model(model: ModelInUse, select: bool = True) -> ModelSpec:
    """Keep `model` for this session only (read-only from now on) and make it a sidebar
    choice; with `select` the sidebar switches to it. Returns its spec."""
    name = session_name(model.freeze())
    session_models()[name] = model
    if select:
        st.session_state[KEY_MODEL] = name
    return ModelSpec(name=name)


class ModelUnavailable(RuntimeError):
    """The model a spec names cannot be had; the message names it and says why."""

    def __init__(self, name: str, cause: str):
        super().__init__(f"The model {name!r} cannot be loaded: {cause}")
        self.name, self.cause = name, cause


# -- the route --------------------------------------------------------------------------------


@st.cache_resource(max_entries=_MODELS, show_spinner=False)
def _shared_model(spec: ModelSpec) -> ModelInUse:
    model = rnnviz.load_pretrained(spec.name) if not spec.is_random else random_model(
        spec.cell, spec.bidirectional, spec.n_a, spec.seed, spec.init_scale)
    return model.freeze()


def get_model(spec: ModelSpec) -> ModelInUse:
    """The model of `spec` (shared, read-only). A model that cannot be had raises
    `ModelUnavailable` naming it and the cause; nothing is substituted for it."""
    spec = spec.normalized()
    if spec.is_session:
        found = session_models().get(spec.name)
        if found is None:
            raise ModelUnavailable(spec.name, "it lived in another browser session, or the page "
                                   "was reloaded (a model you upload or train stays with the "
                                   "session it was made in): upload or train it again")
        return found
    try:
        return _shared_model(spec)
    except Exception as exc:        # a missing or broken checkpoint: say so, name the cause
        raise ModelUnavailable(spec.label(), f"{type(exc).__name__}: {exc}") from exc


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


def get_trace(spec: ModelSpec, text: str, layer: int | None = None):
    """The reading's trace; of layer `layer` (1-based) of a stacked model, default the top."""
    trace = get_reading(spec, text).trace
    return trace if layer is None else trace.layer(layer)


@st.cache_resource(max_entries=_READINGS, show_spinner=False)
def _backward(spec: ModelSpec, text: str, at: str, targets: tuple | None = None) -> Backward:
    model, reading = get_model(spec), get_reading(spec, text, for_loss=True)
    if targets is not None:             # a tagger's or classifier's labels, chosen on the page
        from rnnviz.gradients import with_targets

        reading = with_targets(model, reading, targets[1], targets[0])
    result = model.backward(reading, at=at)
    freeze(result.grads, result.btrace, result.y)
    return result


def get_backward(spec: ModelSpec, text: str, at: str = "all",
                 targets: tuple | None = None) -> Backward:
    """BPTT of the sentence's loss: at="all" (L = Σ_t L<t>) or "last" (L<T_x>), on
    `get_reading(spec, text, for_loss=True)` (`.steps`, `.trace`). targets: None (the
    reading's own: a char LM's next tokens) or (note, labels per step as a tuple of ints, -1 =
    none) for a tagger or classifier (`rnnviz.gradients.with_targets`)."""
    if at not in ("all", "last"):
        raise ValueError(f"at must be 'all' or 'last', got {at!r}")
    return _backward(spec.normalized(), text, at, targets)


# -- other package calls the pages share, cached on small keys --------------------------------


@st.cache_data(max_entries=8, show_spinner=False)
def get_csv(spec: ModelSpec, text: str, at: str | None = None,
            targets: tuple | None = None) -> bytes:
    """The reading's trace as a tidy CSV (t, token, unit, quantity, symbol, value, layer); with
    `at` ("all" or "last"), the backward trace of that loss instead (quantities dL/d·)."""
    trace = get_trace(spec, text) if at is None else get_backward(spec, text, at,
                                                                  targets).btrace
    return trace.to_dataframe().to_csv(index=False).encode("utf-8")


@st.cache_data(max_entries=256, show_spinner=False)
def get_da_split(spec: ModelSpec, text: str, at: str, t: int, direction: str = "",
                 layer: int | None = None, targets: tuple | None = None) -> dict:
    """Where ∂L/∂a<t> of `get_backward(spec, text, at)` comes from
    (`rnnviz.gradients.da_sources`): the norms "local" (from above: ŷ, or layer l+1 of a
    stacked model), "carried" (from the next step; 0 below float32 rounding of the total),
    "total", "dc" = ||∂L/∂c<t>|| for an LSTM (else None); in words, "source": where "local"
    comes from ("ŷ<t>", "ŷ<T_x>" for a← at t = 1 under the h_n readout, "layer l+1") and
    "next": the step "carried" comes from (t+1, or t-1 for a←; "step T_x+1" / "step 0" when
    there is none)."""
    from rnnviz.gradients import da_sources

    res = get_backward(spec, text, at, targets)
    return da_sources(get_model(spec).model, res.trace, res.btrace, res.y, at=at, t=t,
                      direction=direction, layer=layer)


GRADCHECK_STEPS = 20     # the gradient check's window: the first 20 steps of the loss


def get_gradient_check(spec: ModelSpec, text: str, at: str, targets: tuple | None = None):
    """BPTT against finite differences on a float64 copy over the first GRADCHECK_STEPS
    steps (`ModelInUse.check_gradients`): (the table of `rnnviz.figures.backward.
    gradcheck_table`, the largest relative error among the entries checked in relative
    terms). Cached by what the check reads (`rnnviz.models.gradcheck.check_key`): an edit
    after those steps reuses the check instead of 40 forward passes."""
    res = get_backward(spec, text, at, targets)
    return _gradient_check(spec, check_key(res, GRADCHECK_STEPS), res)


@st.cache_data(max_entries=64, show_spinner=False)
def _gradient_check(spec: ModelSpec, key: str, _res: Backward):
    import pandas as pd

    from rnnviz.figures.backward import gradcheck_table

    rows, loss = get_model(spec).check_gradients(_res, n_steps=GRADCHECK_STEPS)
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
    shipped LM (`LanguageModel.score`)."""
    out = load_lm(name).score(text)
    return {k: (np.asarray(v, dtype=np.float64) if k == "per_char" else float(v))
            for k, v in out.items()}


def lm_choices(shipped: dict[str, str]) -> dict[str, str]:
    """name -> label of the char LMs to choose from: the `shipped` ones (name -> label) and
    this session's own."""
    mine = {n: f"your model {m.name}" for n, m in session_models().items()
            if m.kind == "char_lm"}
    return {**shipped, **mine}


def get_preferences(names: dict[str, str], text_a: str, text_b: str) -> list[dict]:
    """One row per available shipped LM (name -> label): log P and bits per character of
    sentences A and B (`get_score`), and which one it prefers by how much
    (`rnnviz.figures.sampling.preference`)."""
    from rnnviz.figures.sampling import preference

    rows = []
    for name, label in names.items():
        if load_shipped(name) is not None:
            ra, rb = get_score(name, text_a), get_score(name, text_b)
            pr = preference(ra["log_prob"], rb["log_prob"])
            rows.append({"model": f"{label} ({name})", "log P(A)": ra["log_prob"],
                         "log P(B)": rb["log_prob"], "bits/char A": ra["bits_per_char"],
                         "bits/char B": rb["bits_per_char"], "prefers": pr["winner"],
                         "P(preferred) / P(other)": pr["ratio"]})
    return rows


@st.cache_data(max_entries=64, show_spinner=False)
def get_sensitivity(spec: ModelSpec, text: str) -> tuple[list[str], np.ndarray]:
    """(tokens, S) with S[t, t'] = ||∂ŷ<t>/∂x<t'>|| (`rnnviz.core.analysis.sensitivity_matrix`);
    ([], empty) for a text without tokens."""
    from rnnviz.core.analysis import sensitivity_matrix

    try:
        steps = get_reading(spec, text).steps
    except ValueError:
        return [], np.zeros((0, 0), dtype=np.float32)
    with np.errstate(all="ignore"):
        S = sensitivity_matrix(get_model(spec).model, steps.x)
    return list(steps.labels), S.astype(np.float32)


# -- the Units page: corpus-scale readings (keys name the corpus; `_text` is not hashed) -------

# The default corpus is the start of the held-out text (HELDOUT_CHARS): the sidebar's model
# reads it once per server; the whole split is one click away. The comparison of the three
# shipped char LMs and their saturation ship with them (`rnnviz.units.heldout_summary`).
CHAR_LMS = tuple(TRAINED_LMS.values())     # char-lm-rnn, char-lm-gru, char-lm-lstm


@st.cache_resource(max_entries=8, show_spinner=False)
def get_heldout(kind: str, full: bool = False) -> tuple[str, str]:
    """(name, text) of the held-out corpus for a model kind (`rnnviz.units.heldout_corpus`),
    its first HELDOUT_CHARS characters unless `full`."""
    from rnnviz.units import heldout_corpus

    name, text = heldout_corpus(kind)
    if full or len(text) <= HELDOUT_CHARS:
        return name, text
    return f"{name}, first {HELDOUT_CHARS:,} characters", text[:HELDOUT_CHARS]


def corpus_key(choice: str, text: str) -> str:
    """The key of a corpus for the cached readings below: the Corpus radio's choice and the
    text's hash (`rnnviz.units.corpus_id`)."""
    from rnnviz.units import corpus_id

    return f"{choice}:{corpus_id(text)}"


@st.cache_resource(max_entries=6, show_spinner=False)
def get_corpus_trace(spec: ModelSpec, corpus_key: str, quantity: str, _text: str):
    """The corpus trace of (model, corpus, quantity) (`rnnviz.units.corpus_trace`);
    `corpus_key` names `_text` (a hash)."""
    from rnnviz.units import corpus_trace

    return corpus_trace(get_model(spec), _text, (quantity,))


def _shipped_units(spec: ModelSpec, quantity: str, text: str):
    """(CorpusFacts, unit scores) of this reading when they ship with the models
    (`rnnviz.units.heldout_summary`: a shipped char LM, the very model in hand, its
    `default_quantity` over the first HELDOUT_CHARS held-out characters), else None."""
    from rnnviz.units import default_quantity

    spec = spec.normalized()
    if spec.is_random or spec.is_session or spec.name not in CHAR_LMS:
        return None
    summary = get_heldout_summary()
    shipped = load_shipped(spec.name)
    if summary is None or shipped is None or spec.name not in summary.scores:
        return None
    model = get_model(spec)
    if (model.identity != shipped.identity or quantity != default_quantity(model)
            or text != get_heldout("char_lm", full=True)[1][:HELDOUT_CHARS]):
        return None
    return summary.corpora[spec.name], summary.scores[spec.name]


@st.cache_resource(max_entries=32, show_spinner=False)
def get_corpus_facts(spec: ModelSpec, corpus_key: str, quantity: str, _text: str):
    """What the Units page says of the corpus reading (`rnnviz.units.CorpusFacts`): shipped
    for a shipped char LM's default reading (`_shipped_units`), else from the corpus trace."""
    from rnnviz.units import corpus_facts

    shipped = _shipped_units(spec, quantity, _text)
    if shipped is not None:
        return shipped[0]
    return corpus_facts(get_model(spec), get_corpus_trace(spec, corpus_key, quantity, _text))


@st.cache_resource(max_entries=32, show_spinner=False)
def get_unit_scores(spec: ModelSpec, corpus_key: str, quantity: str, regex: str, _text: str):
    """Pearson r of every unit with every built-in feature (and the custom `regex`, when
    given) over the corpus (`rnnviz.units.unit_scores`). A shipped char LM's default reading
    without a regex: the scores that ship with it (`_shipped_units`), the same numbers."""
    from rnnviz.units import feature_matrix, unit_scores

    if not regex:
        shipped = _shipped_units(spec, quantity, _text)
        if shipped is not None:
            return shipped[1]
    corpus = get_corpus_trace(spec, corpus_key, quantity, _text)
    features = feature_matrix(corpus, None, {"custom pattern": regex}) if regex else None
    return unit_scores(corpus, quantity, features)


@st.cache_resource(max_entries=64, show_spinner=False)
def get_pattern_matches(spec: ModelSpec, corpus_key: str, quantity: str, units: tuple,
                        threshold: float, ends: str, _text: str):
    """Where `units` switch on together in the corpus (`rnnviz.units.search_pattern`)."""
    from rnnviz.units import search_pattern

    corpus = get_corpus_trace(spec, corpus_key, quantity, _text)
    return search_pattern(corpus, list(units), threshold, quantity, ends=ends)


@st.cache_resource(max_entries=16, show_spinner=False)
def get_sentence_trace(spec: ModelSpec, text: str, quantity: str):
    """The corpus trace of one sentence (spans, features and `quantity` per step)."""
    from rnnviz.units import corpus_trace

    return corpus_trace(get_model(spec), text, (quantity,))


@st.cache_resource(max_entries=1, show_spinner=False)
def get_heldout_summary():
    """The shipped summary of the three char LMs over their held-out text
    (`rnnviz.units.heldout_summary`), or None when it is not of the models and text in hand
    (a retrained model, or stand-ins): then `_units_comparison` reads the models."""
    from rnnviz.units.heldout_summary import SHIPPED, read_summary

    models = {n: load_shipped(n) for n in CHAR_LMS}
    if any(m is None for m in models.values()):
        return None
    summary = read_summary(models, get_heldout("char_lm", full=True)[1])
    if summary is None:
        log.warning("%s is not of the char LMs in hand: the Units page reads them afresh "
                    "(rebuild it: python -m rnnviz.units.heldout_summary)", SHIPPED.name)
    return summary


@st.cache_resource(max_entries=1, show_spinner=False)
def _units_comparison():
    """The three shipped char LMs over their held-out text: the shipped summary when it is
    theirs, else read now (`rnnviz.units.heldout_summary.compute_summary`, the same numbers)."""
    from rnnviz.units.heldout_summary import compute_summary

    summary = get_heldout_summary()
    if summary is not None:
        return summary
    models = {n: load_shipped(n) for n in CHAR_LMS}
    return compute_summary(models, get_heldout("char_lm", full=True)[1])


def get_best_units():
    """Best unit per built-in feature for the three shipped char LMs on the held-out text
    (`rnnviz.units.best_units`; each reads its `default_quantity`)."""
    return _units_comparison().best


def get_saturation() -> dict:
    """name -> gate saturation (`rnnviz.units.gate_saturation`) of the three shipped char LMs
    over the first SATURATION_CHARS held-out characters."""
    return dict(_units_comparison().saturation)


def _default_units_reading():
    """(spec, corpus key, quantity, text) of the Units page's first visit: the sidebar's default
    model over the default corpus, its default quantity; None when that model is not here."""
    from rnnviz.units import default_quantity

    if DEFAULT_PRETRAINED not in shipped_models() or load_shipped(DEFAULT_PRETRAINED) is None:
        return None
    _, text = get_heldout("char_lm")
    spec = ModelSpec(name=DEFAULT_PRETRAINED)
    return spec, corpus_key("heldout", text), default_quantity(get_model(spec)), text


def warm_units_readings() -> None:
    """The Units page's first visit, read once per server and not in a visitor's click: the
    sidebar's default model's facts and unit scores over the default corpus and the comparison
    of the three char LMs and their saturation (each shipped with the models, or read here
    when the file is not of these models). The app starts this in a background thread after
    its first run (`rnnviz_app.shell`); the caches are shared by every session, and a visitor
    who arrives before it is done waits for the reading in progress (one per key) instead of
    starting another. `warm_units_trace` reads the corpus trace the other tabs need."""
    if any(load_shipped(n) is None for n in CHAR_LMS):
        return
    default = _default_units_reading()
    if default is not None:
        spec, key, quantity, text = default
        get_corpus_facts(spec, key, quantity, text)
        get_unit_scores(spec, key, quantity, "", text)
    _units_comparison()


def warm_units_trace() -> None:
    """The default model's corpus trace of the default corpus (0.4-0.8 s of BLAS), which the
    Units page's painting and search tabs read: its first tab does not wait for it."""
    default = _default_units_reading()
    if default is not None:
        get_corpus_trace(*default)
