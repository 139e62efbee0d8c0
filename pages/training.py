"""Training: RNN, GRU and LSTM trained side by side on long-range agreement (or your text)."""

from __future__ import annotations

import io
import json
import math
from dataclasses import asdict

import numpy as np
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
    accuracy_vs_distance,
    agreement_task,
)
from rnnviz.training.live import Race, da_norm_at_last_step
from rnnviz.training.text_lm import MIN_CHARS, TextLMConfig, TextLMTask
from rnnviz_app import jobs

K = "training."
CELLS = ("rnn", "gru", "lstm")
A_DEFAULT, B_DEFAULT = AgreementConfig(), TextLMConfig()
LRS = [1e-3, 3e-3, 1e-2, 3e-2]
CLIPS = {"none": None, "1": 1.0, "5": 5.0, "20": 20.0}
INITS = {"xavier": "Xavier uniform", "orthogonal": "orthogonal", "normal": "normal(0, 1/n_a)"}
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


# The page's note on the wider picture. The measured part comes from
# `nice -n 10 python benchmarks/agreement.py` (seed 0) and `... --seed 1 --attractors 0`:
# update it when the defaults or the core change.
LITERATURE = (
    "**What the literature finds.** Linzen, Dupoux & Goldberg (2016, \"Assessing the ability "
    "of LSTMs to learn syntax-sensitive dependencies\") trained LSTMs on the verbs of "
    "Wikipedia sentences: with direct singular/plural supervision the errors were under 1% "
    "overall, grew with the number of *attractors* (nouns of the other number between the "
    "subject and the verb), and grew sharply when the same network was trained only as a "
    "language model.\n\n"
    "**What we measured on this page's sentences** (`benchmarks/agreement.py`, the default "
    "settings, 400 steps, seeds 0 and 1, no attractors): with direct supervision all three "
    "cells learned L ≤ 20 with both seeds; at L = 40 exactly one cell learned it, and which "
    "one depended on the seed (the LSTM with seed 0, the RNN with seed 1); at L = 80 none "
    "did. Trained as a language model, the RNN failed from L = 20 and the LSTM from L = 20 "
    "or 40, while the GRU learned L ≤ 40 with both seeds and L = 80 with one: here the "
    "language-model objective held the GRU back least. With two attractors (seed 0) the "
    "results were erratic: a cell that failed at one distance succeeded at a longer one. "
    "So the course's simple story, that the RNN forgets and the gated cells remember, holds "
    "only in part and not at every setting: use the sweep and a second seed before "
    "concluding.")


def _ask(action: str) -> None:
    """A button's callback: it runs before the script, so the request survives any rerun."""
    st.session_state[ACTION] = action


def _use(task, network, name: str) -> None:
    """"Use this model": a copy of the trained network, as a model-in-use, becomes a sidebar
    choice (in a callback: the sidebar's widget is drawn after it)."""
    ui.add_session_model(task.in_use(network.copy(), name))


def _limits() -> jobs.Limits:
    return jobs.manager().limits


@st.cache_resource(show_spinner=False)
def _corpus() -> str:
    from rnnviz.data.corpus import load_corpus

    return load_corpus("train")[:CORPUS_CHARS]


@st.cache_resource(max_entries=32, show_spinner=False)
def _initial_da(cfg: AgreementConfig, cells: tuple[str, ...]) -> dict:
    """‖∂L<T_x>/∂a<t>‖ of each cell at initialisation (what a race records at step 0)."""
    task = AgreementTask(cfg)
    out = {c: da_norm_at_last_step(task.model(c), task.probe_batch()) for c in cells}
    for v in out.values():
        v.flags.writeable = False
    return out


# -- the work a run does in its thread ---------------------------------------------------------


def _snapshot(race: Race, metric: str, extra: dict) -> dict:
    """Copies of what the live view draws (the thread goes on changing the race)."""
    runs = race.runs
    return {
        "step": race.step, "steps": race.steps, "elapsed": race.elapsed, "metric": metric,
        "losses": {c: r.loss_array() for c, r in runs.items()},
        "evals": {c: (np.array([s for s, _ in r.evals]),
                      np.array([e[metric] for _, e in r.evals])) for c, r in runs.items()},
        "da_steps": {c: np.array(r.da_steps) for c, r in runs.items()},
        "da_norms": {c: np.stack(r.da_norms) for c, r in runs.items()},
        **extra,
    }


