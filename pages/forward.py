"""Forward pass: step through t = 1…T_x and watch the cell compute a<t> from a<t-1> and x<t>."""

import pandas as pd
import streamlit as st

import rnnviz_app as ui
from rnnviz.figures import forward as figs
from rnnviz_app.widgets import md

KEY_T = "forward.t"
KEY_UNIT = "forward.unit"


@ui.cache_figure
def _figure(spec, text, unit, t, direction):
    loaded = ui.get_model(spec)
    return figs.forward_figure(ui.get_trace(spec, text), loaded.output_labels, unit=unit,
                               start_t=t, direction=direction)


@st.cache_resource(max_entries=256, show_spinner=False)
def _equations(spec, text, t, unit, direction):
    loaded = ui.get_model(spec)
    return figs.equation_lines(loaded.model, ui.get_trace(spec, text), t, unit,
                               direction=direction, output_labels=loaded.output_labels)


def _step(delta: int, T: int) -> None:
    st.session_state[KEY_T] = int(min(max(st.session_state.get(KEY_T, 1) + delta, 1), T))


def render() -> None:
    ui.ensure_frame()
    st.title("Forward pass")
    st.caption(
        "The seed's forward propagation, one step at a time: from a\\<0\\> (zeros, or a shipped "
        "LM's state after its start symbol), for t = 1…T_x the cell reads x\\<t\\> and "
        "a\\<t-1\\> and computes a\\<t\\> (and ŷ\\<t\\>) with the same weights at every step."
    )
    ctx = ui.page_context()
    spec, loaded, steps = ctx.spec, ctx.model, ctx.steps
    cfg = loaded.config
    trace = ui.get_trace(spec, ctx.text)
    T = steps.T_x
    direction = "fwd" if cfg.bidirectional else ""
    if cfg.bidirectional:
        st.info("This model is bidirectional: the page steps through the **forward** direction "
                "a→\\<t\\> (the backward one runs the same cell from t = T_x down to 1). The "
                "Bidirectional context page shows both.")
    ui.nonfinite_warning(trace)

    ui.keep_valid(KEY_UNIT, list(range(cfg.n_a)), 0)
    unit = st.selectbox(
        "Unit whose numbers the diagram and the equations show", list(range(cfg.n_a)),
        key=KEY_UNIT, help="Gates act element-wise: unit j of Γf only scales unit j of c<t-1>.",
    )
    if st.session_state.get(KEY_T, 1) > T:
        st.session_state[KEY_T] = T
    st.session_state.setdefault(KEY_T, min(5, T))


    @st.fragment
    def stepper() -> None:
        """Step controls, the animated cell and the equations: a step reruns only this part."""
        c1, c2, c3 = st.columns([1, 6, 1], vertical_alignment="bottom")
        c1.button("◀ Step back", key="forward.back", on_click=_step, args=(-1, T),
                  disabled=st.session_state[KEY_T] <= 1, width="stretch")
        c3.button("Step ▶", key="forward.next", on_click=_step, args=(1, T),
                  disabled=st.session_state[KEY_T] >= T, width="stretch")
        if T > 1:
            c2.slider("Step t (the equations below follow this; ▶ Play in the chart runs "
                      "in your browser)", 1, T, key=KEY_T)
        else:
            c2.caption("T_x = 1: a single step.")
        t = st.session_state[KEY_T]
        ui.chart(_figure(spec, ctx.text, unit, t, direction), key="forward.figure")
        left, right = st.columns([5, 2], gap="medium")
        with left:
            st.subheader(f"The equations at t = {t}, unit {unit}")
            for line in _equations(spec, ctx.text, t, unit, direction):
                st.latex(r"\small " + line)
        with right:
            ui.look_for(
                "**Press ▶ Play** (or drag the chart's slider): the boxes of the cell change "
                "colour as the gates open (yellow) and close (purple), and states turn red "
                "(positive) or blue (negative). The grey cover over the a\\<t\\> heatmap "
                "slides right: a\\<t\\> depends only on a\\<t-1\\> and x\\<t\\>, so nothing to "
                "the right of t has been read yet. The bars show ŷ\\<t\\>, the model's guess for "
                "the next token.\n\n"
                "**The equations** split each pre-activation into what comes *from memory* "
                "(W·a a\\<t-1\\>), *from the input* (W·x x\\<t\\>, one column of W·x because "
                "x\\<t\\> is one-hot) and the bias. "
                + ("At t = 1, a\\<t-1\\> = a\\<0\\> = 0, so only the input and the bias count."
                   if loaded.state0 is None else
                   "This model is primed: a\\<0\\> is its state after reading the start symbol, "
                   "as in training.")
                + (" The LSTM's forget bias b_f starts at 1, so Γf starts near σ(1) ≈ 0.73."
                   if cfg.cell == "lstm" and spec.is_random else "")
            )


    stepper()

    st.header("Shapes", anchor="shapes", divider="gray")
    c1, c2 = st.columns([3, 2], gap="medium")
    with c1:
        rows = pd.DataFrame(figs.shape_rows(cfg, T))
        st.dataframe(rows, hide_index=True, key="forward.shapes")
    with c2:
        ui.look_for(
            f"One example (m = 1) of T_x = {T} steps. Every step uses the **same** weights: "
            "the parameter count does not grow with the sentence. "
            + md("Stacking [a<t-1>; x<t>] lets one matrix W_a = [W_aa | W_ax] do both products, "
                 "as in the course notes.")
        )


render()
