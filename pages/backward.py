"""Backward pass (BPTT): a loss over the sentence, back-propagated from t = T_x down to 1."""

from dataclasses import asdict

import numpy as np
import pandas as pd
import streamlit as st

import rnnviz_app as ui
from rnnviz.core.analysis import global_norm, gradient_check
from rnnviz.core.model import Model, RNNConfig
from rnnviz.core.trace import split_key, symbol
from rnnviz.figures import backward as figs

KEY_LOSS = "backward.loss"
KEY_T = "backward.t"
KEY_KEYS = "backward.keys"
KEY_DIRECTION = "backward.direction"
LOSSES = {
    "all": "Next-token cross-entropy over the sentence: L = Σ_t L<t>",
    "last": "Loss at the last step only: L = L<T_x>",
}
MAX_PANELS = 3
# Above this many heatmap cells only the units with the largest gradients are drawn (keeps
# the page under 1.5 MB for a 256-unit model on 300 characters).
MAX_HEATMAP_CELLS = 90_000
# The gradient check runs the network twice per checked entry: on the first steps only.
GRADCHECK_STEPS = 20
# Equations of one BPTT step per cell (the kernels compute exactly these, fused).
EQUATIONS = {
    "rnn": [
        r"\frac{\partial L}{\partial a^{<t>}} = W_{ya}^T(\hat{y}^{<t>} - y^{<t>}) + "
        r"W_{aa}^T\, dz^{<t+1>}",
        r"dz^{<t>} = \frac{\partial L}{\partial a^{<t>}} * (1 - (a^{<t>})^2)"
        r"\qquad(\tanh' ;\ \text{ReLU: } * [z^{<t>} > 0])",
        r"\frac{\partial L}{\partial W_a} \mathrel{+}= dz^{<t>}\,[a^{<t-1>}; x^{<t>}]^T,\quad "
        r"\frac{\partial L}{\partial b_a} \mathrel{+}= dz^{<t>}",
    ],
    "gru": [
        r"\frac{\partial L}{\partial c^{<t>}} = W_y^T(\hat{y}^{<t>} - y^{<t>}) + "
        r"(\text{everything } c^{<t>} \text{ feeds at step } t+1)",
        r"d\Gamma_u = dc^{<t>} * (\tilde{c}^{<t>} - c^{<t-1>}),\quad "
        r"d\tilde{c}^{<t>} = dc^{<t>} * \Gamma_u,\quad "
        r"d\Gamma_r = (W_{ca}^T dz_c) * c^{<t-1>}",
        r"dc^{<t-1>} \mathrel{+}= dc^{<t>} * (1 - \Gamma_u) + W_{ua}^T dz_u + W_{ra}^T dz_r + "
        r"(W_{ca}^T dz_c) * \Gamma_r",
        r"dz_g = d\Gamma_g * \Gamma_g (1 - \Gamma_g),\quad dz_c = d\tilde{c} * (1 - \tilde{c}^2)"
        r",\quad \frac{\partial L}{\partial W_g} \mathrel{+}= dz_g^{<t>}\,[c^{<t-1>}; x^{<t>}]^T",
    ],
    "lstm": [
        r"\frac{\partial L}{\partial a^{<t>}} = W_y^T(\hat{y}^{<t>} - y^{<t>}) + "
        r"\textstyle\sum_g W_{ga}^T\, dz_g^{<t+1>}",
        r"dc^{<t>} = \frac{\partial L}{\partial a^{<t>}} * \Gamma_o * (1 - \tanh^2 c^{<t>}) + "
        r"dc^{<t+1>} * \Gamma_f^{<t+1>}",
        r"d\Gamma_o = da^{<t>} * \tanh c^{<t>},\ d\Gamma_f = dc^{<t>} * c^{<t-1>},\ "
        r"d\Gamma_u = dc^{<t>} * \tilde{c}^{<t>},\ d\tilde{c}^{<t>} = dc^{<t>} * \Gamma_u",
        r"dz_g = d\Gamma_g * \Gamma_g(1 - \Gamma_g),\ dz_c = d\tilde{c} * (1 - \tilde{c}^2),\ "
        r"\frac{\partial L}{\partial W_g} \mathrel{+}= dz_g^{<t>}\,[a^{<t-1>}; x^{<t>}]^T",
    ],
}


