"""The Training page's runs as work for a job manager (`rnnviz_app.jobs`).

A work function `work(run) -> bool` trains until its budget is spent (True) or
`run.should_stop()` says stop (False); it hands what the page shows to `run.publish(data,
force=False)`, asking `run.due()` whether a snapshot is wanted now. Calling it again resumes
where it stopped. Nothing here imports Streamlit: the `run` is anything with those three
methods, and a work function is built from plain settings (the task kind, its config dataclass,
the text), so it can be built wherever the run is executed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnviz.training.agreement import (
    DISTANCES,
    AgreementConfig,
    AgreementTask,
    accuracy_vs_distance,
)
from rnnviz.training.flipflop import FlipFlopConfig, FlipFlopTask
from rnnviz.training.race import Race
from rnnviz.training.text_lm import TextLMConfig, TextLMTask

KEEP_SAMPLES = 6                     # sample sets kept for the live view (the last one shown)


def make_task(kind: str, config, text: str = ""):
    """The task of a run: "agreement" (an AgreementConfig), "text" (a TextLMConfig + text) or
    "flipflop" (a FlipFlopConfig: the 3-bit flip-flop, rnnviz.training.flipflop)."""
    if kind == "agreement" and isinstance(config, AgreementConfig):
        return AgreementTask(config)
    if kind == "flipflop" and isinstance(config, FlipFlopConfig):
        return FlipFlopTask(config)
    if kind == "text" and isinstance(config, TextLMConfig):
        return TextLMTask(text, config)
    raise ValueError(f"no task {kind!r} with a {type(config).__name__}")


def race_work(kind: str, config, cells: Sequence[str], text: str = "", sample_every: int = 0):
    """work(run): build the task (in the worker: the n-gram baseline and the held-out set take
    a moment), then race the cells, publishing `Race.snapshot` plus "samples" (the last few
    (step, {cell: text}) of a text run), "task", "baseline" (its n-gram bits per character)
    and "race"."""
    metric = "bpc" if kind == "text" else "accuracy"
    state: dict = {}

    def work(run) -> bool:
        if "race" not in state:
            task = make_task(kind, config, text)
            state["race"] = Race(task, list(cells), config.steps, config.train_config())
            state["extra"] = {"samples": [], "task": task,
                              "baseline": task.baseline_bpc() if metric == "bpc" else None}
        race, extra = state["race"], state["extra"]
        task = extra["task"]

        def on_step(p):
            if sample_every and p.step % sample_every == 0:
                rng = np.random.default_rng([config.seed, p.step])
                extra["samples"] = [*extra["samples"][1 - KEEP_SAMPLES:], (p.step, {
                    c: task.sample(r.model, rng) for c, r in race.runs.items()})]
            if run.due():
                run.publish({**race.snapshot(metric), **extra, "race": race})

        finished = race.run(callback=on_step, should_stop=run.should_stop)
        run.publish({**race.snapshot(metric), **extra, "race": race}, force=True)
        return finished

    return work


def sweep_work(cells: Sequence[str], config: AgreementConfig):
    """work(run): `accuracy_vs_distance` with the run's settings (`config.sweep_settings()`),
    publishing {"sweep": {cell: {L: accuracy}}} after every point; a resumed sweep trains only
    the points not done yet."""
    points: dict = {c: {} for c in cells}

    def work(run) -> bool:
        def on_point(cell, L, acc):
            points[cell][L] = acc
            run.publish({"sweep": {c: dict(v) for c, v in points.items()}}, force=True)

        todo = [L for L in DISTANCES if any(L not in points[c] for c in cells)]
        accuracy_vs_distance(list(cells), todo, should_stop=run.should_stop,
                             on_point=on_point, **config.sweep_settings())
        run.publish({"sweep": {c: dict(v) for c, v in points.items()}}, force=True)
        return all(len(points[c]) == len(DISTANCES) for c in cells)

    return work
