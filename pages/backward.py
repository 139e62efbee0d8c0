"""Backward pass (BPTT): a loss over the sentence, back-propagated from t = T_x down to 1."""

import numpy as np
import streamlit as st

import rnnviz_app as ui
from rnnviz.core.analysis import global_norm
from rnnviz.core.trace import split_key, symbol
from rnnviz.figures import backward as figs
from rnnviz_app.notes import BACKWARD as NOTES
from rnnviz_app.notes import BPTT_EQUATIONS

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
    return figs.bptt_figure(btrace, keys, start_t=t, units=units, animate=False)


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


def _loss_choice(cfg) -> str:
    ui.keep_valid(KEY_LOSS, list(LOSSES), "all")
    at = st.radio("Loss", list(LOSSES), key=KEY_LOSS, horizontal=True,
                  format_func=lambda k: ui.md(LOSSES[k]), disabled=cfg.head != "many_to_many",
                  help="The seed's L = Σ_t L<t>, or only the last step's loss (what a "
                       "many-to-one model such as a sentiment classifier uses).")
    return at if cfg.head == "many_to_many" else "last"


def _summary(res) -> None:
    bad = ~np.isfinite(res.btrace.grad_norm) | res.trace.nonfinite
    if bad.any() or not np.isfinite(res.loss):
        ui.nonfinite_warning(bad, "The forward or backward pass")
    ui.metrics_row(
        ("Loss L", f"{res.loss:.4f}", "Natural log, summed over the steps that count."),
        ("Steps T_x", res.steps.T_x, "For a character model the loss uses the course's pair: "
         "x = the sentence without its last character, y<t> = x<t+1>."),
        ("||∂L/∂W|| (all parameters)", f"{global_norm(res.grads):.4g}"),
        ("||∂L/∂a<T_x>||", f"{float(res.btrace.grad_norm[-1]):.4g}"))


def _gradient_choice(cfg, btrace) -> tuple[str, tuple]:
    direction = ""
    if cfg.bidirectional:
        ui.keep_valid(KEY_DIRECTION, ["fwd", "bwd"], "fwd")
        direction = st.radio("Direction", ["fwd", "bwd"], key=KEY_DIRECTION, horizontal=True,
                             format_func=lambda d: {"fwd": "forward a→", "bwd": "backward a←"}[d],
                             help="Each direction has its own weights and its own BPTT sweep.")
    available = [k for k in figs.grad_keys(btrace)
                 if not cfg.bidirectional or split_key(k)[1] == direction]
    default = available[:MAX_PANELS]
    ui.keep_valid(KEY_KEYS, available, default)
    st.session_state.setdefault(KEY_KEYS, default)
    chosen = st.multiselect(
        f"Gradients to show (up to {MAX_PANELS})", available, key=KEY_KEYS, format_func=symbol,
        max_selections=MAX_PANELS,
        help="∂L/∂a<t>, ∂L/∂c<t>, and the gradient with respect to each gate's value.")
    return direction, tuple(chosen) or tuple(default[:1])


def _step(ctx, res, at, direction, chosen) -> None:
    """Step controls, the gradients at step t and their numbers (reruns alone)."""
    T, cfg, btrace = res.steps.T_x, ctx.model.config, res.btrace
    ui.advance_play(KEY_T, T, step=-1)
    t = ui.step_controls(KEY_T, T, "Step t (BPTT starts at T_x and moves left)",
                         back_help="BPTT's next step: one step earlier in the sentence.")
    ui.chart(_bptt_fig(ctx.spec, ctx.text, at, chosen, t), key="backward.bptt")
    local, carried, total = figs.da_split(ctx.model.model, res.trace, btrace, res.y, at=at, t=t,
                                          direction=direction)
    carried = 0.0 if carried <= 1e-5 * max(total, 1e-30) else carried   # float32 rounding
    dc = "dc" + (f"_{direction}" if direction else "")
    ui.metrics_row(
        (f"||∂L/∂a<{t}>||", f"{total:.4g}"),
        (f"… from ŷ<{t}>", f"{local:.4g}",
         "W_yᵀ(ŷ<t> − y<t>): this step's own loss, through the output layer."),
        (f"… from step {t + 1}" if t < T else "… from step T_x+1", f"{carried:.4g}",
         "What flows back through the recurrence from the later steps."),
        (f"||∂L/∂c<{t}>||", f"{float(np.linalg.norm(btrace[dc][:, 0, t - 1])):.4g}")
        if cfg.cell == "lstm" and dc in btrace.keys() else None)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        ui.chart(_norm_fig(ctx.spec, ctx.text, at, t), key="backward.norm")
    with right:
        ui.look_for(NOTES["stepping"] + NOTES["stepping_" + at])
    with st.expander("The equations of one BPTT step"):
        for line in BPTT_EQUATIONS[cfg.cell]:
            ui.equation(line)


# The same step view, repeating itself while ◀ Play BPTT runs (t moves down on the server).
_stepper = st.fragment(_step)
_playing = st.fragment(_step, run_every=ui.PLAY_SECONDS)


def _gradient_check(ctx, at) -> None:
    st.header("4. Gradient check", anchor="gradcheck", divider="gray")
    table, worst = ui.get_gradient_check(ctx.spec, ctx.text, at)
    c1, c2 = st.columns([3, 2], gap="medium")
    with c1:
        st.dataframe(table, hide_index=True, key="backward.gradcheck", column_config={
            "analytic ∂L/∂θ": st.column_config.NumberColumn(format="%.6e"),
            "finite difference": st.column_config.NumberColumn(format="%.6e"),
            "relative error": st.column_config.NumberColumn(format="%.1e")})
    with c2:
        st.metric("Largest relative error", f"{worst:.1e}",
                  help="Over the entries checked in relative terms (not tiny, above rounding).")
        ui.look_for(NOTES["gradcheck"].format(steps=20))


def render() -> None:
    ui.ensure_frame()
    st.title("Backward pass (BPTT)")
    st.caption(NOTES["caption"])
    ctx = ui.page_context()
    cfg = ctx.model.config
    try:
        ui.get_backward(ctx.spec, ctx.text, "all")
    except ValueError:
        st.info("A language-model loss needs at least two characters (step t predicts "
                "character t+1): type a longer sentence.")
        st.stop()
    at = _loss_choice(cfg)
    res = ui.get_backward(ctx.spec, ctx.text, at)
    T = res.steps.T_x
    st.caption(ui.md(res.steps.target_note))
    _summary(res)

    st.header("1. The loss at each step", anchor="loss", divider="gray")
    ui.chart_with_note(
        _loss_fig(ctx.spec, ctx.text, at), key="backward.loss_chart",
        note=NOTES["loss_" + ctx.model.kind].format(log_n_y=np.log(cfg.n_y))
        + NOTES["loss_" + at])

    st.header("2. Stepping backwards", anchor="steps", divider="gray")
    direction, chosen = _gradient_choice(cfg, res.btrace)
    st.session_state.setdefault(KEY_T, T)
    playing = ui.play_button(KEY_T, T, step=-1)
    (_playing if playing else _stepper)(ctx, res, at, direction, chosen)

    st.header("3. How each step adds to ∂L/∂W", anchor="dw", divider="gray")
    ui.chart_with_note(_dw_fig(ctx.spec, ctx.text, at, direction, st.session_state[KEY_T]),
                       key="backward.dw", note=NOTES["dw"])
    _gradient_check(ctx, at)


render()
