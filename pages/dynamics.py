"""Dynamics: why gradients vanish, seen from the step Jacobians and the fixed points."""

import streamlit as st

import rnnviz_app as ui
from rnnviz.dynamics import spectrum_summary
from rnnviz.dynamics.fixed_points import TOL
from rnnviz_app import dynamics_view as view

K = "dynamics."
LM_NAMES = {c: f"char-lm-{c}" for c in view.CELLS}


def _spectrum_section(ctx) -> None:
    cfg = ctx.model.config
    layer = ui.layer_picker(ctx.model, K + "layer") if cfg.layers > 1 else None
    spec = view.spectrum(ctx.model, ctx.model.identity, ctx.text, layer)
    directions = list(spec.sv)
    d = directions[0]
    if len(directions) > 1:
        d = st.radio("Direction", directions, horizontal=True, key=K + "direction",
                     format_func={"fwd": "forward", "bwd": "backward"}.__getitem__)
    ui.nonfinite_warning(spec.nonfinite(d), "The step Jacobians")
    ui.chart_with_note(view.spectrum_figure(ctx.text, layer, d,
                                            (view.model_md_label(ctx.model),), ctx.model),
                       key="dynamics.spectrum", note=view.NOTES["spectrum"])
    s = spectrum_summary(spec, d)
    ui.metrics_row(("median σ_max", f"{s['median']:.3f}"), ("largest σ_max", f"{s['max']:.3f}"),
                   ("steps with σ_max ≥ 0.99", f"{s['steps_near_1']} of {s['steps']}"))
    st.caption("The three shipped char LMs on the same sentence: the next tab.")
    st.page_link("pages/vanishing.py", label="The product of these Jacobians: the Vanishing "
                 "gradients page", icon=":material/arrow_outward:")


def _side_section(ctx) -> None:
    shipped = ui.shipped_models()
    side = [ui.load_shipped(name) for name in LM_NAMES.values() if name in shipped]
    if len(side) != 3 or None in side:
        st.info("The shipped char LMs are not available: no side-by-side comparison.")
        return
    text = ctx.text[:view.SIDE_CHARS]
    st.caption(f"The three shipped char LMs, trained on the same text, read the first "
               f"{view.SIDE_CHARS} characters of your sentence.")
    # two of the three spectra start in the background beside the page's own
    view.start_spectra(text, None, *side[1:])
    with st.spinner("Step Jacobians of the three char LMs…"):
        fig = view.spectrum_figure(text, None, "", tuple(c.upper() for c in LM_NAMES), *side)
    ui.chart_with_note(fig, key="dynamics.side", note=view.NOTES["side"])


def _fixed_point_section() -> None:
    st.caption("Three input channels of sparse ±1 pulses; each output holds the sign of its "
               "channel's last pulse. Shipped networks trained by `python -m "
               "rnnviz.training.flipflop`, or yours from the Training page (task C); searched "
               "with the input at 0.")
    choices = view.network_choices()
    ui.keep_valid(K + "cell", list(choices), view.CELLS[0])
    c1, c2 = st.columns([3, 2])
    choice = c1.radio("Network", list(choices), horizontal=True, key=K + "cell",
                      format_func=choices.__getitem__)
    search = c2.radio("Search", list(view.SEARCHES), horizontal=True, key=K + "search",
                      format_func=view.SEARCHES.__getitem__)
    try:
        ff, states, token = view.flipflop(choice)
    except FileNotFoundError:
        st.warning("The shipped flip-flop models are missing: run "
                   "`python -m rnnviz.training.flipflop`.")
        return
    res = view.flipflop_points(ff, token, search)
    c = res.counts()
    ui.metrics_row(("flip-flop accuracy", f"{ff.card.get('accuracy', float('nan')):.3f}"),
                   ("stable points", str(c["stable"])), ("saddles", str(c["saddle"])),
                   ("marginal (|λ| = 1)", str(c["marginal"])), ("slow points", str(c["slow"])))
    note = view.search_note(c, ff.card, search)
    if note:
        st.caption(note)
    view.spread_section()
    if not res.points:
        st.info("No fixed point below the tolerance q < 1e-10 from these starts.")
        return
    labels = [f"{i}: {p.kind}, max |λ| = {abs(p.eigvals[0]):.3f}"
              for i, p in enumerate(res.points)]
    ui.keep_valid(K + "point", list(range(len(labels))), 0, init=True)
    pick = st.session_state[K + "point"]
    st.markdown("**The trajectory and the fixed points** (first two principal components): "
                "click a point to see its eigenvalues.")
    left, right = st.columns([3, 1], gap="medium")
    with left:
        click = ui.chart(view.fixed_point_figure(res, states, token, search, pick),
                         key="dynamics.fixed", clickable=True)
    with right:
        ui.look_for(view.NOTES["fixed"])
    view.picked_point(click, len(labels), K + "point")
    pick = st.selectbox("Fixed point (or click it in the chart)", range(len(labels)),
                        key=K + "point", format_func=labels.__getitem__)
    ui.chart_with_note(view.eigen_figure(res.points[pick], token, search, pick,
                                         view.point_title(res.points[pick], pick)),
                       key="dynamics.eig", note=view.NOTES["eig"])
    st.caption(f"Tolerance: a point is fixed when q = ½‖F(s) − s‖² < {TOL:g}; found in "
               f"{res.seconds:.2f} s from {res.n_init} starts.")


def _constant_section() -> None:
    shipped = [n for n in LM_NAMES.values() if n in ui.shipped_models()]
    if not shipped:
        st.info("The shipped char LMs are not available.")
        return
    c1, c2 = st.columns(2)
    name = c1.selectbox("Model", shipped, index=len(shipped) - 1, key=K + "lm")
    char = c2.text_input("Character read forever", view.CONSTANT_CHAR, key=K + "char")
    m = ui.load_shipped(name)
    if len(m.tokens(char)) != 1:
        st.info("Type exactly one character (a space works: the question is what the LM "
                "does reading spaces forever).")
        return
    S, point, settled, (orbit, eig) = view.constant_section(m, char)
    st.markdown(ui.md(
        f"After {len(S)} steps q = {point.q:.2e}: "
        + (f"the state has settled at a **{point.kind}** fixed point, largest |λ| = "
           f"{abs(point.eigvals[0]):.3f}." if settled else
           "the state has not settled (a slow point or a cycle).")))
    ui.chart_with_note(orbit, key="dynamics.orbit", note=view.NOTES["constant"])
    ui.chart_with_note(eig, key="dynamics.orbit_eig", note=view.NOTES["eig"])


def render() -> None:
    ui.ensure_frame()
    st.title("Dynamics")
    st.caption("Why gradients vanish, seen from the dynamics, a tab each: the step Jacobian "
               "∂s\\<t\\>/∂s\\<t−1\\> along your sentence; the same for the three "
               "shipped char LMs side by side; the fixed points a trained network uses to "
               "remember (Sussillo & Barak, 2013); what a char LM does when it reads one "
               "character forever.")
    ctx = ui.page_context()
    tab, view_name = ui.lazy_tabs(view.TABS, view.KEY_TAB)
    with tab:
        if view_name == "spectrum":
            _spectrum_section(ctx)
        elif view_name == "side":
            _side_section(ctx)
        elif view_name == "fixed":
            _fixed_point_section()
        else:
            _constant_section()


render()
