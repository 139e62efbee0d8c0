"""The Vanishing-gradients page's wiring: the cached curves (computed by `rnnviz.vanishing`),
the sidebar's model's curve beside RNN/GRU/LSTM, the warnings and the clipping section."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import rnnviz_app as ui
from rnnviz import vanishing
from rnnviz.core import analysis
from rnnviz.figures import vanishing as figs
from rnnviz.models import TRAINED_LMS, freeze
from rnnviz_app.notes import VANISHING as NOTES

K = "vanishing."
THRESHOLDS = [0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 100.0]


@st.cache_resource(max_entries=32, show_spinner=False)
def _curves(text, T, weights, n_a, rho, activation, forget_bias, seed, measure):
    """RNN, GRU and LSTM on the sentence repeated to T steps (`rnnviz.vanishing`)."""
    curves = vanishing.comparison_curves(text, T, weights, n_a=n_a, rho=rho,
                                         activation=activation, forget_bias=forget_bias,
                                         seed=seed, measure=measure)
    freeze(curves)
    return curves


# The sidebar's model is passed as the page holds it (ctx.model): the shared caches key it by
# its identity (ui.cache_figure), so two visitors' models never share a curve.
@ui.cache_figure(max_entries=16)
def _your_curve(model, text, T, measure):
    """The sidebar's model on its own tokens of the sentence, the same T_x and measure."""
    curve = vanishing.model_curve(model, text, T, measure)
    freeze(curve)
    return curve


@ui.cache_figure
def figure(model, *args):
    curves = all_curves(model, args)
    return figs.vanishing_figure({n: c["norms"] for n, c in curves.items()}, measure=args[-1],
                                 dashed=[n for n in curves if n not in figs.NAMES.values()])


def all_curves(model, args) -> dict:
    """RNN, GRU, LSTM and, when it reads the sentence, the sidebar's `model`."""
    curves = dict(_curves(*args))
    text, T, weights, measure = args[0], args[1], args[2], args[-1]
    same = {name: cell for cell, name in TRAINED_LMS.items()}.get(model.name)
    if weights == "trained" and same is not None and model.source == "shipped":
        # the sidebar's shipped char LM is one of the three: the same numbers, computed once
        # (tests/test_vanishing.py checks they are equal)
        curves[_your_name(model)] = curves[vanishing.NAMES[same]]
        return curves
    try:
        curves[_your_name(model)] = _your_curve(model, text, T, measure)
    except ValueError:          # no token of the sentence in its vocabulary
        pass
    return curves


def _your_name(model) -> str:
    return f"sidebar: {model.name}"


def your_model_note(ctx, curves: dict) -> None:
    """What the dashed curve is: the sidebar's model, and which of its states is measured."""
    m = ctx.model
    if _your_name(m) not in curves:
        st.info(NOTES["yours_no_tokens"].format(name=ui.md(m.label)))
        return
    what = [NOTES["yours_layer"]] if m.config.layers > 1 else []
    what += [NOTES["yours_bi"]] if m.config.bidirectional else []
    st.caption(ui.md(NOTES["yours"].format(name=m.label, target=NOTES["yours_" + m.kind],
                                           what=" ".join(what))))


def warnings(curves: dict) -> None:
    bad = [n for n, c in curves.items() if c["nonfinite"]]
    if bad:
        st.warning(
            f"{', '.join(bad)}: the values overflowed to inf/NaN (exploding activations or "
            "gradients). Those points are left out of the chart; lower ρ or switch the RNN "
            "to tanh to bring them back.")
    exploding = [n for n, c in curves.items()
                 if not c["nonfinite"] and analysis.growth(c["norms"]) > 1e3]
    if exploding:
        st.warning(
            f"Exploding gradients: for {', '.join(exploding)} the norm grows by more than "
            "1000× going back in time. Training steps would be dominated by the earliest "
            "inputs, or overflow: this is what gradient clipping (below) is for.")


def clipping(curves: dict) -> None:
    st.header("Exploding gradients and clipping", anchor="clipping", divider="gray")
    c1, c2 = st.columns([1, 2], gap="medium")
    with c1:
        method = st.radio("Clipping", ["none", "value", "norm"], key=K + "clip",
                          format_func={"none": "none", "value": "clip by value (each entry)",
                                       "norm": "clip by global norm"}.__getitem__)
        threshold = st.select_slider("Threshold", THRESHOLDS, key=K + "threshold")
        summaries = {n: analysis.clip_summary(c["grads"], method, threshold)
                     for n, c in curves.items()}
        ui.look_for(NOTES["clipping"])
    with c2:
        ui.chart(figs.clipping_figure(summaries, method=method, threshold=threshold),
                 key="vanishing.clip_chart")
    table = pd.DataFrame({
        "architecture": list(summaries),
        "||∂L/∂θ|| before": [s["norm_before"] for s in summaries.values()],
        "after": [s["norm_after"] for s in summaries.values()],
        "max |entry| after": [s["max_after"] for s in summaries.values()],
        "cosine": [s["cosine"] for s in summaries.values()],
    })
    # the whole column (562 px at 1024): short headers, every column readable
    ui.table(table, {c: "%.3e" for c in table.columns[1:4]})


__all__ = ["all_curves", "figure", "your_model_note", "warnings", "clipping"]
