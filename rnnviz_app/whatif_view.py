"""The What-if page's wiring (what to change: quantity, layer, direction, units picked in the
multiselect or by a click on the states heatmap, the clamp value, the reference means), and
the what-if parts other pages show: the Units page's button that opens the What-if page with a
unit, and the Training page's number units (after an agreement run) with the multi-seed spread
of the agreement table."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import streamlit as st

import rnnviz_app as ui
from rnnviz.core.trace import symbol
from rnnviz.figures.whatif import seed_table_figure
from rnnviz.models.interventions import REFERENCE_TOKENS, unit_means
from rnnviz.training.agreement import ablation_effect, number_units
from rnnviz.training.agreement_seeds import seed_table
from rnnviz_app.loaders import corpus_key

PAGE = "pages/whatif.py"
K = "whatif."
KEY_UNITS = K + "units"          # the Units page's "what does unit k do" button sets this
KEY_STATES = K + "states"        # the states heatmap: a click on a row picks its unit
KEY_QUANTITY = K + "quantity"
KEY_DIRECTION = K + "direction"
KEY_CLICK_SEEN = K + "click_seen"
DIRECTIONS = {"fwd": "forward a→", "bwd": "backward a←"}


def quantities(model) -> list[str]:
    """What the page can change in this model's cell: a<t>, c<t> (an LSTM: in a GRU c<t> is
    a<t>), and every gate the cell has (Γf Γu Γo Γr, c̃<t>)."""
    cell = model.model.cell.quantities
    return ["a"] + [q for q in cell if q != "a" and not (q == "c" and model.config.cell == "gru")]


def pick_where(model) -> tuple[str, int | None, str | None]:
    """Quantity, layer (None: the only one) and direction (None: one direction) to change;
    a quantity kept from another model that this cell lacks gets a message, then a<t>."""
    options = quantities(model)
    kept = st.session_state.get(KEY_QUANTITY)
    if kept is not None and kept not in options:
        st.warning(f"The {model.config.cell.upper()} cell has no {symbol(kept)}: its "
                   f"quantities are {', '.join(symbol(q) for q in options)}. Showing a<t>.")
        st.session_state[KEY_QUANTITY] = "a"
    c1, c2, c3 = st.columns(3)
    with c1:
        quantity = st.selectbox("Quantity to change", options, key=KEY_QUANTITY,
                                format_func=symbol,
                                help="The cell's state or one of its gates: the change is "
                                     "made right after the cell computes it, and the step's "
                                     "later equations read the changed value.")
    with c2:
        layer = ui.layer_picker(model, K + "layer")
    direction = None
    if model.config.bidirectional:
        ui.keep_valid(KEY_DIRECTION, list(DIRECTIONS), "fwd")
        direction = c3.radio("Direction", list(DIRECTIONS), key=KEY_DIRECTION,
                             format_func=DIRECTIONS.get, horizontal=True,
                             help="A bidirectional model has one cell per direction: a→<t> "
                                  "has read x<1>…x<t>, a←<t> has read x<T_x>…x<t>.")
    return quantity, layer, direction


def toggled(chosen, click, n_a: int) -> list[int] | None:
    """The chosen units after a click on the states heatmap (`click`: the chart's last point,
    whose y is the row's unit): that unit added, or removed when chosen already; None when
    the click names no unit of this model."""
    try:
        unit = int(round(float(click.get("y"))))
    except (AttributeError, TypeError, ValueError):
        return None
    if not 0 <= unit < n_a:
        return None
    chosen = {int(u) for u in chosen}
    return sorted(chosen - {unit} if unit in chosen else chosen | {unit})


def take_click(n_a: int) -> None:
    """Before the units multiselect is drawn: a new click on a row of the states heatmap
    (each click carries its own time, "at") toggles that row's unit."""
    state = st.session_state.get(KEY_STATES)
    click = state.get("click") if hasattr(state, "get") else None
    if not isinstance(click, dict) or click.get("at") == st.session_state.get(KEY_CLICK_SEEN):
        return
    st.session_state[KEY_CLICK_SEEN] = click.get("at")
    units = toggled(st.session_state.get(KEY_UNITS, []), click, n_a)
    if units is not None:
        st.session_state[KEY_UNITS] = units


def pick_units(n_a: int) -> list[int]:
    """The units multiselect (the accessible way to pick; a click on the heatmap changes it
    too). Units outside 0…n_a−1 (kept from a larger model, or a link) are named and dropped."""
    kept = st.session_state.get(KEY_UNITS)
    if kept is None:
        st.session_state[KEY_UNITS] = [0]
    else:
        bad = [u for u in kept if not (isinstance(u, int | np.integer) and 0 <= u < n_a)]
        if bad:
            st.error(f"Unit{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} "
                     f"{'are' if len(bad) > 1 else 'is'} outside 0…{n_a - 1} (this model has "
                     f"n_a = {n_a} units): left out.")
            st.session_state[KEY_UNITS] = [int(u) for u in kept if u not in bad]
    take_click(n_a)
    return st.multiselect(f"Units (0…{n_a - 1}; or click a row of the states chart below)",
                          list(range(n_a)), key=KEY_UNITS,
                          help="The Units page's suggestions open here. A click on a row "
                               "of the states chart adds that unit, a second click removes it.")


def clamp_value(quantity: str, intact_max: float) -> float | str:
    """The clamp value v: a slider over the quantity's range (gates 0…1, a<t> and c̃<t>
    −1…1, c<t> ± its largest value on the sentence), or a typed number (any; "nan" gives
    the page's message). Returns the typed text when it is not a number."""
    if quantity.startswith("gamma_"):
        kind, lo, hi = "gate", 0.0, 1.0
    elif quantity == "c":
        r = float(max(1, math.ceil(intact_max)))
        kind, lo, hi = "c", -r, r
    else:
        kind, lo, hi = "tanh", -1.0, 1.0
    key = f"{K}value.{kind}"
    kept = st.session_state.get(key, 1.0 if kind == "gate" else 0.0)
    if key not in st.session_state or not lo <= kept <= hi:     # c<t>'s range follows the text
        st.session_state[key] = float(np.clip(kept, lo, hi))
    c1, c2 = st.columns([3, 1])
    v = c1.slider(f"Clamp value v ({symbol(quantity)} lies in {lo:g}…{hi:g})", lo, hi,
                  step=0.05 if hi <= 1 else hi / 40, key=key)
    typed = c2.text_input("or type v", key=K + "value_text", placeholder="any number",
                          help="Overrides the slider while it holds text.").strip()
    if not typed:
        return float(v)
    try:
        return float(typed)
    except ValueError:
        return typed


@st.cache_resource(max_entries=32, show_spinner=False)
def _means(spec, corpus_key: str, quantity: str, layer: int | None, direction: str | None,
           _text: str) -> tuple[float, ...]:
    """Each unit's mean of (quantity, layer, direction) over the held-out corpus, once per
    model identity (the spec names a session model by it) and corpus (`corpus_key`)."""
    return tuple(float(v) for v in unit_means(ui.get_model(spec), _text, quantity, layer,
                                               direction))


@st.cache_resource(max_entries=32, show_spinner=False)
def get_attribution(spec, text: str, target: int, method: str, step: int):
    """`rnnviz.attribution` of one (model, sentence, output, method, step): it does not depend
    on the change being tried, so moving the clamp does not recompute it."""
    from rnnviz.attribution import attribution

    return attribution(ui.get_model(spec), text, target, method=method, step=step)


def reference_means(spec, kind: str, quantity: str, layer, direction,
                    text: str) -> tuple[str, tuple]:
    """(what the means were taken over, the (n_a,) means) for a mean ablation: the held-out
    corpus of the model's kind (a model trained on the agreement task: held-out sentences of
    that task); a model of a kind without one, the sentence (said so)."""
    card = ui.get_model(spec).card or {}
    try:
        if card.get("task") == "agreement":       # trained on the agreement task: its sentences
            from rnnviz.training.agreement import reference_text

            name, corpus = "held-out agreement sentences of the task it was trained on", \
                reference_text(card)
        else:
            name, corpus = ui.get_heldout(kind)
    except ValueError:
        name, corpus = "sentence itself (this kind of model has no held-out corpus)", text
    with st.spinner(f"Reading the {name} once for the units' means…"):
        means = _means(spec, corpus_key("heldout", corpus), quantity, layer, direction, corpus)
    return f"{name} (first {REFERENCE_TOKENS:,} tokens at most)", means


DISTANCES = (5, 20, 40)
K_UNITS = 2
NOTE_SEEDS = ("Each point is the mean held-out accuracy of one cell over several seeds (the "
              "same settings, other initial weights and data order); the bar spans the worst "
              "and the best seed. A long bar means one run would have told you little: the "
              "same cell can learn the task or miss it depending on the seed.")


def whatif_button(unit: int, key: str, layer: int | None = None) -> None:
    """"What if I turn it off?": open the What-if page with `unit` (of layer `layer` of a
    stacked model, when given) picked."""
    if st.button(f"What if unit {unit} is switched off? →", key=key,
                 help="Opens the What-if page with this unit chosen: clamp it, mean-ablate "
                      "it, or patch it from another sentence and watch the predictions."):
        st.session_state[KEY_UNITS] = [int(unit)]
        if layer is not None:
            st.session_state[K + "layer"] = int(layer)
        st.switch_page(PAGE)


@st.cache_resource(max_entries=8, show_spinner=False)
def _number_units(_network, config, key: str):
    """Top units and their ablation table for one trained network (key: the run and cell)."""
    res = SimpleNamespace(network=_network, config=config)
    top = number_units(res, k=K_UNITS)
    units = [r["unit"] for r in top]
    attractors = sorted({0, config.attractors})
    rows = ablation_effect(res, units, distances=DISTANCES, attractors=attractors, n=128)
    return top, rows


def verdict(rows) -> str:
    """Whether the top units are special: their ablation lowers accuracy by more than the
    random control's spread (2 sd, and at least 5 points) at some distance."""
    drops = [(r["random_mean"] - r["ablated"], r) for r in rows
             if r["random_mean"] - r["ablated"] > max(2 * r["random_std"], 0.05)]
    if not drops:
        return ("No unit is special here: ablating the top units changes the accuracy no "
                "more than ablating as many random units.")
    gap, r = max(drops, key=lambda d: d[0])
    return (f"These units matter: at L = {r['distance']} (attractors {r['attractors']}) "
            f"ablating them gives {100 * r['ablated']:.0f}% against "
            f"{100 * r['random_mean']:.0f}% ± {100 * r['random_std']:.0f} for random units.")


def number_units_section(task, runs: dict, run_id: str) -> None:
    """After an agreement run: each cell's number units, the ablation table, the spread."""
    st.subheader("Number units: which units carry the subject's number?")
    st.caption("Units ranked by how well a<T_x> separates singular from plural subjects on "
               "held-out sentences (|d′|); then the top two are mean-ablated (set to their "
               "mean at every step) against two random units, 20 draws (Lakretz et al. 2019).")
    table = seed_table()
    st.markdown("**Accuracy vs distance L over seeds**: the mean, bars from the worst to "
                "the best seed (hover for the standard deviation)")
    ui.chart_with_note(seed_table_figure(table["cells"]), key="training.seeds",
                       note=NOTE_SEEDS + f" Reproduce: `{table['command']}`.")
    if not st.toggle("Find the number units (a few seconds per cell)", key="training.nu"):
        return
    for cell, run in runs.items():
        with st.spinner(f"Ablating units of the {cell.upper()}…"):
            top, rows = _number_units(run.model, task.config, f"{run_id}.{cell}")
        units = ", ".join(f"{r['unit']} (d′ = {r['d_prime']:+.1f})" for r in top)
        st.markdown(f"**{cell.upper()}**: top units {units}. {verdict(rows)}")
        ui.table(rows, {c: "%.3f" for c in ("intact", "ablated", "random_mean",
                                            "random_std", "random_min", "random_max")})
