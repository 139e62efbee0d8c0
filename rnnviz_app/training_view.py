"""The Training page's parts: its controls, the live view of a run, and what follows a run.

The page (pages/training.py) reads as its flow and calls these. The training itself is
`rnnviz.training.runs` (work for `rnnviz_app.jobs`); what the words say is decided in the
package (`rnnviz.figures.training.describe_race`, `Race.best`, `AgreementConfig.example`).
"""

from __future__ import annotations

import uuid
from functools import partial

import streamlit as st

import rnnviz_app as ui
from rnnviz.core.init import InitConfig
from rnnviz.figures import training as figs
from rnnviz.training.agreement import (
    DISTANCE_RANGE,
    DISTANCES,
    FILLERS,
    MAX_ATTRACTORS,
    AgreementConfig,
    AgreementTask,
    fit_attractors,
    lm_loss_floor,
)
from rnnviz.training.checkpoint import npz_bytes, safetensors_bytes
from rnnviz.training.flipflop import FlipFlopConfig
from rnnviz.training.race import da_norm_at_last_step, pace
from rnnviz.training.runs import sweep_work
from rnnviz.training.text_lm import TextLMConfig
from rnnviz_app import jobs
from rnnviz_app.dynamics_view import FIXED_TAB as DYNAMICS_FIXED_TAB
from rnnviz_app.dynamics_view import KEY_TAB as DYNAMICS_TAB_KEY
from rnnviz_app.dynamics_view import TRAINED_KEY as DYNAMICS_KEY  # what the Dynamics page reads
from rnnviz_app.notes import TRAINING as NOTES
from rnnviz_app.whatif_view import number_units_section

K = "training."
TASKS = {"agreement": "A: agreement (was / were)",
         "text": "B: character language model on a text",
         "flipflop": "C: 3-bit flip-flop (memory)"}
DYNAMICS_PAGE = "pages/dynamics.py"
FLIPFLOP = {
    "task": (
        "Three input channels carry sparse pulses of +1 or −1 (5% of the steps); output k "
        "must hold the sign of channel k's last pulse, for 60 steps per sequence. The readout "
        "is linear, ŷ\\<t\\> = W_y a\\<t\\> + b_y, trained on the squared error. A network "
        "that solves it keeps 2³ = 8 memories (Sussillo & Barak, 2013)."),
    "loss": ("One curve per cell, all trained on the same pulse streams: ½‖ŷ − y‖² per step. "
             "About 1 at the start (the outputs are ±1 after the first pulse); near 0 when "
             "every bit is held."),
    "metric_title": "Accuracy on fresh pulse sequences",
    "metric": ("Accuracy on a fixed set of fresh sequences: the share of (step, bit), after "
               "that bit's first pulse, where the sign of ŷ is right. 50% is a coin flip."),
    "da_now": ("The gradient of the last step's error with respect to each a\\<t\\>, on a "
               "fixed probe batch. To hold a bit, the cell must carry it from the last pulse, "
               "which can lie dozens of steps back: read how far left the curve stays high."),
    "da_heatmap": ("Each row is one snapshot during training, the colour log₁₀ of the norm "
                   "above (one scale for all cells). A cell that holds its bits must pass the "
                   "gradient back to the last pulse: watch whether its rows stay bright far to "
                   "the left as it learns, or go dark (vanishing)."),
    "after": ("Each network has to hold 8 memory states. Open them on the Dynamics page to "
              "see where it keeps them: the fixed points of a\\<t\\> = F(a\\<t−1\\>, 0)."),
}
CELLS = ("rnn", "gru", "lstm")
A_DEFAULT, B_DEFAULT = AgreementConfig(), TextLMConfig()
LRS = [1e-3, 3e-3, 1e-2, 3e-2]
CLIPS = {"none": None, "1": 1.0, "5": 5.0, "20": 20.0}
INITS = {"xavier": "Xavier uniform", "orthogonal": "orthogonal", "normal": "normal(0, 1/n_a)",
         "pytorch": "PyTorch default"}