def _race_work(make_task, cells, steps, train, metric, sample_every=0, seed=0):
    """work(run) for the job manager: build the task (in the thread: the n-gram baseline and
    the held-out set take a moment), then race, publishing snapshots; resumable."""
    state: dict = {}

    def work(run: jobs.Run) -> bool:
        if "race" not in state:
            task = make_task()
            state["task"], state["race"] = task, Race(task, cells, steps, train)
            state["extra"] = {"samples": [], "task": task,
                              "baseline": task.baseline_bpc() if metric == "bpc" else None}
        task, race, extra = state["task"], state["race"], state["extra"]

        def on_step(p):
            if sample_every and p.step % sample_every == 0:
                rng = np.random.default_rng([seed, p.step])
                extra["samples"] = [*extra["samples"][-5:], (p.step, {
                    c: task.sample(r.model, rng) for c, r in race.runs.items()})]
            if run.due():
                run.publish({**_snapshot(race, metric, extra), "race": race})

        finished = race.run(callback=on_step, should_stop=run.should_stop)
        run.publish({**_snapshot(race, metric, extra), "race": race}, force=True)
        return finished

    return work


def _sweep_work(cells, settings):
    points: dict = {c: {} for c in cells}

    def work(run: jobs.Run) -> bool:
        def on_point(cell, L, acc):
            points[cell][L] = acc
            run.publish({"sweep": {c: dict(v) for c, v in points.items()}}, force=True)

        todo = [L for L in DISTANCES if any(L not in points[c] for c in cells)]
        accuracy_vs_distance(cells, todo, should_stop=run.should_stop, on_point=on_point,
                             **settings)
        run.publish({"sweep": {c: dict(v) for c, v in points.items()}}, force=True)
        return all(len(points[c]) == len(DISTANCES) for c in cells)

    return work


# -- controls ----------------------------------------------------------------------------------


def _agreement_controls(limits: jobs.Limits) -> dict:
    c1, c2, c3 = st.columns(3, gap="medium")
    with c1:
        mode = st.radio("Distance L", ["fixed", "varying"], key=K + "L_mode", horizontal=True,
                        help="Words between the subject and the verb: one L for every "
                             "sentence, or a new L drawn for every batch.")
        hi_cap = min(DISTANCE_RANGE[1], limits.max_seq_len - 2)
        if mode == "fixed":
            distance = st.slider("L", DISTANCE_RANGE[0], hi_cap, key=K + "L")
        else:
            distance = tuple(st.slider("L from … to", DISTANCE_RANGE[0], hi_cap,
                                       key=K + "L_range"))
        lo = distance if mode == "fixed" else distance[0]
        attractors = st.slider("Attractors (nouns of the other number)", 0, MAX_ATTRACTORS,
                               key=K + "attractors",
                               help="\"The cat near the dogs … was\": the held-out sentences "
                                    "have this many nouns of the other number in the clause; "
                                    "in training these nouns take a random number.")
        objective = st.radio("Objective", ["direct", "lm"], key=K + "objective",
                             format_func={"direct": "direct: was / were at the end",
                                          "lm": "language model (next word), scored at "
                                                "the verb"}.__getitem__)
    cells, n_a, init, lr, clip, steps, seed = _common_controls(limits, c2, c3)
    if attractors > lo:
        st.warning(f"{attractors} attractors do not fit in a clause of {lo} words: "
                   f"using {lo}.")
        attractors = lo
    return dict(distance=distance, attractors=attractors, objective=objective, cells=cells,
                n_a=n_a, init=init, lr=lr, clip=clip, steps=steps, seed=seed)