@ui.cache_figure
def _loss_fig(spec, text, at):
    res = ui.get_backward(spec, text, at)
    return figs.loss_figure(res.trace, res.steps.targets, ui.get_model(spec).output_labels,
                            at=at)


@ui.cache_figure
def _bptt_fig(spec, text, at, keys, t):
    btrace = ui.get_backward(spec, text, at).btrace
    n = btrace[keys[0]].shape[0]
    units = None
    if n * btrace.T_x * len(keys) > MAX_HEATMAP_CELLS:
        keep = max(8, MAX_HEATMAP_CELLS // (btrace.T_x * len(keys)))
        units = figs.top_units(btrace, keys, keep)
    return figs.bptt_figure(btrace, keys, start_t=t, units=units)


@ui.cache_figure
def _norm_fig(spec, text, at, t):
    return figs.grad_norm_figure(ui.get_backward(spec, text, at).btrace, t=t)


@st.cache_resource(max_entries=64, show_spinner=False)
def _contrib(spec, text, at, direction):
    res = ui.get_backward(spec, text, at)
    return figs.dw_contributions(ui.get_model(spec).model, res.trace, res.btrace,
                                 direction=direction)


@ui.cache_figure
def _dw_fig(spec, text, at, direction, t):
    return figs.dw_figure(_contrib(spec, text, at, direction),
                          ui.get_backward(spec, text, at).trace.token_labels(), t=t)


@st.cache_data(max_entries=64, show_spinner=False)
def _gradcheck(spec, text, at):
    """Centred finite differences on a float64 copy (the shared model stays untouched)."""
    model = ui.get_model(spec).model
    cfg64 = RNNConfig(**{**asdict(model.config), "dtype": "float64"})
    m64 = Model(cfg64, {k: np.array(v, dtype=np.float64) for k, v in model.params.items()})
    res = ui.get_backward(spec, text, at)
    steps, y = res.steps, np.array(res.y)
    T = min(steps.T_x, GRADCHECK_STEPS)
    x = steps.x[:, :, :T].astype(np.float64)
    if y.ndim == 2:                      # many-to-many targets (m, T_x): the same prefix
        y = y[:, :T]
    keys = [k for k in m64.params if k.split(".")[-1].startswith("W")] + ["by"]
    rows = gradient_check(m64, x, y, keys=keys, n_entries=3, eps=1e-5,
                          rng=np.random.default_rng(0), at=at)
    # Keep the two largest gradients per parameter: x<t> is one-hot, so many input columns
    # have an exactly zero gradient, which checks little.
    kept = []
    for key in keys:
        mine = sorted((r for r in rows if r["param"] == key), key=lambda r: -abs(r["analytic"]))
        kept += mine[:2]
    loss = m64.loss(m64.forward(x), y, at=at)
    return figs.gradcheck_table(kept, loss=loss, eps=1e-5)


def _step(delta: int, T: int) -> None:
    st.session_state[KEY_T] = int(min(max(st.session_state.get(KEY_T, T) + delta, 1), T))


st.title("Backward pass (BPTT)")
st.caption(
    "Backpropagation through time: the loss is computed from ŷ\\<1\\>…ŷ\\<T_x\\>, then its "
    "gradient flows backwards, from t = T_x down to t = 1, through the same cell at every "
    "step. Each step adds its share to ∂L/∂W."
)
ctx = ui.page_context()
spec, loaded = ctx.spec, ctx.model
cfg = loaded.config
try:
    ui.get_backward(spec, ctx.text, "all")
except ValueError:
    st.info("A language-model loss needs at least two characters (step t predicts "
            "character t+1): type a longer sentence.")
    st.stop()

ui.keep_valid(KEY_LOSS, list(LOSSES), "all")
at = st.radio("Loss", list(LOSSES), key=KEY_LOSS, horizontal=True,
              format_func=lambda k: LOSSES[k].replace("<", "\\<").replace(">", "\\>"),
              disabled=cfg.head != "many_to_many",
              help="The seed's L = Σ_t L<t>, or only the last step's loss (what a many-to-one "
                   "model such as a sentiment classifier uses).")
if cfg.head != "many_to_many":
    at = "last"
res = ui.get_backward(spec, ctx.text, at)
steps, trace = res.steps, res.trace
T = steps.T_x
st.caption(steps.target_note.replace("<", "\\<").replace(">", "\\>"))
bad = ~np.isfinite(res.btrace.grad_norm) | trace.nonfinite
if bad.any() or not np.isfinite(res.loss):
    ui.nonfinite_warning(bad, "The forward or backward pass")

c1, c2, c3, c4 = st.columns(4)
c1.metric("Loss L", f"{res.loss:.4f}", help="Natural log, summed over the steps that count.")
c2.metric("Steps T_x", T, help="For a character model the loss uses the course's pair: x = "
          "the sentence without its last character, y<t> = x<t+1>.")
c3.metric("||∂L/∂W|| (all parameters)", f"{global_norm(res.grads):.4g}")
c4.metric("||∂L/∂a<T_x>||", f"{float(res.btrace.grad_norm[-1]):.4g}")

st.header("1. The loss at each step", anchor="loss", divider="gray")
ui.chart_with_note(
    _loss_fig(spec, ctx.text, at), key="backward.loss_chart",
    note=("L\\<t\\> = −log ŷ\\<t\\>[y\\<t\\>]: small when the model gave the right next token a "
          "high probability. With random weights every L\\<t\\> is close to log n_y "
          f"= {np.log(cfg.n_y):.2f}, the loss of a uniform guess. "
          + ("Only the last bar counts when the loss is at T_x only; the gradient then "
             "enters the network at a single step." if at == "last" else
             "Every step with a target injects gradient into the network at its own t.")),
)

st.header("2. Stepping backwards", anchor="steps", divider="gray")
direction = ""
if cfg.bidirectional:
    ui.keep_valid(KEY_DIRECTION, ["fwd", "bwd"], "fwd")
    direction = st.radio("Direction", ["fwd", "bwd"], key=KEY_DIRECTION, horizontal=True,
                         format_func=lambda d: {"fwd": "forward a→", "bwd": "backward a←"}[d],
                         help="Each direction has its own weights and its own BPTT sweep.")
available = [k for k in figs.grad_keys(res.btrace)
             if not cfg.bidirectional or split_key(k)[1] == direction]
default = available[:MAX_PANELS]
ui.keep_valid(KEY_KEYS, available, default)
st.session_state.setdefault(KEY_KEYS, default)
chosen = st.multiselect(
    f"Gradients to show (up to {MAX_PANELS})", available, key=KEY_KEYS,
    format_func=symbol, max_selections=MAX_PANELS,
    help="∂L/∂a<t>, ∂L/∂c<t>, and the gradient with respect to each gate's value.",
)
chosen = tuple(chosen) or tuple(default[:1])
if st.session_state.get(KEY_T, T) > T:
    st.session_state[KEY_T] = T
st.session_state.setdefault(KEY_T, T)


@st.fragment
def stepper() -> None:
    """Step controls, the animated gradients and the numbers at step t."""
    c1, c2, c3 = st.columns([1, 6, 1], vertical_alignment="bottom")
    c1.button("◀ t − 1", key="backward.back", on_click=_step, args=(-1, T),
              disabled=st.session_state[KEY_T] <= 1, width="stretch",
              help="BPTT's next step: one step earlier in the sentence.")
    c3.button("t + 1 ▶", key="backward.next", on_click=_step, args=(1, T),
              disabled=st.session_state[KEY_T] >= T, width="stretch")
    if T > 1:
        c2.slider("Step t (BPTT starts at T_x and moves left)", 1, T, key=KEY_T)
    t = st.session_state[KEY_T]
    ui.chart(_bptt_fig(spec, ctx.text, at, chosen, t), key="backward.bptt")
    local, carried, total = figs.da_split(loaded.model, trace, res.btrace, res.y, at=at, t=t,
                                          direction=direction)
    carried = 0.0 if carried <= 1e-5 * max(total, 1e-30) else carried   # float32 rounding
    sfx = f"_{direction}" if direction else ""
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(f"||∂L/∂a<{t}>||", f"{total:.4g}")
    m2.metric(f"… from ŷ<{t}>", f"{local:.4g}",
              help="W_yᵀ(ŷ<t> − y<t>): this step's own loss, through the output layer.")
    m3.metric(f"… from step {t + 1}" if t < T else "… from step T_x+1", f"{carried:.4g}",
              help="What flows back through the recurrence from the later steps.")
    if "dc" + sfx in res.btrace.keys() and cfg.cell == "lstm":
        dc = float(np.linalg.norm(res.btrace["dc" + sfx][:, 0, t - 1]))
        m4.metric(f"||∂L/∂c<{t}>||", f"{dc:.4g}")
    left, right = st.columns([3, 2], gap="medium")
    with left:
        ui.chart(_norm_fig(spec, ctx.text, at, t), key="backward.norm")
    with right:
        ui.look_for(
            "Press **◀ Play BPTT** in the chart above: the cover slides left as BPTT "
            "reaches earlier steps. ∂L/∂a\\<t\\> is the sum of two arrows: the step's own "
            "loss through W_y, and what comes back from step t+1 through the recurrent "
            "weights (the metrics split it). "
            + ("With the loss at T_x only, the early steps receive gradient *only* through "
               "the recurrence: watch the norm on the right shrink as t moves left." if
               at == "last" else
               "The log-scale norm shows how much each step matters to the loss.")
        )
    with st.expander("The equations of one BPTT step"):
        for line in EQUATIONS[cfg.cell]:
            st.latex(r"\small " + line)


stepper()

st.header("3. How each step adds to ∂L/∂W", anchor="dw", divider="gray")
t_now = st.session_state.get(KEY_T, T)
ui.chart_with_note(
    _dw_fig(spec, ctx.text, at, direction, t_now), key="backward.dw",
    note=("The same weights are used at every step, so their gradient is a **sum over "
          "steps**: ∂L/∂W = Σ_t dz\\<t\\> [a\\<t-1\\>; x\\<t\\>]ᵀ. The top bars are each step's "
          "term; the bottom lines add them up from T_x leftwards, as BPTT does, and reach "
          "||∂L/∂W|| at t = 1. Steps whose bars are tiny barely train the weights: that is "
          "the vanishing gradient seen from the weights' side."),
)

st.header("4. Gradient check", anchor="gradcheck", divider="gray")
rows = _gradcheck(spec, ctx.text, at)
table = pd.DataFrame(rows)
checked = table[table["check"] == "ok"] if len(table) else table
worst = float(checked["relative error"].max()) if len(checked) else float("nan")
c1, c2 = st.columns([3, 2], gap="medium")
with c1:
    st.dataframe(
        table, hide_index=True, key="backward.gradcheck",
        column_config={
            "analytic ∂L/∂θ": st.column_config.NumberColumn(format="%.6e"),
            "finite difference": st.column_config.NumberColumn(format="%.6e"),
            "relative error": st.column_config.NumberColumn(format="%.1e"),
        },
    )
with c2:
    st.metric("Largest relative error", f"{worst:.1e}",
              help="Over the entries checked in relative terms (not tiny, above rounding).")
    ui.look_for(
        "For a few entries θ of each weight matrix, the analytic gradient from BPTT is "
        "compared with the centred difference (L(θ + ε) − L(θ − ε)) / 2ε, ε = 10⁻⁵, on a "
        f"float64 copy of the model, over the first {GRADCHECK_STEPS} steps of the sentence "
        "(each entry costs two more forward passes). Relative errors around 10⁻⁷ or smaller "
        "mean the backward pass is right; 10⁻³ or more would mean a bug. A very small "
        "gradient of a large loss is only checked to the rounding of L (≈ 10⁻¹⁶·|L|/ε)."
    )