SOURCES = {"sidebar": "the sidebar sentence", "paste": "pasted text", "upload": "an uploaded file",
           "corpus": "the shipped corpus (stdlib docstrings)"}
CORPUS_CHARS = 300_000
ACTION = K + "action"                # what the last button asked for (set by its callback)
DEFAULTS = {
    K + "task": "agreement", K + "L_mode": "fixed", K + "L": A_DEFAULT.distance,
    K + "L_range": (10, 40), K + "attractors": 0, K + "objective": "direct",
    K + "cells": list(CELLS), K + "n_a": A_DEFAULT.n_a, K + "init": "xavier",
    K + "forget_bias": 1.0, K + "lr": A_DEFAULT.lr, K + "clip": "5",
    K + "steps": A_DEFAULT.steps, K + "seed": A_DEFAULT.seed, K + "source": "corpus",
    K + "sample_every": 50,
}


def ask(action: str) -> None:
    """A button's callback: it runs before the script, so the request survives any rerun."""
    st.session_state[ACTION] = action


def take_action() -> str | None:
    """The button pressed since the last run ("start", "stop", "resume", "reset"), once."""
    action = st.session_state.get(ACTION)
    if action in ("start", "stop", "resume", "reset"):
        del st.session_state[ACTION]
        return action
    return None


def _use(task, network, name: str) -> None:
    """"Use this model": a copy of the trained network, as a model-in-use, becomes a sidebar
    choice (in a callback: the sidebar's widget is drawn after it)."""
    ui.add_session_model(task.in_use(network.copy(), name))


@st.cache_resource(show_spinner=False)
def corpus() -> str:
    from rnnviz.data.corpus import load_corpus

    return load_corpus("train")[:CORPUS_CHARS]


@st.cache_resource(max_entries=32, show_spinner=False)
def initial_da(cfg: AgreementConfig, cells: tuple[str, ...]) -> dict:
    """‖∂L<T_x>/∂a<t>‖ of each cell at initialisation (what a race records at step 0)."""
    task = AgreementTask(cfg)
    out = {c: da_norm_at_last_step(task.model(c), task.probe_batch()) for c in cells}
    for v in out.values():
        v.flags.writeable = False
    return out


# -- controls ----------------------------------------------------------------------------------


def agreement_controls(limits: jobs.Limits) -> tuple[AgreementConfig, list[str]]:
    """Task A's widgets: (the run's settings, the chosen cells in CELLS order)."""
    c1, c2, c3 = st.columns(3, gap="medium")
    with c1:
        mode = st.radio("Distance L", ["fixed", "varying"], key=K + "L_mode", horizontal=True,
                        help=NOTES["help"]["L_mode"])
        hi_cap = min(DISTANCE_RANGE[1], limits.max_seq_len - 2)
        if mode == "fixed":
            distance = st.slider("L", DISTANCE_RANGE[0], hi_cap, key=K + "L")
        else:
            distance = tuple(st.slider("L from … to", DISTANCE_RANGE[0], hi_cap,
                                       key=K + "L_range"))
        asked = st.slider("Attractors (nouns of the other number)", 0, MAX_ATTRACTORS,
                          key=K + "attractors", help=NOTES["help"]["attractors"])
        objective = st.radio("Objective", ["direct", "lm"], key=K + "objective",
                             format_func={"direct": "direct: was / were at the end",
                                          "lm": "language model (next word), scored at "
                                                "the verb"}.__getitem__)
    cells, common = common_controls(limits, c2, c3)
    attractors = fit_attractors(asked, distance)
    if attractors < asked:
        st.warning(NOTES["too_many_attractors"].format(k=asked, L=attractors))
    return AgreementConfig(distance=distance, attractors=attractors, objective=objective,
                           **common), cells


