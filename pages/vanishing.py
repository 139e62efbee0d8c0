"""Vanishing gradients: how far back the loss at T_x still reaches, RNN vs GRU vs LSTM."""

import numpy as np
import pandas as pd
import streamlit as st

import rnnviz_app as ui
from rnnviz.core import analysis
from rnnviz.figures import vanishing as figs
from rnnviz.models import TRAINED_LMS, comparison_models
from rnnviz_app.notes import VANISHING as NOTES

K = "vanishing."
DEFAULTS = {
    K + "T": 100, K + "n_a": 32, K + "rho": 0.9,
    K + "activation": "tanh", K + "forget_bias": 1.0, K + "measure": "loss",
    K + "clip": "norm", K + "threshold": 1.0,
}
THRESHOLDS = [0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 100.0]


@st.cache_resource(max_entries=32, show_spinner=False)
def _curves(text, T, weights, n_a, rho, activation, forget_bias, seed, measure):
    """Per architecture: the gradient curve of the sentence repeated to T steps."""
    curves = {}
    models = comparison_models(weights, n_a=n_a, rho=rho, activation=activation,
                               forget_bias=forget_bias, seed=seed)
    for cell, (model, vocab) in models.items():
        ids, target = analysis.repeat_ids(vocab.encode(text), T)
        x = vocab.one_hot(ids, dtype=np.float64)
        curves.update(analysis.gradient_curves({figs.NAMES[cell]: model}, x, target,
                                           measure=measure))
    for c in curves.values():
        c["norms"].flags.writeable = False
    return curves


@ui.cache_figure
def _figure(*args):
    curves = _curves(*args)
    return figs.vanishing_figure({n: c["norms"] for n, c in curves.items()}, measure=args[-1])


def _controls(have_trained: bool) -> tuple:
    """The page's settings as one tuple of small values (the cache key)."""
    c1, c2, c3 = st.columns(3, gap="medium")
    with c1:
        weights = st.radio(
            "Weights", ["random", "trained"], key=K + "weights", horizontal=True,
            format_func=lambda w: {"random": "random (same init for all three)",
                                   "trained": "trained char LMs"}[w],
            disabled=not have_trained,
            help=None if have_trained else "The shipped char-lm-rnn/gru/lstm are not available.",
        )
        T = st.slider("Sequence length T_x", 10, 500, step=10, key=K + "T",
                      help="Your sentence, repeated until it is this long.")
        measure = st.radio("Measure", list(figs.MEASURES), key=K + "measure",
                           format_func=lambda m: ui.md(figs.MEASURES[m]))
    trained = weights == "trained"
    with c2:
        n_a = st.slider("n_a (hidden units)", 4, 128, key=K + "n_a", disabled=trained)
        rho = st.slider("Spectral radius ρ of each recurrent block", 0.1, 3.0, step=0.1,
                        key=K + "rho", disabled=trained,
                        help="Orthogonal init rescaled so that every eigenvalue of W_aa has "
                             "|λ| = ρ. ρ < 1 shrinks a<t-1>'s contribution at every step; "
                             "ρ > 1 grows it.")
    with c3:
        activation = st.radio("RNN activation g", ["tanh", "relu"], key=K + "activation",
                              horizontal=True, disabled=trained,
                              format_func={"tanh": "tanh", "relu": "ReLU"}.__getitem__)
        forget_bias = st.slider("LSTM forget-gate bias b_f", -3.0, 5.0, step=0.5,
                                key=K + "forget_bias", disabled=trained,
                                help="Γf = σ(… + b_f): b_f = 1 starts Γf near 0.73, b_f = 5 "
                                     "near 0.99, so c<t-1> is kept almost unchanged.")
    if trained:
        return int(T), weights, 0, 0.0, "tanh", 0.0, 0, measure
    return (int(T), weights, int(n_a), float(rho), activation, float(forget_bias),
            int(ui.current_spec().seed), measure)


