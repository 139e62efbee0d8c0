"""What if? Clamp or mean-ablate units, patch a state from another sentence, attribute."""

import numpy as np
import streamlit as st

import rnnviz_app as ui
from rnnviz.attribution import METHODS
from rnnviz.core.trace import symbol
from rnnviz.figures import whatif as figs
from rnnviz.whatif import Request, compare, continuation_logprob, values
from rnnviz_app import whatif_view as view

K = view.K
MODES = {"clamp": "Clamp to a value", "mean": "Mean-ablate", "patch": "Patch from sentence B"}
METHOD_NAMES = {"grad_x_input": "gradient × input", "integrated_gradients":
                "integrated gradients (64 steps)"}
NOTE_PRED = ("Grey: what the network predicts as it is; orange: with your change. A unit that "
             "matters moves these bars; one that does not leaves them where they were, even "
             "if it correlates with something on the Units page.")
NOTE_STATE = ("Left: {q} as computed; middle: with the change; right: the difference (red = "
              "larger than before, blue = smaller). The values you set are outlined. Rows "
              "that change without an outline are units the change reached through the "
              "recurrence; a change that dies out fades to white over t. Click a row to add "
              "or remove its unit.")
NOTE_ATTR = ("Each token painted by its contribution to the chosen output (red: pushed it up, "
             "blue: down). Integrated gradients add up to ŷ(x) − ŷ(no input): the "
             "completeness error says how close the sum is; gradient × input has no such "
             "guarantee.")