def common_controls(limits: jobs.Limits, c2, c3) -> tuple[list[str], dict]:
    """The widgets both tasks share: (cells, the config fields n_a, init, lr, clip_norm,
    steps, seed)."""
    with c2:
        chosen = st.multiselect("Cells (same seed, init, data and budget)", list(CELLS),
                                key=K + "cells", format_func=figs.NAMES.__getitem__)
        n_a = st.slider("n_a (hidden units, every cell)", 4, limits.max_n_a, key=K + "n_a")
        scheme = st.selectbox("Init of the weights (every cell)", list(INITS), key=K + "init",
                              format_func=INITS.__getitem__, help=NOTES["help"]["init"])
        fb = st.slider("LSTM forget-gate bias b_f", -2.0, 5.0, step=0.5, key=K + "forget_bias",
                       help=NOTES["help"]["forget_bias"])
    with c3:
        lr = st.select_slider("Learning rate (Adam)", LRS, key=K + "lr")
        clip = st.select_slider("Clip ‖∂L/∂θ‖ to", list(CLIPS), key=K + "clip")
        steps = st.slider("Steps (every cell)", 20, limits.max_steps, step=10, key=K + "steps")
        seed = st.number_input("Seed (initial weights and data order)", 0, 2**31 - 1, step=1,
                               key=K + "seed", help=NOTES["help"]["seed"])
    cells = [c for c in CELLS if c in chosen]
    return cells, dict(n_a=int(n_a), init=InitConfig(scheme=scheme, forget_bias=float(fb)),
                       lr=float(lr), clip_norm=CLIPS[clip], steps=int(steps), seed=int(seed))


def text_controls(limits: jobs.Limits) -> tuple[TextLMConfig, list[str], str, int]:
    """Task B's widgets: (settings, cells, the text to learn, samples every N steps)."""
    text, source = _text_source(limits)
    c1, c2, c3 = st.columns(3, gap="medium")
    with c1:
        sample_every = st.slider("Samples every N steps", 10, 200, step=10,
                                 key=K + "sample_every")
    cells, common = common_controls(limits, c2, c3)
    st.caption(NOTES["text_source"].format(n=len(text), source=SOURCES[source]))
    return TextLMConfig(**common), cells, text, int(sample_every)


def _text_source(limits: jobs.Limits) -> tuple[str, str]:
    """(text, where it came from); an empty text when the chosen source has none yet."""
    source = st.radio("Text to learn", list(SOURCES), key=K + "source", horizontal=True,
                      format_func=SOURCES.__getitem__)
    if source == "sidebar":
        return ui.current_text()[0], source
    if source == "paste":
        return st.text_area("Paste a text", key=K + "paste", height=120,
                            max_chars=limits.max_text_bytes), source
    if source == "upload":
        up = st.file_uploader("A plain-text file (UTF-8, at most 1 MB)", type=["txt", "md", "py"],
                              key=K + "upload", max_upload_size=1)
        if up is None:
            return "", source
        raw = up.getvalue()
        if len(raw) > limits.max_text_bytes:
            st.error(f"The file has {len(raw):,} bytes; at most {limits.max_text_bytes:,} "
                     "can be trained on.")
            return "", source
        return raw.decode("utf-8", errors="replace"), source
    return corpus(), source


def flipflop_controls(limits: jobs.Limits) -> tuple[FlipFlopConfig, list[str]]:
    """Task C's widgets: (the run's settings, the chosen cells). The fields it shares with
    the other tasks come from `common_controls`."""
    c1, c2, c3 = st.columns(3, gap="medium")
    with c1:
        st.markdown(FLIPFLOP["task"])
    cells, common = common_controls(limits, c2, c3)
    return FlipFlopConfig(**common), cells


def before_run(cfg, cells, limits: jobs.Limits) -> None:
    """No run yet: how to start, and (Task A) the gradient at initialisation."""
    st.info(NOTES["start"].format(L=A_DEFAULT.distance, steps=A_DEFAULT.steps,
                                  wall=limits.max_wall_s))
    if isinstance(cfg, AgreementConfig) and cells:
        ui.chart_with_note(figs.da_now_figure(initial_da(cfg, tuple(cells)), 0),
                           key=K + "da_initial", note=NOTES["da_initial"])


# -- the live view -----------------------------------------------------------------------------


