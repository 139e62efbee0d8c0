"""The Backward page's wiring: the true labels of a tagger's or classifier's loss, the cached
figures, the gradient check and the download (pages/backward.py stays a thin page).

The loss of a char LM has its true labels in the text (y<t> = x<t+1>). A tagger or classifier
reading the visitor's sentence has none: the visitor chooses them here. The default is the
class the model ranks second (`rnnviz.gradients.runner_up_targets`): the model's own guess
would give L ≈ 0 and a gradient with nothing to learn.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz import gradients
from rnnviz.figures import backward as figs
from rnnviz.figures.animation import played_by_the_page
from rnnviz.figures.safe_text import printable
from rnnviz.models import freeze
from rnnviz_app.loaders import GRADCHECK_STEPS, get_csv, get_gradient_check, get_reading
from rnnviz_app.notes import BACKWARD as NOTES
from rnnviz_app.widgets import cache_figure, keep_valid, look_for, md, table

KEY_LABELS, KEY_LABEL_T, KEY_LABEL_Y = "backward.labels", "backward.label_t", "backward.label_y"
KEY_LABEL_SHOWN = "backward.label_shown"
# Heatmap cells drawn: the units with the largest gradients within LIGHT_CELLS (~40 kB a step);
# "Show all units": up to MAX_HEATMAP_CELLS (< 1.5 MB for 256 units on 300 characters).
LIGHT_CELLS, MAX_HEATMAP_CELLS = 8_000, 90_000
GRADCHECK_AUTO_PARAMS = 2_000_000   # above this many parameters the check waits for a click


def _label(model, k: int, p: np.ndarray) -> str:
    return f"{printable(model.output_labels[k])} (model: {p[k]:.3f})"


def choose_targets(ctx) -> tuple | None:
    """The true labels of the loss on the page's model and sentence (`ctx`), chosen on the
    page: None for a char LM (the text is its own label), else (note, labels per step as a
    tuple of ints, -1 = none), the key of `get_backward(..., targets=)`. A tagger gets a label
    per token (pick a step, then its label), a classifier one label at T_x; each defaults to
    the model's second choice."""
    spec, text, model = ctx.spec, ctx.text, ctx.model
    if model.kind == "char_lm":
        return None
    reading = get_reading(spec, text, for_loss=True)
    y_hat = np.asarray(reading.trace["y_hat"][:, 0, :], dtype=np.float64)
    default = gradients.runner_up_targets(reading.trace, model.kind)
    # The visitor's labels live per (model, sentence): a new sentence starts from the default.
    store = st.session_state.setdefault(KEY_LABELS, {})
    mine = store.setdefault(f"{spec.name}|{text}", {})
    labels = default.copy()
    for t, k in mine.items():
        if 1 <= t <= len(labels) and 0 <= k < y_hat.shape[0]:
            labels[t - 1] = k
    T, n_y = reading.steps.T_x, y_hat.shape[0]
    words = reading.steps.labels
    c1, c2 = st.columns(2, gap="medium")
    if model.kind == "tagger":
        keep_valid(KEY_LABEL_T, list(range(1, T + 1)), 1)
        t = c1.selectbox(
            "Step whose true label you set", list(range(1, T + 1)), key=KEY_LABEL_T,
            format_func=lambda s: f"t = {s}: '{printable(words[s - 1])}' "
                                  f"(y<{s}> = {printable(model.output_labels[labels[s - 1]])})",
            help=NOTES["label_step_help"])
    else:
        t = T
    # The label box shows the chosen step's label: written before the box when t changes.
    if st.session_state.get(KEY_LABEL_SHOWN) != (spec.name, text, t):
        st.session_state[KEY_LABEL_Y] = int(labels[t - 1])
        st.session_state[KEY_LABEL_SHOWN] = (spec.name, text, t)
    k = (c2 if model.kind == "tagger" else c1).selectbox(
        f"True label y<{t}>" if model.kind == "tagger" else "True label y of the sentence",
        list(range(n_y)), key=KEY_LABEL_Y, format_func=lambda j: _label(model, j, y_hat[:, t - 1]),
        help=NOTES["label_help"])
    if int(k) != int(labels[t - 1]):
        labels[t - 1] = int(k)
        mine[t] = int(k)
    changed = int((labels != default).sum())
    note = NOTES["targets_" + model.kind].format(
        own="" if changed else NOTES["targets_default"],
        changed=NOTES["targets_changed"].format(n=changed) if changed else "")
    return note, tuple(int(v) for v in labels)


# Figures are built from what the page holds: the backward pass `res` of the loss it chose
# (`get_backward`) and, where a figure needs it, the model in use. The shared cache keys `res`
# by `res.of` (the model's identity, the text read for the loss, its targets and `at`) and the
# model by its identity (ui.cache_figure), never by a name.
def _layer(res, layer):
    return res.btrace if layer is None else res.btrace.layer(layer)