def _common_controls(limits: jobs.Limits, c2, c3):
    with c2:
        cells = st.multiselect("Cells (same seed, init, data and budget)", list(CELLS),
                               key=K + "cells", format_func=figs.NAMES.__getitem__)
        n_a = st.slider("n_a (hidden units, every cell)", 4, limits.max_n_a, key=K + "n_a")
        scheme = st.selectbox("Init of the recurrent blocks (every cell)", list(INITS),
                              key=K + "init", format_func=INITS.__getitem__)
        fb = st.slider("LSTM forget-gate bias b_f", -2.0, 5.0, step=0.5, key=K + "forget_bias",
                       help="Γf = σ(… + b_f) at the start: b_f = 1 keeps 73% of c<t-1> per "
                            "step. Only the LSTM has this bias.")
    with c3:
        lr = st.select_slider("Learning rate (Adam)", LRS, key=K + "lr")
        clip = st.select_slider("Clip ‖∂L/∂θ‖ to", list(CLIPS), key=K + "clip")
        steps = st.slider("Steps (every cell)", 20, limits.max_steps, step=10, key=K + "steps")
        seed = st.number_input("Seed (initial weights and data order)", 0, 2**31 - 1, step=1,
                               key=K + "seed",
                               help="The same for every cell. Near the edge of what a cell "
                                    "can learn, the outcome changes from seed to seed: try "
                                    "two or three before trusting one run.")
    init = InitConfig(scheme=scheme, forget_bias=float(fb))
    return cells, int(n_a), init, float(lr), CLIPS[clip], int(steps), int(seed)


def _text_source(limits: jobs.Limits) -> tuple[str, str]:
    """(text, where it came from); an empty text when the chosen source has none yet."""
    source = st.radio("Text to learn", list(SOURCES), key=K + "source", horizontal=True,
                      format_func=SOURCES.__getitem__)
    if source == "sidebar":
        text, _ = ui.current_text()
    elif source == "paste":
        text = st.text_area("Paste a text", key=K + "paste", height=120,
                            max_chars=limits.max_text_bytes)
    elif source == "upload":
        up = st.file_uploader("A plain-text file (UTF-8, at most 1 MB)", type=["txt", "md", "py"],
                              key=K + "upload", max_upload_size=1)
        text = ""
        if up is not None:
            raw = up.getvalue()
            if len(raw) > limits.max_text_bytes:
                st.error(f"The file has {len(raw):,} bytes; at most {limits.max_text_bytes:,} "
                         "can be trained on.")
            else:
                text = raw.decode("utf-8", errors="replace")
    else:
        text = _corpus()
    return text, source


# -- the live view -----------------------------------------------------------------------------


def _progress(run: jobs.Run, status: str, position: int, data: dict) -> None:
    step, steps = data.get("step", 0), data.get("steps", 1)
    elapsed = data.get("elapsed", 0.0)
    rate = step / elapsed if elapsed > 0 else math.nan
    if status == jobs.QUEUED:
        running, waiting = jobs.manager().counts()
        text = (f"Waiting: number {position} in the queue ({running} runs are training on "
                "this server; at most " f"{jobs.manager().max_running} at a time).")
    else:
        left = (steps - step) / rate if rate > 0 else math.nan
        left = min(left, run.time_left_s) if math.isfinite(left) else run.time_left_s
        text = (f"{status}: step {step} / {steps}"
                + (f" · {rate:.1f} steps/s · about {left:.0f} s left" if rate > 0 else "")
                + (f" · {run.error}" if run.error else ""))
    st.progress(min(step / max(steps, 1), 1.0), text=text)