def live_view(run: jobs.Run, kind: str, status: str) -> None:
    """The progress bar and the charts of `run` (a run of task `kind`), redrawn every second
    by a fragment while it trains; the whole page reruns once when it ends.

    status: the run's status as the page read it for its buttons. The fragment is timed from
    it, not from a second read: a run that paused between the two reads would otherwise leave
    Resume disabled (drawn while it was still running, Stop asked for) and no fragment to rerun
    the page."""
    active = status in jobs.ACTIVE

    @st.fragment(run_every=1.0 if active else None)
    def live():
        status, position, data = run.view()
        _progress(run, status, position, data)
        if data:
            _charts(data, kind)
        if active and status not in jobs.ACTIVE:
            st.rerun()                      # the run ended: redraw the whole page once

    live()


def _progress(run: jobs.Run, status: str, position: int, data: dict) -> None:
    step, steps = data.get("step", 0), data.get("steps", 1)
    if status == jobs.QUEUED:
        running, _ = jobs.manager().counts()
        text = NOTES["queued"].format(position=position, running=running,
                                      most=jobs.manager().max_running)
    else:
        rate, left = pace(step, steps, data.get("elapsed", 0.0), run.time_left_s)
        text = (f"{status}: step {step} / {steps}"
                + (f" · {rate:.1f} steps/s · about {left:.0f} s left" if rate > 0 else "")
                + (f" · {run.error}" if run.error else ""))
    st.progress(min(step / max(steps, 1), 1.0), text=text)


def _charts(data: dict, kind: str) -> None:
    metric = data["metric"]
    flipflop = kind == "flipflop"
    left, right = st.columns(2, gap="medium")
    with left:
        ui.chart(figs.loss_figure(data["losses"]), key=K + "loss_chart")
        ui.look_for(FLIPFLOP["loss"] if flipflop else
                    NOTES["loss"][metric].format(n=len(FILLERS), floor=lm_loss_floor()))
    with right:
        ui.chart(figs.metric_figure(data["evals"], metric, baseline=data.get("baseline"),
                                    title=FLIPFLOP["metric_title"] if flipflop else None),
                 key=K + "metric_chart")
        ui.look_for(FLIPFLOP["metric"] if flipflop else NOTES["metric"][metric])
    last = {c: v[-1] for c, v in data["da_norms"].items()}
    at = max((int(v[-1]) for v in data["da_steps"].values()), default=0)
    ui.chart_with_note(figs.da_now_figure(last, at), key=K + "da_chart",
                       note=FLIPFLOP["da_now"] if flipflop else NOTES["da_now"])
    ui.chart_with_note(figs.da_heatmap_figure(data["da_steps"], data["da_norms"]),
                       key=K + "da_heatmap",
                       note=FLIPFLOP["da_heatmap"] if flipflop else NOTES["da_heatmap"])
    if data.get("samples"):
        step, texts = data["samples"][-1]
        st.markdown(f"**Samples at step {step}** (temperature 0.7)")
        for c, s in texts.items():
            st.text(f"{figs.NAMES[c]}: {s}")


# -- after a run -------------------------------------------------------------------------------


def after_run(data: dict, cfg, kind: str) -> None:
    """What the finished (or stopped) run shows in words, and its networks to keep."""
    race, metric = data["race"], data["metric"]
    st.subheader("What this run shows")
    if kind == "flipflop":
        _after_flipflop(data, cfg)
        return
    st.markdown(figs.describe_race(race.latest(metric), metric, data.get("baseline"),
                                   best=race.best(metric) if metric == "accuracy" else None))
    if kind == "agreement":
        ui.look_for(NOTES["literature"], title="Beyond this run")
        number_units_section(data["task"], race.runs, str(id(race)))
    st.subheader("Keep the trained networks")
    for col, (c, r) in zip(st.columns(len(race.runs)), race.runs.items(), strict=True):
        name = f"trained-{kind}-{c}"
        with col:
            st.download_button(f"{figs.NAMES[c]} weights (.npz)", npz_bytes(r.model, cfg, kind),
                               file_name=f"rnnviz-{kind}-{c}.npz", key=K + f"download.{c}",
                               mime="application/octet-stream")
            in_torch = safetensors_bytes(data["task"].in_use(r.model.copy(), name))
            if in_torch is not None:
                st.download_button(f"{figs.NAMES[c]} for PyTorch (.safetensors)", in_torch,
                                   file_name=f"rnnviz-{kind}-{c}.safetensors",
                                   key=K + f"download_torch.{c}",
                                   mime="application/octet-stream")
            st.button(f"Use the {figs.NAMES[c]} on every page", key=K + f"use.{c}",
                      help=NOTES["help"]["use"], on_click=_use, args=(data["task"], r.model,
                                                                      name))
    st.caption(NOTES["downloads"])


