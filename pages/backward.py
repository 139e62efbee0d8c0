"""Backward pass (BPTT): a loss over the sentence, back-propagated from t = T_x down to 1."""

import numpy as np
import streamlit as st

import rnnviz_app as ui
from rnnviz.core.analysis import global_norm
from rnnviz.core.trace import split_key, symbol
from rnnviz.figures import backward as figs
from rnnviz_app.notes import BACKWARD as NOTES
from rnnviz_app.notes import backward_loss_note

KEY_LOSS, KEY_T, KEY_KEYS, KEY_DIRECTION, KEY_LAYER = (
    "backward.loss", "backward.t", "backward.keys", "backward.direction", "backward.layer")
MAX_PANELS, KEY_ALL = 3, "backward.all_units"
# Heatmap cells drawn: the units with the largest gradients within LIGHT_CELLS (~40 kB a step);
# "Show all units": up to MAX_HEATMAP_CELLS (< 1.5 MB for 256 units on 300 characters).
LIGHT_CELLS, MAX_HEATMAP_CELLS = 8_000, 90_000


@ui.cache_figure
def _loss_fig(spec, text, at):
    res = ui.get_backward(spec, text, at)
    return figs.loss_figure(res.trace, res.steps.targets, ui.get_model(spec).output_labels,
                            at=at)


@ui.cache_figure
def _bptt_fig(spec, text, at, keys, t, cells=LIGHT_CELLS, layer=None):
    btrace = ui.get_btrace(spec, text, at, layer)
    keep = max(8, cells // (btrace.T_x * len(keys)))
    units = figs.top_units(btrace, keys, keep) if btrace[keys[0]].shape[0] > keep else None
    return figs.bptt_figure(btrace, keys, start_t=t, units=units, animate=False, layer=layer)


@ui.cache_figure
def _norm_fig(spec, text, at, t, layer=None):
    return figs.grad_norm_figure(ui.get_btrace(spec, text, at, layer), t=t, layer=layer)


@ui.cache_figure
def _dw_fig(spec, text, at, direction, t, layer=None):
    return figs.dw_figure(ui.get_dw_contributions(spec, text, at, direction, layer),
                          ui.get_backward(spec, text, at).trace.token_labels(), t=t)


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
    if n > max(8, LIGHT_CELLS // (btrace.T_x * len(chosen))) or st.session_state.get(KEY_ALL):
        st.toggle(f"Show all {n} units", key=KEY_ALL, help=NOTES["all_units"])
    return direction, chosen, MAX_HEATMAP_CELLS if st.session_state.get(KEY_ALL) else LIGHT_CELLS


def _step(ctx, res, at, direction, chosen, cells, layer=None) -> None:
    """Step controls, the gradients at step t (layer l) and their numbers (reruns alone)."""
    T, sup = res.steps.T_x, f"^[{layer}]" if layer else ""       # a^[l] in a stacked model
    ui.advance_play(KEY_T, T, step=-1)
    t = ui.step_controls(KEY_T, T, NOTES["step_label"], back_help=NOTES["step_back"])
    ui.chart(_bptt_fig(ctx.spec, ctx.text, at, chosen, t, cells, layer), key="backward.bptt")
    da = ui.get_da_split(ctx.spec, ctx.text, at, t, direction, layer)
    ui.metrics_row(
        (f"||∂L/∂a{sup}<{t}>||", f"{da['total']:.4g}"),
        (f"… from {da['source']}", f"{da['local']:.4g}",
         NOTES["above_help" if da["source"].startswith("layer") else "local_help"]),
        (f"… from {da['next']}", f"{da['carried']:.4g}", NOTES["carried_help"]),
        None if da["dc"] is None else (f"||∂L/∂c{sup}<{t}>||", f"{da['dc']:.4g}"))
    ui.chart_with_note(_norm_fig(ctx.spec, ctx.text, at, t, layer), key="backward.norm",
                       note=NOTES["stepping"] + NOTES["stepping_" + at], ratio=(3, 2))
    with st.expander("The equations of one BPTT step"):
        for line in ctx.model.model.cell.bptt_equations(layer, ctx.model.config.layers):
            ui.equation(line)


# The same step view, repeating itself while ◀ Play BPTT runs (t moves down on the server).
_stepper = st.fragment(_step)
_playing = st.fragment(_step, run_every=ui.PLAY_SECONDS)


GRADCHECK_AUTO_PARAMS = 2_000_000   # above this many parameters the check waits for a click


def _gradient_check(ctx, at) -> None:
    st.header("4. Gradient check", anchor="gradcheck", divider="gray")
    # Finite differences run on a float64 copy of the whole network: on demand when it is big.
    if ctx.model.model.n_params > GRADCHECK_AUTO_PARAMS and not st.toggle(
            "Run the gradient check", key="backward.run_gradcheck", help=NOTES["big_check"]):
        return
    table, worst = ui.get_gradient_check(ctx.spec, ctx.text, at)
    c1, c2 = st.columns([3, 2], gap="medium")
    with c1:
        ui.number_table(table, {"analytic ∂L/∂θ": "%.6e", "finite difference": "%.6e",
                                "relative error": "%.1e"}, key="backward.gradcheck")
    with c2:
        st.metric("Largest relative error", f"{worst:.1e}", help=NOTES["worst_help"])
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
        st.info(NOTES["too_short"])
        st.stop()
    at = _loss_choice(cfg)
    res = ui.get_backward(ctx.spec, ctx.text, at)
    st.caption(ui.md(res.steps.target_note))
    ui.nonfinite_warning(~np.isfinite(res.btrace.grad_norm) | res.trace.nonfinite,
                         "The forward or backward pass")
    ui.metrics_row(
        ("Loss L", f"{res.loss:.4f}", NOTES["loss_value_help"]),
        ("Steps T_x", res.steps.T_x, NOTES["steps_help"]),
        ("||∂L/∂W|| (all parameters)", f"{global_norm(res.grads):.4g}"),
        ("||∂L/∂a<T_x>||", f"{float(res.btrace.grad_norm[-1]):.4g}"))

    st.header("1. The loss at each step", anchor="loss", divider="gray")
    ui.chart_with_note(_loss_fig(ctx.spec, ctx.text, at), key="backward.loss_chart",
                       note=backward_loss_note(ctx.model.kind, at, cfg))

    st.header("2. Stepping backwards", anchor="steps", divider="gray")
    layer = ui.layer_picker(ctx.model, KEY_LAYER)       # a stacked model: sections 2 and 3
    direction, chosen, cells = _gradient_choice(cfg, ui.get_btrace(ctx.spec, ctx.text, at,
                                                                   layer))
    st.session_state.setdefault(KEY_T, res.steps.T_x)
    playing = ui.play_button(KEY_T, res.steps.T_x, step=-1)
    (_playing if playing else _stepper)(ctx, res, at, direction, chosen, cells, layer)

    st.header("3. How each step adds to ∂L/∂W", anchor="dw", divider="gray")
    ui.chart_with_note(_dw_fig(ctx.spec, ctx.text, at, direction, st.session_state[KEY_T],
                               layer), key="backward.dw", note=NOTES["dw"][ctx.model.config.cell])
    _gradient_check(ctx, at)
    ui.download_trace(ctx.spec, ctx.text, key="backward.download", at=at)


render()
