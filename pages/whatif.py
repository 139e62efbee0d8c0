"""What if? Clamp or mean-ablate units, patch a state from another sentence, attribute."""

import numpy as np
import streamlit as st

import rnnviz_app as ui
from rnnviz.attribution import METHODS, attribution
from rnnviz.figures import whatif as figs
from rnnviz.whatif import Request, compare, continuation_logprob

K = "whatif."
KEY_UNITS = K + "units"          # the Units page's "what does unit k do" button sets this
MODES = {"clamp": "Clamp to a value", "mean": "Mean-ablate", "patch": "Patch from sentence B"}
METHOD_NAMES = {"grad_x_input": "gradient × input", "integrated_gradients":
                "integrated gradients (64 steps)"}
NOTE_PRED = ("Grey: what the network predicts as it is; orange: with your change. A unit that "
             "matters moves these bars; one that does not leaves them where they were, even "
             "if it correlates with something on the Units page.")
NOTE_STATE = ("Δa<t> after the change. The units you set are listed first; the rows below "
              "them are units the change reached through the recurrence: red = larger than "
              "before, blue = smaller. A change that dies out fades to white over t.")
NOTE_ATTR = ("Each token painted by its contribution to the chosen output (red: pushed it up, "
             "blue: down). Integrated gradients add up to ŷ(x) − ŷ(no input): the "
             "completeness error says how close the sum is; gradient × input has no such "
             "guarantee.")


def _request(mode, units, T):
    """The widgets for the chosen mode, as a Request."""
    if mode == "patch":
        source = ui.text_box("Sentence B (the source of the patched values)", K + "source",
                             "The cats")
        t = st.slider("Patch step t (a<t> of B replaces a<t> of A)", 1, T, min(3, T),
                      key=K + "patch_t")
        return Request(units=tuple(units), steps=(t,), source=source)
    every = st.toggle("At every step", value=True, key=K + "every")
    steps = None
    if not every:
        lo, hi = ui.span_slider("Steps to change", K + "span", T, default=min(3, T))
        steps = tuple(range(lo, hi + 1))
    if mode == "mean":
        return Request(units=tuple(units), value="mean", steps=steps)
    value = st.slider("Clamp value v (a<t> lies in −1…1)", -1.0, 1.0, 0.0, 0.05,
                      key=K + "value")
    return Request(units=tuple(units), value=value, steps=steps)


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
    ui.number_table(rows, {"log P intact": "%.3f", "log P changed": "%.3f", "Δ": "%+.3f"},
                    key=K + "verb_table")
    st.caption(f"Preference for the plural verb: {after[1] - after[0]:+.3f} nats with the "
               f"change, {before[1] - before[0]:+.3f} without.")


def _show(model, cmp, out_t: int) -> None:
    labels = model.output_labels
    title = (f"ŷ<{out_t}> after ‘{cmp.tokens[out_t - 1]}’"
             if model.config.head == "many_to_many" else f"ŷ<T_x> over {len(labels)} classes")
    ui.chart_with_note(figs.prediction_figure(labels, cmp.y_before[out_t - 1],
                                              cmp.y_after[out_t - 1], title),
                       key=K + "pred", note=NOTE_PRED)
    changed = float(np.abs(cmp.y_after[out_t - 1] - cmp.y_before[out_t - 1]).max())
    st.metric("Largest change of a probability at this step", f"{changed:.4f}")
    ui.chart_with_note(figs.state_change_figure(cmp.tokens, cmp.a_before, cmp.a_after,
                                                cmp.changed), key=K + "states", note=NOTE_STATE)


def _attribution(model, text, out_t, cmp) -> None:
    st.header("Which tokens made this prediction?", anchor="attribution", divider="gray")
    method = st.radio("Method", METHODS, format_func=METHOD_NAMES.get,
                      key=K + "method")
    k = int(np.argmax(cmp.y_before[out_t - 1]))
    try:
        att = attribution(model, text, k, method=method, step=out_t)
    except ValueError as e:
        st.error(str(e))
        return
    ui.chart_with_note(figs.attribution_figure(att.tokens, att.scores, att.method, att.target,
                                               att.step, att.completeness_error),
                       key=K + "attribution", note=NOTE_ATTR)
    st.caption(f"ŷ = {att.f_x:.4f} on the sentence, {att.f_baseline:.4f} with no input; the "
               f"scores sum to {att.scores.sum():.4f}.")


def render() -> None:
    ui.ensure_frame()
    st.title("What if?")
    st.caption("Everything else in this app shows correlation. Here you change the network "
               "while it reads and watch what follows: clamp units to a value, mean-ablate "
               "them, or patch in their values from another sentence (Lakretz et al. 2019's "
               "number units), then see which tokens the prediction rests on.")
    ctx = ui.page_context()
    model, text, T = ctx.model, ctx.text, ctx.steps.T_x
    n_a = model.config.n_a
    if model.config.bidirectional:
        st.info("This model is bidirectional: it reads the whole sentence at once, so a "
                "what-if change needs a one-direction model. Pick another in the sidebar.")
        return
    ui.keep_valid(KEY_UNITS, list(range(n_a)), [0], init=True)
    units = st.multiselect(f"Units of a<t> (top layer, 0…{n_a - 1})", list(range(n_a)),
                           key=KEY_UNITS, help="The Units page's suggestions open here.")
    mode = st.radio("Change", list(MODES), format_func=MODES.get,
                    key=K + "mode")
    req = _request(mode, units, T)
    try:
        cmp = compare(model, text, req)
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
    _attribution(model, text, out_t, cmp)


render()