def _live(data: dict) -> None:
    metric = data["metric"]
    names = figs.NAMES
    left, right = st.columns(2, gap="medium")
    with left:
        ui.chart(figs.loss_figure(data["losses"]), key=K + "loss_chart")
        ui.look_for(
            "One curve per cell, all trained on the same batches. Direct objective: the loss "
            "is −log P(correct verb), ln 2 ≈ 0.69 at chance; a cell whose curve drops to ~0 "
            "has found the subject's number. Language model: the mean over every word, "
            f"mostly filler words drawn uniformly from {len(FILLERS)}, so it cannot go much "
            f"below ln {len(FILLERS)} ≈ {math.log(len(FILLERS)):.2f}; the verb is one word of "
            "many, so watch the accuracy instead." if metric == "accuracy" else
            "One curve per cell, all trained on the same chunks: nats per character.")
    with right:
        base = data.get("baseline")
        ui.chart(figs.metric_figure(data["evals"], metric, baseline=base),
                 key=K + "metric_chart")
        ui.look_for(
            "Accuracy on held-out sentences (never trained on), at the verb. 50% is a coin "
            "flip: a cell stuck there has not carried the subject's number across the clause."
            if metric == "accuracy" else
            "Bits per character on the held-out last 10% of the text. The dashed line is a "
            "Kneser-Ney 5-gram fitted on the same training part: below it, the network knows "
            "more than the last four characters.")
    last = {c: v[-1] for c, v in data["da_norms"].items()}
    at = max((int(v[-1]) for v in data["da_steps"].values()), default=0)
    ui.chart_with_note(
        figs.da_now_figure(last, at), key=K + "da_chart",
        note=("The gradient of the loss at the last step (the verb) with respect to each "
              "a<t>, on a fixed probe batch. Read it from the right: the further left it "
              "stays high, the further back the loss can change what the cell stores. "
              "Where it has fallen by orders of magnitude before t = 2 (the subject), the "
              "subject gets almost no training signal.").replace("<", "\\<"))
    ui.chart_with_note(
        figs.da_heatmap_figure(data["da_steps"], data["da_norms"]), key=K + "da_heatmap",
        note="Each row is one snapshot during training, the colour log₁₀ of the norm above "
             "(one scale for all cells). Bright columns reaching the left edge: the gradient "
             "reaches the subject. Watch whether a cell's rows brighten on the left as it "
             "learns (gates opening) or stay dark (vanishing).")
    if data.get("samples"):
        step, texts = data["samples"][-1]
        st.markdown(f"**Samples at step {step}** (temperature 0.7)")
        for c, s in texts.items():
            st.text(f"{names[c]}: {s}")


def _after_run(data: dict, cfg, kind: str, cells) -> None:
    race = data["race"]
    metric = data["metric"]
    final = race.latest(metric)
    st.subheader("What this run shows")
    best = {c: max(r.evals, key=lambda e: e[1][metric]) for c, r in race.runs.items()
            if r.evals and metric == "accuracy"}
    best = {c: (k, e[metric]) for c, (k, e) in best.items()}
    st.markdown(figs.describe_race(final, metric, data.get("baseline"), best=best))
    if kind == "agreement":
        ui.look_for(LITERATURE, title="Beyond this run")
    st.subheader("Keep the trained networks")
    cols = st.columns(len(race.runs))
    for col, (c, r) in zip(cols, race.runs.items(), strict=True):
        with col:
            st.download_button(f"{figs.NAMES[c]} weights (.npz)", _npz(r.model, cfg, kind),
                               file_name=f"rnnviz-{kind}-{c}.npz", key=K + f"download.{c}",
                               mime="application/octet-stream")
            in_torch = _safetensors(data["task"], r.model, f"trained-{kind}-{c}")
            if in_torch is not None:
                st.download_button(f"{figs.NAMES[c]} for PyTorch (.safetensors)", in_torch,
                                   file_name=f"rnnviz-{kind}-{c}.safetensors",
                                   key=K + f"download_torch.{c}",
                                   mime="application/octet-stream")
            st.button(f"Use the {figs.NAMES[c]} on every page", key=K + f"use.{c}",
                      help="Adds it to the sidebar's model list for this session and "
                           "selects it there.",
                      on_click=_use, args=(data["task"], r.model, f"trained-{kind}-{c}"))
    st.caption("The .npz holds the parameters under the seed's names (Wf, Wi, Waa, …) and "
               "`_config`, `_card` as JSON strings. The .safetensors file has torch's key names "
               "and layout (nn.Embedding + nn.RNN/nn.LSTM + nn.Linear; the vocabulary is in its "
               "metadata); the course's GRU applies Γr before the recurrent product, which "
               "nn.GRU cannot, so it has no .safetensors.")


def _safetensors(task, network, name: str) -> bytes | None:
    """The trained network in torch's layout (`rnnviz.models.imported.export_state_dict`), or
    None for a cell nn.RNN/GRU/LSTM cannot hold (the course's GRU)."""
    from safetensors.numpy import save

    from rnnviz.models.imported import export_state_dict

    try:
        tensors, meta = export_state_dict(task.in_use(network.copy(), name))
    except ValueError:
        return None
    return save(tensors, metadata=meta)


