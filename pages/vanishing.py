"""Vanishing gradients: how far back the loss at T_x still reaches, RNN vs GRU vs LSTM and the
sidebar's model (curves: `rnnviz.vanishing`; wiring: `rnnviz_app.vanishing_view`)."""

import streamlit as st

import rnnviz_app as ui
from rnnviz.core import analysis
from rnnviz.figures import vanishing as figs
from rnnviz.models import TRAINED_LMS
from rnnviz_app import vanishing_view as view
from rnnviz_app.notes import VANISHING as NOTES

K = "vanishing."
DEFAULTS = {
    K + "T": 100, K + "n_a": 32, K + "rho": 0.9,
    K + "activation": "tanh", K + "forget_bias": 1.0, K + "measure": "loss",
    K + "clip": "norm", K + "threshold": 1.0,
}


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
        curves = view.all_curves(ctx.model, args)
    view.your_model_note(ctx, curves)
    view.warnings(curves)
    trained = weights == "trained"
    st.markdown(ui.md("**" + figs.MEASURES[measure] + "**, per step t: the loss is at the "
                      "right end, t = T_x"))
    ui.chart_with_note(
        view.figure(ctx.model, *args), key="vanishing.chart",
        note=NOTES["curves"] + NOTES["trained" if trained else "random"] + NOTES["threshold"])
    st.markdown("**The norm stays below 10⁻³ of its value at T_x from …**")
    for col, (name, c) in zip(st.columns(len(curves)), curves.items(), strict=True):
        k = analysis.vanishing_reach(c["norms"])
        mine = name not in figs.NAMES.values()          # the sidebar's model: a short label
        col.metric("sidebar's model" if mine else name,
                   "never" if k is None else f"{k} steps back",
                   help=(f"{name}. " if mine else "") + f"From how many steps back (of T_x = "
                        f"{T}) on the norm stays below 1/1000 of its value at T_x ('never': "
                        "still above it at t = 1).")
    view.clipping(curves)


render()