def _open_in_dynamics(task, race) -> None:
    """A button's callback: the raced networks become the Dynamics page's "trained here"
    choices (a copy of each, so a later run does not change them)."""
    models = {c: task.trained(r.model, c, r.evals[-1][1]["accuracy"] if r.evals else None)
              for c, r in race.runs.items()}
    # a fresh token per hand-over: the Dynamics page caches fixed points by it
    st.session_state[DYNAMICS_KEY] = {"token": uuid.uuid4().hex, "models": models}
    st.session_state[DYNAMICS_TAB_KEY] = DYNAMICS_FIXED_TAB     # the page opens at their tab
    st.session_state[K + "to_dynamics"] = True


def _after_flipflop(data: dict, cfg: FlipFlopConfig) -> None:
    """After a flip-flop run: its accuracies in words, the way to its fixed points, downloads."""
    race, task = data["race"], data["task"]
    st.markdown(figs.describe_flipflop(race.latest("accuracy")))
    st.markdown(FLIPFLOP["after"])
    st.button("Find the fixed points of these networks (Dynamics page) →",
              key=K + "to_dynamics_button", type="primary", on_click=_open_in_dynamics,
              args=(task, race))
    if st.session_state.pop(K + "to_dynamics", False):
        st.switch_page(DYNAMICS_PAGE)
    for col, (c, r) in zip(st.columns(len(race.runs)), race.runs.items(), strict=True):
        col.download_button(f"{figs.NAMES[c]} weights (.npz)", npz_bytes(r.model, cfg, "flipflop"),
                            file_name=f"rnnviz-flipflop-{c}.npz", key=K + f"download.{c}",
                            mime="application/octet-stream")


def sweep_section(cfg: AgreementConfig, cells) -> None:
    """"Accuracy vs distance": the run's settings at every L of DISTANCES, as its own run."""
    st.subheader("Accuracy vs distance")
    sweep_run = st.session_state.get(K + "sweep_run")
    st.caption(NOTES["sweep"].format(distances=list(DISTANCES), steps=cfg.steps,
                                     runs=len(DISTANCES) * len(cells),
                                     wall=jobs.manager().limits.max_wall_s))
    st.button("Run the sweep", key=K + "sweep", on_click=ask, args=("sweep",))
    if st.session_state.get(ACTION) == "sweep":
        st.session_state.pop(ACTION)
        try:
            sweep_run = jobs.manager().submit(jobs.session_id(), "sweep",
                                              partial(sweep_work, list(cells), cfg))
            st.session_state[K + "sweep_run"] = sweep_run
        except jobs.RunRejected as e:
            st.warning(str(e))
    if sweep_run is not None:
        _sweep_view(sweep_run)


def _sweep_view(sweep_run: jobs.Run) -> None:
    active = sweep_run.status in jobs.ACTIVE

    @st.fragment(run_every=1.0 if active else None)
    def view():
        status, position, data = sweep_run.view()
        if status in jobs.ACTIVE:
            st.caption(f"Sweep: {status}" + (f" (number {position} in the queue)"
                                              if position else ""))
        elif status != jobs.DONE:
            st.caption(NOTES["sweep_stopped"].format(status=status))
        points = data.get("sweep")
        if points and any(points.values()):
            ui.chart_with_note(figs.sweep_figure(points), key=K + "sweep_chart",
                               note=NOTES["sweep_chart"])
        if active and status not in jobs.ACTIVE:
            st.rerun()

    view()