def _npz(model, cfg, kind: str) -> bytes:
    buf = io.BytesIO()
    card = {"task": kind, "settings": {k: v for k, v in asdict(cfg).items() if k != "init"},
            "init": asdict(cfg.init)}
    np.savez(buf, **model.params, _config=np.array(json.dumps(asdict(model.config))),
             _card=np.array(json.dumps(card, default=str)))
    return buf.getvalue()


def _sweep_section(cfg: AgreementConfig, cells) -> None:
    st.subheader("Accuracy vs distance")
    sweep_run = st.session_state.get(K + "sweep_run")
    st.caption(f"Trains every chosen cell at L ∈ {list(DISTANCES)} with this run's other "
               f"settings ({cfg.steps} steps each, {len(DISTANCES) * len(cells)} runs); "
               "stops at the per-run time limit of "
               f"{_limits().max_wall_s:.0f} s with the points done so far.")
    st.button("Run the sweep", key=K + "sweep", on_click=_ask, args=("sweep",))
    if st.session_state.get(ACTION) == "sweep":
        st.session_state.pop(ACTION)
        settings = dict(attractors=min(cfg.attractors, min(DISTANCES)),
                        objective=cfg.objective, n_a=cfg.n_a, steps=cfg.steps, seed=cfg.seed,
                        lr=cfg.lr, clip_norm=cfg.clip_norm, init=cfg.init)
        try:
            sweep_run = jobs.manager().submit(jobs.session_id(), "sweep",
                                              _sweep_work(list(cells), settings))
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
            st.caption(f"Sweep stopped: {status}. The points done so far are shown.")
        points = data.get("sweep")
        if points and any(points.values()):
            ui.chart_with_note(
                figs.sweep_figure(points), key=K + "sweep_chart",
                note="One training run per point, same settings for every cell. A cell that "
                     "falls to 50% has stopped carrying the subject's number that far within "
                     "this budget; the distance where the cells part (if they do) is the "
                     "regime the course's argument is about.")
        if active and status not in jobs.ACTIVE:
            st.rerun()

    view()


# -- the page ----------------------------------------------------------------------------------


