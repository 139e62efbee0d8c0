"""Forward pass: step through t = 1…T_x and watch the cell compute a<t> from a<t-1> and x<t>."""

import streamlit as st

import rnnviz_app as ui
from rnnviz.figures import forward as figs
from rnnviz.figures.animation import frame_names, played_by_the_page
from rnnviz_app.notes import FORWARD as NOTES

KEY_T = "forward.t"
KEY_UNIT = "forward.unit"


@ui.cache_figure
def _figure(model, reading, unit, t, direction, layer=None):
    trace = reading.trace if layer is None else reading.trace.layer(layer)
    return figs.forward_figure(trace, model.output_labels, unit=unit, start_t=t,
                               direction=direction, animate=False)


@ui.cache_figure
def _played(model, reading, unit, t, direction, layer=None):
    """The cell at every step as frames, from step t on: ▶ Play steps them in the browser."""
    trace = reading.trace if layer is None else reading.trace.layer(layer)
    fig = figs.forward_figure(trace, model.output_labels, unit=unit, start_t=t,
                              direction=direction)
    return played_by_the_page(fig, fig.layout.title.text.split(":")[0])


@ui.cache_figure
def _equations(model, reading, t, unit, direction, layer=None):
    return figs.equation_lines(model.model, reading.trace, t, unit, direction=direction,
                               output_labels=model.output_labels, layer=layer,
                               unknown=reading.steps.unk)


def _step(ctx, unit, direction, layer) -> None:
    """Step controls, the cell at step t and its equations: a step reruns only this part.
    While ▶ Play runs, the browser steps the diagram's frames itself (no run per step) and
    the counter takes the step shown when it stops."""
    loaded, reading, T = ctx.model, ctx.reading, ctx.steps.T_x
    if ui.play_button(KEY_T, T):             # the caption stands where the slider was
        st.caption("Playing in your browser, a step every "
                   f"{ui.PLAY_SECONDS:g} s. The equations of the step where it stops (at "
                   "the end, or ❚❚ Pause) appear below, with the slider.")
        fig = _played(loaded, reading, unit, st.session_state[KEY_T], direction, layer)
        ui.chart(fig, key="forward.figure", steps=KEY_T,
                 play=ui.browser_play(KEY_T, frame_names(fig)))
        return
    t = ui.step_controls(KEY_T, T, "Step t (the diagram and the equations below show it)",
                         back="◀ Step back", forward="Step ▶")
    ui.chart(_figure(loaded, reading, unit, t, direction, layer), key="forward.figure",
             steps=KEY_T)
    left, right = st.columns([5, 2], gap="medium")
    with left:
        st.subheader(f"The equations at t = {t}, unit {unit}")
        ui.equations(_equations(loaded, reading, t, unit, direction, layer))
    with right:
        cell = loaded.config.cell
        ui.look_for(NOTES["diagram_" + ("rnn" if cell == "rnn" else "gated")]
                    + NOTES["equations"]
                    + NOTES["start_zero" if loaded.state0 is None else "start_primed"]
                    + (NOTES["forget_bias"] if cell == "lstm" and ctx.spec.is_random else ""))


# The step view: a step (slider, buttons) reruns only this part.
_stepper = st.fragment(_step)


def render() -> None:
    ui.ensure_frame()
    st.title("Forward pass")
    st.caption(
        "The course's forward propagation, one step at a time: from a\\<0\\> (zeros, or a shipped "
        "LM's state after its start symbol), for t = 1…T_x the cell reads x\\<t\\> and "
        "a\\<t-1\\> and computes a\\<t\\> (and ŷ\\<t\\>) with the same weights at every step."
    )
    ctx = ui.page_context()
    loaded, steps = ctx.model, ctx.steps
    cfg = loaded.config
    trace = ctx.reading.trace
    T = steps.T_x
    direction = "fwd" if cfg.bidirectional else ""
    if cfg.bidirectional:
        st.info("This model is bidirectional: the page steps through the **forward** direction "
                "a→\\<t\\> (the backward one runs the same cell from t = T_x down to 1). The "
                "Bidirectional context page shows both.")
    ui.nonfinite_warning(trace)
    layer = ui.layer_picker(loaded, "forward.layer")     # a stacked model: which layer

    ui.keep_valid(KEY_UNIT, list(range(cfg.n_a)), 0)
    unit = st.selectbox(
        "Unit whose numbers the diagram and the equations show", list(range(cfg.n_a)),
        key=KEY_UNIT, help="Gates act element-wise: unit j of Γf only scales unit j of c<t-1>.",
    )
    st.session_state.setdefault(KEY_T, min(5, T))
    _stepper(ctx, unit, direction, layer)

    st.header("Shapes", anchor="shapes", divider="gray")
    # Across the column, every cell wrapping: nothing is cut or scrolls at 1024 px. (Not
    # st.table: its Arrow decoding, 0.7 MB of JavaScript, would load on the first visit.)
    ui.table(figs.shape_rows(cfg, T), wrap=True)
    ui.look_for(NOTES["shapes"].format(T=T))
    ui.download_trace(ctx.spec, ctx.text, key="forward.download")


render()
