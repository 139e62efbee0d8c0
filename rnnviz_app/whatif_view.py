"""What-if parts other pages show: the Units page's button that opens the What-if page with
a unit, and the Training page's number units (after an agreement run) with the multi-seed
spread of the agreement table."""

from __future__ import annotations

from types import SimpleNamespace

import streamlit as st

import rnnviz_app as ui
from rnnviz.figures.whatif import seed_table_figure
from rnnviz.training.agreement import ablation_effect, number_units
from rnnviz.training.agreement_seeds import seed_table

PAGE = "pages/whatif.py"
KEY_UNITS = "whatif.units"
DISTANCES = (5, 20, 40)
K_UNITS = 2
NOTE_SEEDS = ("Each point is the mean held-out accuracy of one cell over several seeds (the "
              "same settings, other initial weights and data order); the bar spans the worst "
              "and the best seed. A long bar means one run would have told you little: the "
              "same cell can learn the task or miss it depending on the seed.")


def whatif_button(unit: int, key: str) -> None:
    """"What if I turn it off?": open the What-if page with `unit` picked."""
    if st.button(f"What if unit {unit} is switched off? →", key=key,
                 help="Opens the What-if page with this unit chosen: clamp it, mean-ablate "
                      "it, or patch it from another sentence and watch the predictions."):
        st.session_state[KEY_UNITS] = [int(unit)]
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
    ui.chart_with_note(seed_table_figure(table["cells"]), key="training.seeds",
                       note=NOTE_SEEDS + f" Reproduce: `{table['command']}`.")
    if not st.toggle("Find the number units (a few seconds per cell)", key="training.nu"):
        return
    for cell, run in runs.items():
        with st.spinner(f"Ablating units of the {cell.upper()}…"):
            top, rows = _number_units(run.model, task.config, f"{run_id}.{cell}")
        units = ", ".join(f"{r['unit']} (d′ = {r['d_prime']:+.1f})" for r in top)
        st.markdown(f"**{cell.upper()}**: top units {units}. {verdict(rows)}")
        ui.number_table(rows, {c: "%.3f" for c in ("intact", "ablated", "random_mean",
                                                    "random_std", "random_min",
                                                    "random_max")},
                        key=f"training.nu.{cell}")