def render() -> None:
    ui.ensure_frame()
    st.title("Training")
    st.caption(
        "The course motivates GRUs and LSTMs with long-range agreement: \"The cat, which "
        "already ate …, was full\" against \"The cats, which already ate …, were full\". "
        "Train the three cells side by side and see what happens, with the same seed, "
        "init, data and budget for each.")
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    limits = _limits()
    kind = st.radio("Task", ["agreement", "text"], key=K + "task", horizontal=True,
                    format_func={"agreement": "A: agreement (was / were)",
                                 "text": "B: character language model on a text"}.__getitem__)
    if kind == "agreement":
        opts = _agreement_controls(limits)
        cfg = AgreementConfig(distance=opts["distance"], attractors=opts["attractors"],
                              objective=opts["objective"], n_a=opts["n_a"],
                              steps=opts["steps"], lr=opts["lr"], clip_norm=opts["clip"],
                              init=opts["init"], seed=opts["seed"])
        lo = cfg.distance if isinstance(cfg.distance, int) else cfg.distance[0]
        example, verb = agreement_task(lo, 1, np.random.default_rng(1), min(cfg.attractors,
                                                                            lo))[0]
        st.caption(f"An example (held-out style): “{example} → **{verb}**”")
        seq_len = (cfg.distance if isinstance(cfg.distance, int) else cfg.distance[1]) + 2
        text_bytes, metric, sample_every = 0, "accuracy", 0

        def make_task():
            return AgreementTask(cfg)
    else:
        text, source = _text_source(limits)
        c1, c2, c3 = st.columns(3, gap="medium")
        with c1:
            sample_every = st.slider("Samples every N steps", 10, 200, step=10,
                                     key=K + "sample_every")
        cells_, n_a, init, lr, clip, steps, seed = _common_controls(limits, c2, c3)
        opts = dict(cells=cells_)
        cfg = TextLMConfig(n_a=n_a, steps=steps, lr=lr, clip_norm=clip, init=init, seed=seed)
        seq_len, metric = cfg.T, "bpc"
        text_bytes = len(text.encode("utf-8"))
        st.caption(f"{len(text):,} characters from {SOURCES[source]}; the last 10% are "
                   "held out.")

        def make_task():
            return TextLMTask(text, cfg)

    cells = [c for c in CELLS if c in opts["cells"]]
    mgr, sid = jobs.manager(), jobs.session_id()
    run: jobs.Run | None = st.session_state.get(K + "run")
    status = run.status if run is not None else None

    b1, b2, b3, b4 = st.columns(4)
    b1.button("Train", key=K + "start", type="primary", disabled=status in jobs.ACTIVE,
              on_click=_ask, args=("start",))
    b2.button("Stop", key=K + "stop", disabled=status not in jobs.ACTIVE, on_click=_ask,
              args=("stop",))
    b3.button("Resume", key=K + "resume", disabled=status != jobs.PAUSED, on_click=_ask,
              args=("resume",))
    b4.button("Reset", key=K + "reset", disabled=run is None, on_click=_ask, args=("reset",))
    action = st.session_state.get(ACTION)
    if action in ("start", "stop", "resume", "reset"):
        del st.session_state[ACTION]
    start, stop, resume, reset = (action == a for a in ("start", "stop", "resume", "reset"))
    if start:
        try:
            if not cells:
                raise jobs.RunRejected("choose at least one cell to train")
            if kind == "text" and len(text) < MIN_CHARS:
                raise jobs.RunRejected(f"the text has {len(text)} characters; a language "
                                       f"model needs at least {MIN_CHARS}")
            limits.check(steps=cfg.steps, n_a=cfg.n_a, seq_len=seq_len, cells=len(cells),
                         text_bytes=text_bytes)
            if run is not None:
                mgr.discard(run)
            work = _race_work(make_task, cells, cfg.steps, cfg.train_config(), metric,
                              sample_every, cfg.seed)
            run = mgr.submit(sid, kind, work)
            st.session_state[K + "run"] = run
            st.session_state[K + "run_cfg"] = (cfg, kind, cells)
            st.session_state.pop(K + "sweep_run", None)
            st.rerun()
        except jobs.RunRejected as e:
            st.warning(f"Cannot start: {e}")
    if stop and run is not None:
        mgr.stop(run)
        st.rerun()
    if resume and run is not None:
        try:
            mgr.resume(run)
        except jobs.RunRejected as e:
            st.warning(str(e))
        st.rerun()
    if reset and run is not None:
        mgr.discard(run)
        for key in ("run", "run_cfg", "sweep_run"):
            st.session_state.pop(K + key, None)
        st.rerun()

    if run is None:
        st.info(f"Press **Train** to start. The default run (agreement, L = "
                f"{A_DEFAULT.distance}, {A_DEFAULT.steps} steps per cell) trains the three "
                "cells in turn, one step each; the progress bar shows steps per second and "
                f"the time left. Every run stops after {limits.max_wall_s:.0f} s of work.")
        if kind == "agreement" and cells:
            ui.chart_with_note(
                figs.da_now_figure(_initial_da(cfg, tuple(cells)), 0), key=K + "da_initial",
                note=("Before any training: how far back the loss at the verb reaches into "
                      "each freshly initialised cell, on the probe sentences. This is where "
                      "every run starts; the live view shows how training changes it."))
        return
    run_cfg, run_kind, run_cells = st.session_state[K + "run_cfg"]
    active = run.status in jobs.ACTIVE

    @st.fragment(run_every=1.0 if active else None)
    def live():
        status, position, data = run.view()
        _progress(run, status, position, data)
        if data:
            _live(data)
        if active and status not in jobs.ACTIVE:
            st.rerun()                      # the run ended: redraw the whole page once

    live()
    _, _, data = run.view()
    if not active and data and data.get("step", 0) > 0:
        _after_run(data, run_cfg, run_kind, run_cells)
        if run_kind == "agreement":
            _sweep_section(run_cfg, run_cells)


render()
