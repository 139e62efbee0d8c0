"""Backward pass (BPTT): a loss over the sentence, back-propagated from t = T_x down to 1 (a
tagger's or classifier's true labels chosen on the page: `rnnviz_app.backward_view`)."""

import numpy as np
import streamlit as st

import rnnviz_app as ui
from rnnviz.core.analysis import global_norm
from rnnviz.core.trace import split_key, symbol
from rnnviz.figures import backward as figs
from rnnviz.figures.animation import frame_names
from rnnviz_app import backward_view as view
from rnnviz_app.notes import BACKWARD as NOTES
from rnnviz_app.notes import backward_loss_note, dw_note

KEY_LOSS, KEY_T, KEY_KEYS, KEY_DIRECTION, KEY_LAYER = (
    "backward.loss", "backward.t", "backward.keys", "backward.direction", "backward.layer")
MAX_PANELS, KEY_ALL = 3, "backward.all_units"


def _loss_choice(cfg) -> str:
    ui.keep_valid(KEY_LOSS, ["all", "last"], "all")
    at = st.radio("Loss", ["all", "last"], key=KEY_LOSS, horizontal=True,
                  format_func=lambda k: ui.md(NOTES["losses"][k]), help=NOTES["loss_help"],
                  disabled=cfg.head != "many_to_many")
    return at if cfg.head == "many_to_many" else "last"


def _gradient_choice(cfg, btrace) -> tuple[str, tuple, int]:
    direction = ""
    if cfg.bidirectional:
        ui.keep_valid(KEY_DIRECTION, ["fwd", "bwd"], "fwd")
        direction = st.radio("Direction", ["fwd", "bwd"], key=KEY_DIRECTION, horizontal=True,
                             format_func=NOTES["directions"].get, help=NOTES["direction_help"])
    available = [k for k in figs.grad_keys(btrace)
                 if not cfg.bidirectional or split_key(k)[1] == direction]
    default = available[:MAX_PANELS]
    ui.keep_valid(KEY_KEYS, available, default, init=True)
    chosen = st.multiselect(
        f"Gradients to show (up to {MAX_PANELS})", available, key=KEY_KEYS, format_func=symbol,
        max_selections=MAX_PANELS, help=NOTES["keys_help"])
    chosen = tuple(chosen) or tuple(default[:1])
    n = btrace[chosen[0]].shape[0]                      # (outside the stepper's fragment)
    if n > max(8, view.LIGHT_CELLS // (btrace.T_x * len(chosen))) or st.session_state.get(KEY_ALL):
        st.toggle(f"Show all {n} units", key=KEY_ALL, help=NOTES["all_units"])
    return direction, chosen, (view.MAX_HEATMAP_CELLS if st.session_state.get(KEY_ALL)
                               else view.LIGHT_CELLS)


def _step(ctx, res, at, direction, chosen, cells, layer=None, targets=None) -> None:
    """Step controls, the gradients at step t (layer l) and their numbers (reruns alone)."""
    T, sup = res.steps.T_x, f"^[{layer}]" if layer else ""       # a^[l] in a stacked model
    if ui.play_button(KEY_T, T, step=-1):        # the browser steps the frames, t going down
        st.caption(NOTES["playing"].format(seconds=ui.PLAY_SECONDS))   # where the slider was
        fig = view.bptt_played(res, chosen, st.session_state[KEY_T], cells, layer)
        ui.chart(fig, key="backward.bptt", steps=KEY_T,
                 play=ui.browser_play(KEY_T, frame_names(fig), step=-1))
        return
    t = ui.step_controls(KEY_T, T, NOTES["step_label"], back_help=NOTES["step_back"])
    ui.chart(view.bptt_fig(res, chosen, t, cells, layer), key="backward.bptt", steps=KEY_T)
    da = ui.get_da_split(ctx.spec, ctx.text, at, t, direction, layer, targets)
    ui.metrics_row(
        (f"||∂L/∂a{sup}<{t}>||", f"{da['total']:.4g}"),
        (f"… from {da['source']}", f"{da['local']:.4g}",
         NOTES["above_help" if da["source"].startswith("layer") else "local_help"]),
        (f"… from {da['next']}", f"{da['carried']:.4g}", NOTES["carried_help"]),
        None if da["dc"] is None else (f"||∂L/∂c{sup}<{t}>||", f"{da['dc']:.4g}"))
    # the whole column: every character of the sentence under its step (none beside a note)
    ui.chart(view.norm_fig(res, t, layer), key="backward.norm")
    ui.look_for(NOTES["stepping"] + NOTES["stepping_" + at])
    with st.expander("The equations of one BPTT step"):
        ui.equations(ctx.model.model.cell.bptt_equations(layer, ctx.model.config.layers))


# The step view: a step (slider, buttons, ◀ Play BPTT) reruns only this part.
_stepper = st.fragment(_step)


def render() -> None:
    ui.ensure_frame()
    st.title("Backward pass (BPTT)")
    st.caption(NOTES["caption"])
    ctx = ui.page_context()
    cfg = ctx.model.config
    try:
        ui.get_backward(ctx.spec, ctx.text, "all")
    except ValueError:
        st.info(NOTES["too_short"])
        st.stop()
    at = _loss_choice(cfg)
    targets = view.choose_targets(ctx)                         # None: a char LM's next tokens
    res = ui.get_backward(ctx.spec, ctx.text, at, targets)
    st.caption(ui.md(res.steps.target_note))
    ui.nonfinite_warning(~np.isfinite(res.btrace.grad_norm) | res.trace.nonfinite,
                         "The forward or backward pass")
    ui.metrics_row(
        ("Loss L", f"{res.loss:.4f}", NOTES["loss_value_help"]),
        ("Steps T_x", res.steps.T_x, NOTES["steps_help"]),
        ("||∂L/∂W|| (all parameters)", f"{global_norm(res.grads):.4g}"),
        ("||∂L/∂a<T_x>||", f"{float(res.btrace.grad_norm[-1]):.4g}"))

    st.header("1. The loss at each step", anchor="loss", divider="gray")
    ui.chart_with_note(view.loss_fig(ctx.model, res), key="backward.loss_chart",
                       note=backward_loss_note(ctx.model.kind, at, cfg))

    st.header("2. Stepping backwards", anchor="steps", divider="gray")
    layer = ui.layer_picker(ctx.model, KEY_LAYER)       # a stacked model: sections 2 and 3
    direction, chosen, cells = _gradient_choice(cfg, res.btrace if layer is None
                                                else res.btrace.layer(layer))
    st.session_state.setdefault(KEY_T, res.steps.T_x)
    _stepper(ctx, res, at, direction, chosen, cells, layer, targets)

    st.header("3. How each step adds to ∂L/∂W", anchor="dw", divider="gray")
    ui.chart_with_note(view.dw_fig(ctx.model, res, direction, st.session_state[KEY_T], layer),
                       key="backward.dw", note=dw_note(ctx.model.config))
    view.gradient_check(ctx, at, targets)
    view.download(ctx.spec, ctx.text, at, targets)


render()