def _warnings(curves: dict) -> None:
    bad = [n for n, c in curves.items() if c["nonfinite"]]
    if bad:
        st.warning(
            f"{', '.join(bad)}: the values overflowed to inf/NaN (exploding activations or "
            "gradients). Those points are left out of the chart; lower ρ or switch the RNN "
            "to tanh to bring them back.")
    exploding = [n for n, c in curves.items()
                 if not c["nonfinite"] and analysis.growth(c["norms"]) > 1e3]
    if exploding:
        st.warning(
            f"Exploding gradients: for {', '.join(exploding)} the norm grows by more than "
            "1000× going back in time. Training steps would be dominated by the earliest "
            "inputs, or overflow: this is what gradient clipping (below) is for.")


def _clipping(curves: dict) -> None:
    st.header("Exploding gradients and clipping", anchor="clipping", divider="gray")
    c1, c2 = st.columns([1, 2], gap="medium")
    with c1:
        method = st.radio("Clipping", ["none", "value", "norm"], key=K + "clip",
                          format_func={"none": "none", "value": "clip by value (each entry)",
                                       "norm": "clip by global norm"}.__getitem__)
        threshold = st.select_slider("Threshold", THRESHOLDS, key=K + "threshold")
        summaries = {n: analysis.clip_summary(c["grads"], method, threshold)
                     for n, c in curves.items()}
        table = pd.DataFrame({
            "architecture": list(summaries),
            "||∂L/∂θ|| before": [s["norm_before"] for s in summaries.values()],
            "after": [s["norm_after"] for s in summaries.values()],
            "largest |entry| after": [s["max_after"] for s in summaries.values()],
            "cosine(after, before)": [s["cosine"] for s in summaries.values()],
        })
        st.dataframe(table, hide_index=True, key="vanishing.clip_table",
                     column_config={c: st.column_config.NumberColumn(format="%.3e")
                                    for c in table.columns[1:4]})
    with c2:
        ui.chart(figs.clipping_figure(summaries, method=method, threshold=threshold),
                 key="vanishing.clip_chart")
    ui.look_for(NOTES["clipping"])


def render() -> None:
    ui.ensure_frame()
    st.title("Vanishing gradients")
    st.caption(
        "The same input for three architectures, the loss at the last step only: how much "
        "does ∂L/∂a\\<t\\> still depend on step t as t moves back from T_x? (Course notes: "
        "\"Vanishing gradients with RNNs\", and why GRUs and LSTMs were invented.)")
    ctx = ui.page_context()
    have_trained = all(name in ui.shipped_models() for name in TRAINED_LMS.values())
    # The trained char LMs tell the story on first load; random weights let you explore.
    st.session_state.setdefault(K + "weights", "trained" if have_trained else "random")
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    if not have_trained:
        st.session_state[K + "weights"] = "random"
    settings = _controls(have_trained)
    T, weights, measure = settings[0], settings[1], settings[-1]
    st.caption(NOTES["models_trained" if weights == "trained" else "models_random"])
    args = (ctx.text, *settings)
    # Multiplying T_x Jacobians of size (n_s, n_s) costs O(T_x n_s³): seconds for big models.
    with st.spinner("Multiplying the step Jacobians…" if measure == "jacobian" else
                    "Back-propagating…"):
        curves = _curves(*args)
    _warnings(curves)
    trained = weights == "trained"
    ui.chart_with_note(
        _figure(*args), key="vanishing.chart",
        note=NOTES["curves"] + NOTES["trained" if trained else "random"] + NOTES["threshold"])
    for col, (name, c) in zip(st.columns(3), curves.items(), strict=True):
        k = analysis.vanishing_reach(c["norms"])
        col.metric(f"{name}: stays below 10⁻³ from", "never" if k is None else f"{k} steps back",
                   help=f"From how many steps back (of T_x = {T}) on the norm stays below 1/1000 "
                        "of its value at T_x ('never': still above it at t = 1).")
    _clipping(curves)


render()