def _md(s: str) -> str:
    """A token of the user's text, safe inside Markdown."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>$~" else ch for ch in s)


def _request(ctx, mode, units, where, intact):
    """The widgets for the chosen mode, as a Request."""
    quantity, layer, direction = where
    q = symbol(quantity)
    T = ctx.steps.T_x
    req = dict(units=tuple(units), quantity=quantity, layer=layer, direction=direction)
    if mode == "patch":
        source = ui.text_box("Sentence B (the source of the patched values)", K + "source",
                             "The cats")
        t = st.slider(f"Patch step t ({q} of B replaces {q} of A)", 1, T, min(3, T),
                      key=K + "patch_t")
        return Request(steps=(t,), source=source, **req)
    every = st.toggle("At every step", value=True, key=K + "every")
    steps = None
    if not every:
        lo, hi = ui.span_slider("Steps to change", K + "span", T, default=min(3, T))
        steps = tuple(range(lo, hi + 1))
    if mode == "mean":
        name, means = view.reference_means(ctx.spec, ctx.model.kind, quantity, layer,
                                           direction, ctx.text)
        st.caption(f"Each unit is held at its mean of {q} over the {name}: the usual mean "
                   "ablation.")
        return Request(value="mean", steps=steps, means=means, **req)
    value = view.clamp_value(quantity, float(np.abs(intact).max()))
    return Request(value=value, steps=steps, **req)


def _verbs(model, req, text) -> None:
    """A character LM: log P(verb | sentence A) for two verbs, intact and with the change."""
    c1, c2 = st.columns(2)
    verbs = (c1.text_input("Verb for a singular subject", " is", key=K + "verb_s"),
             c2.text_input("Verb for a plural subject", " are", key=K + "verb_p"))
    if not all(verbs):
        st.info("Type both verbs to compare their probabilities.")
        return
    before = continuation_logprob(model, text, verbs)
    after = continuation_logprob(model, text, verbs, req)
    rows = [{"verb": repr(v), "log P intact": b, "log P changed": a, "Δ": a - b}
            for v, b, a in zip(verbs, before, after, strict=True)]
    ui.table(rows, {"log P intact": "%.3f", "log P changed": "%.3f", "Δ": "%+.3f"})
    st.caption(f"Preference for the plural verb: {after[1] - after[0]:+.3f} nats with the "
               f"change, {before[1] - before[0]:+.3f} without.")


def _show(model, cmp, out_t: int) -> None:
    labels = model.output_labels
    st.markdown(f"**Prediction ŷ<{out_t}>** after ‘{_md(cmp.tokens[out_t - 1])}’, top 10"
                if model.config.head == "many_to_many"
                else f"**Prediction ŷ<T_x>** over {len(labels)} classes")
    ui.chart_with_note(figs.prediction_figure(labels, cmp.y_before[out_t - 1],
                                              cmp.y_after[out_t - 1]),
                       key=K + "pred", note=NOTE_PRED)
    changed = float(np.abs(cmp.y_after[out_t - 1] - cmp.y_before[out_t - 1]).max())
    st.metric("Largest change of a probability at this step", f"{changed:.4f}")
    key = cmp.quantity + (f"_{cmp.direction}" if cmp.direction else "")
    layer = f", layer {cmp.layer}" if model.config.layers > 1 else ""
    st.markdown(f"**{symbol(key)}{layer}: intact, changed, and the difference** (units × "
                "steps t)")
    left, right = st.columns([4, 1], gap="medium")
    with left:
        ui.chart(figs.states_figure(cmp.before, cmp.after, cmp.changed, cmp.quantity,
                                    symbol(key)), view.KEY_STATES, clickable=True)
        if cmp.before.shape[1] > figs.MAX_ROWS:
            st.caption(f"{figs.MAX_ROWS} of {cmp.before.shape[1]} units: the ones you changed "
                       "and those the change moved most (largest |Δ|), in unit order.")
    with right:
        ui.look_for(NOTE_STATE.format(q=symbol(key)))


def _attribution(ctx, out_t, cmp) -> None:
    st.header("Which tokens made this prediction?", anchor="attribution", divider="gray")
    method = st.radio("Method", METHODS, format_func=METHOD_NAMES.get, key=K + "method")
    k = int(np.argmax(cmp.y_before[out_t - 1]))
    try:
        att = view.get_attribution(ctx.spec, ctx.text, k, method, out_t)
    except ValueError as e:
        st.error(str(e))
        return
    st.markdown(f"**{METHOD_NAMES[att.method]}** toward ŷ = ‘{_md(str(att.target))}’ at "
                f"t = {att.step}; completeness error {100 * att.completeness_error:.2f}%")
    ui.chart_with_note(figs.attribution_figure(att.tokens, att.scores),
                       key=K + "attribution", note=NOTE_ATTR)
    st.caption(f"ŷ = {att.f_x:.4f} on the sentence, {att.f_baseline:.4f} with no input; the "
               f"scores sum to {att.scores.sum():.4f}.")


def render() -> None:
    ui.ensure_frame()
    st.title("What if?")
    st.caption("Everything else in this app shows correlation. Here you change the network "
               "while it reads and watch what follows: clamp units of a<t>, c<t> or a gate "
               "to a value, mean-ablate them, or patch in their values from another sentence "
               "(Lakretz et al. 2019's number units), then see which tokens the prediction "
               "rests on.")
    ctx = ui.page_context()
    model, text, T = ctx.model, ctx.text, ctx.steps.T_x
    where = view.pick_where(model)
    units = view.pick_units(model.config.n_a)
    mode = st.radio("Change", list(MODES), format_func=MODES.get, key=K + "mode",
                    horizontal=True)
    intact = ui.get_reading(ctx.spec, text).trace
    try:
        req = _request(ctx, mode, units, where, values(model, intact, *where))
        cmp = compare(model, text, req, intact=intact)
        st.session_state[K + "last"] = (ctx.spec, text, req, cmp)
    except ValueError as e:
        st.error(f"{e}. The charts below still show the last change that worked.")
        last = st.session_state.get(K + "last")
        if last is None or last[0] != ctx.spec or last[1] != text:
            return
        req, cmp = last[2], last[3]
    many = model.config.head == "many_to_many"
    out_t = st.columns([3, 1])[0].slider("Output step t", 1, T, T, key=K + "out_t") if many else T
    _show(model, cmp, out_t)
    if model.kind == "char_lm" and req.source is not None:
        _verbs(model, req, text)
    _attribution(ctx, out_t, cmp)


render()