@cache_figure
def loss_fig(model, res):
    return figs.loss_figure(res.trace, res.steps.targets, model.output_labels, at=res.at)


@cache_figure
def bptt_fig(res, keys, t, cells=LIGHT_CELLS, layer=None):
    btrace = _layer(res, layer)
    return figs.bptt_figure(btrace, keys, start_t=t, units=_units(btrace, keys, cells),
                            animate=False, layer=layer)


def _units(btrace, keys, cells):
    """The units the heatmaps draw within `cells` cells (None: all of them)."""
    keep = max(8, cells // (btrace.T_x * len(keys)))
    return figs.top_units(btrace, keys, keep) if btrace[keys[0]].shape[0] > keep else None


@cache_figure
def bptt_played(res, keys, t, cells=LIGHT_CELLS, layer=None):
    """BPTT's heatmaps with a frame per step, from step t down: ◀ Play BPTT steps them in the
    browser (the cover moves left; no script run per step)."""
    btrace = _layer(res, layer)
    fig = figs.bptt_figure(btrace, keys, start_t=t, units=_units(btrace, keys, cells),
                           animate=True, layer=layer)
    return played_by_the_page(fig, "BPTT at step t: the gradients of step t need those of "
                                   "step t+1" + (f" (layer {layer})" if layer else ""))


@cache_figure
def norm_fig(res, t, layer=None):
    return figs.grad_norm_figure(_layer(res, layer), t=t, layer=layer)


@cache_figure
def dw_contributions(model, res, direction, layer=None):
    """What each step adds to ∂L/∂W (`rnnviz.gradients.dw_contributions`), once per
    direction and layer: the ∂L/∂W chart of every step t reads it."""
    contributions = gradients.dw_contributions(model.model, res.trace, res.btrace,
                                               direction=direction, layer=layer)
    freeze(contributions)
    return contributions


@cache_figure
def dw_fig(model, res, direction, t, layer=None):
    return figs.dw_figure(dw_contributions(model, res, direction, layer),
                          res.trace.token_labels(), t=t)


def checks_by_itself(model) -> bool:
    """Whether the page runs the gradient check without a click: networks up to
    GRADCHECK_AUTO_PARAMS parameters (finite differences run on a float64 copy of it)."""
    return model.model.n_params <= GRADCHECK_AUTO_PARAMS


def gradient_check(ctx, at, targets) -> None:
    st.header("4. Gradient check", anchor="gradcheck", divider="gray")
    # Finite differences run on a float64 copy of the whole network: on demand when it is big.
    if not checks_by_itself(ctx.model) and not st.toggle(
            "Run the gradient check", key="backward.run_gradcheck", help=NOTES["big_check"]):
        return
    rows, worst = get_gradient_check(ctx.spec, ctx.text, at, targets)
    c1, c2 = st.columns([1, 3], gap="medium")
    c1.metric("Largest relative error", f"{worst:.1e}", help=NOTES["worst_help"])
    with c2:
        look_for(NOTES["gradcheck"].format(steps=GRADCHECK_STEPS)
                 + (NOTES["gradcheck_lstm"] if ctx.model.config.cell == "lstm" else ""))
    # the whole column: six columns of numbers need about 500 px
    table(rows, {"analytic ∂L/∂θ": "%.6e", "finite difference": "%.6e",
                 "relative error": "%.1e"})


def warm_first_visit(name: str, text: str) -> None:
    """The page's gradient check at its defaults (the loss at every step of a char LM, whose
    labels are its text), computed once per server and not in a visitor's click: 26 forward
    passes, most of a default first visit's server time. Run by the app's background warm-up
    (`rnnviz_app.shell`) with the sidebar's default model `name` (when it ships) and sentence;
    the cache is shared by every session. Another kind of model has labels a visitor chooses:
    nothing to warm."""
    from rnnviz_app.loaders import ModelSpec, get_model, shipped_models

    if name not in shipped_models():
        return
    spec = ModelSpec(name=name)
    model = get_model(spec)
    if model.kind == "char_lm" and checks_by_itself(model):
        get_gradient_check(spec, text, "all", None)


def download(spec, text: str, at: str, targets) -> None:
    """The gradients of this loss (with the chosen labels) as the tidy CSV."""
    st.download_button(
        "Download the gradients as CSV (t, token, unit, quantity, symbol, value, layer)",
        data=lambda: get_csv(spec, text, at, targets), file_name="rnnviz-gradients.csv",
        mime="text/csv", on_click="ignore", key="backward.download")
    st.caption(md("One row per (t, unit, quantity): ∂L/∂a<t>, ∂L/∂c<t> and the gates' "
                  "gradients of this loss, t counted from 1 as in the course notes."))


__all__ = ["choose_targets", "warm_first_visit", "loss_fig", "bptt_fig", "bptt_played", "norm_fig",
           "dw_contributions", "dw_fig", "gradient_check", "download", "LIGHT_CELLS",
           "MAX_HEATMAP_CELLS"]
