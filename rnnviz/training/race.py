"""Several cells trained side by side, one step at a time, for a live view.

A `Race` holds one `CellRun` per cell (RNN, GRU, LSTM): its model, optimizer and its own
iterator over the task's batches. The task hands every cell the same seed, hence the same
initial-weight family, the same sentences in the same order and the same budget; the race
steps the cells in turn (one optimizer step each), so their curves grow together.

Each step is `rnnviz.training.loop.train_step` (forward, BPTT, clipping, the optimizer).
Every `record_every` steps the race also measures, on the task's fixed probe batch,

    ‖∂L<T_x>/∂a<t>‖ for t = 1..T_x     the gradient of the loss at the last step only,

so a heatmap over (training step, t) shows how far back the loss reaches as training goes;
and every `eval_every` steps the task's held-out metric (accuracy or bits per character).

A race can stop (its `should_stop` callable, or the callback returning False) and resume
from where it stopped: the optimizers keep their moments and the iterators their place, so a
stopped-and-resumed race gives exactly the numbers of an uninterrupted one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rnnviz.training.loop import TrainConfig, train_step
from rnnviz.training.optim import make_optimizer


@dataclass
class CellRun:
    """One cell's part of a race: its network, optimizer, data and what it recorded."""

    cell: str
    model: object
    optimizer: object
    batches: object                  # an iterator of Batch
    losses: list[float] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)   # global ‖∂L/∂θ‖ before clipping
    da_steps: list[int] = field(default_factory=list)       # steps at which da_norms were taken
    da_norms: list[np.ndarray] = field(default_factory=list)  # (T_x,) ‖∂L<T_x>/∂a<t>‖
    evals: list[tuple[int, dict]] = field(default_factory=list)
    skipped: int = 0
    train_time: float = 0.0          # seconds spent in training steps (no evaluation)

    @property
    def step(self) -> int:
        return len(self.losses)

    def loss_array(self) -> np.ndarray:
        return np.asarray(self.losses, dtype=np.float64)

    def __getstate__(self):
        """A pickled copy (a worker process sends the race to the server) has everything but
        the data iterator, which cannot be pickled: the copy is for reading, not training."""
        return {**self.__dict__, "batches": None}


@dataclass
class RaceProgress:
    """What the per-step callback receives (after every cell made the step)."""

    step: int                        # steps done by every cell (1-based)
    steps: int                       # steps planned
    elapsed: float                   # wall-clock seconds of this race so far (all cells)
    losses: dict[str, float]         # this step's loss per cell

    @property
    def fraction(self) -> float:
        return self.step / self.steps


def da_norm_at_last_step(model, batch) -> np.ndarray:
    """‖∂L<T_x>/∂a<t>‖ over t (Frobenius over units and examples) on `batch`: the loss at
    the last step only (a many-to-many head scores its target at T_x)."""
    trace = model.forward(batch.x)
    y = batch.y if batch.y.ndim == 1 else batch.y[:, -1]
    _, _, btrace = model.backward(trace, y, at="last")
    return np.asarray(btrace.grad_norm, dtype=np.float64)


class Race:
    """Train `cells` of `task` side by side (see the module docstring).

    task: has `model(cell)`, `batches()`, `evaluate(model) -> dict`, `probe_batch()`; and
    optionally `train_step` (same signature as `loop.train_step`) and `da_norm(model, batch)`
    when its loss is not the cross-entropy of the text tasks (the flip-flop's squared error).
    """

    def __init__(self, task, cells: Sequence[str], steps: int, train: TrainConfig,
                 record_every: int | None = None, eval_every: int | None = None):
        if not cells:
            raise ValueError("choose at least one cell to train")
        if len(set(cells)) != len(cells):
            raise ValueError("each cell can race only once")
        self.task, self.steps, self.config = task, int(steps), train
        self.schedule = train.schedule()
        self._train_step = getattr(task, "train_step", train_step)
        self._da_norm = getattr(task, "da_norm", da_norm_at_last_step)
        # about 40 gradient snapshots and 20 evaluations over the run (~10% of its time)
        self.record_every = record_every or max(5, self.steps // 40)
        self.eval_every = eval_every or max(10, self.steps // 20)
        self.runs: dict[str, CellRun] = {}
        for cell in cells:
            model = task.model(cell)
            opt_kwargs = {"momentum": train.momentum} if train.optimizer == "sgd" else {}
            self.runs[cell] = CellRun(cell, model,
                                      make_optimizer(train.optimizer, model.params, **opt_kwargs),
                                      iter(task.batches()))
        self.elapsed = 0.0
        self._record(0)

    @property
    def step(self) -> int:
        return min(r.step for r in self.runs.values())

    @property
    def done(self) -> bool:
        return self.step >= self.steps

    def _record(self, k: int) -> None:
        probe = self.task.probe_batch()
        for run in self.runs.values():
            run.da_steps.append(k)
            run.da_norms.append(self._da_norm(run.model, probe))

    def _evaluate(self, k: int) -> None:
        for run in self.runs.values():
            run.evals.append((k, self.task.evaluate(run.model)))

    def step_once(self) -> dict[str, float]:
        """One optimizer step for every cell (same step index k, same batch for each)."""
        k = self.step
        lr = self.schedule(k)
        losses = {}
        for run in self.runs.values():
            t0 = time.perf_counter()
            out = self._train_step(run.model, run.optimizer, next(run.batches),
                                   self.config, lr)
            run.train_time += time.perf_counter() - t0
            run.losses.append(out.loss)
            run.grad_norms.append(out.grad_norm)
            run.skipped += out.skipped
            losses[run.cell] = out.loss
        k += 1
        if k % self.record_every == 0 or k == self.steps:
            self._record(k)
        if k % self.eval_every == 0 or k == self.steps:
            self._evaluate(k)
        return losses

    def run(self, callback: Callable[[RaceProgress], bool | None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> bool:
        """Step until the budget is spent or a stop is asked; True when the budget is spent.
        Calling it again after a stop resumes where it stopped."""
        while not self.done:
            if should_stop is not None and should_stop():
                return False
            t0 = time.perf_counter()
            losses = self.step_once()
            self.elapsed += time.perf_counter() - t0
            if callback is not None:
                progress = RaceProgress(self.step, self.steps, self.elapsed, losses)
                if callback(progress) is False:
                    return self.done
        return True

    def steps_per_second(self) -> float:
        return self.step / self.elapsed if self.elapsed > 0 else math.nan

    def latest(self, metric: str) -> dict[str, float]:
        """The last evaluation of `metric` per cell (NaN before the first one)."""
        return {c: (r.evals[-1][1][metric] if r.evals else math.nan)
                for c, r in self.runs.items()}

    def best(self, metric: str = "accuracy") -> dict[str, tuple[int, float]]:
        """Each evaluated cell's (step, highest value of `metric`), the first step on a tie:
        with `latest`, it tells a cell that learned and then lost it."""
        out = {}
        for c, r in self.runs.items():
            if r.evals:
                k, e = max(r.evals, key=lambda ke: ke[1][metric])
                out[c] = (k, e[metric])
        return out

    def snapshot(self, metric: str) -> dict:
        """Copies of what a live view draws (the race goes on changing in its worker
        process, rnnviz.training.worker):
        per cell the losses, the evaluations of `metric` as (steps, values), the gradient
        snapshots as (steps, (snapshots, T_x) norms)."""
        runs = self.runs
        return {
            "step": self.step, "steps": self.steps, "elapsed": self.elapsed, "metric": metric,
            "losses": {c: r.loss_array() for c, r in runs.items()},
            "evals": {c: (np.array([s for s, _ in r.evals]),
                          np.array([e[metric] for _, e in r.evals])) for c, r in runs.items()},
            "da_steps": {c: np.array(r.da_steps) for c, r in runs.items()},
            "da_norms": {c: np.stack(r.da_norms) for c, r in runs.items()},
        }


def pace(step: int, steps: int, elapsed: float, cap_left: float) -> tuple[float, float]:
    """(steps per second, seconds left) of a run that did `step` of `steps` in `elapsed`
    seconds and may work `cap_left` more: the time left is the sooner of the two ends.
    NaN rate before the first step; then the time left is the cap's."""
    rate = step / elapsed if elapsed > 0 else math.nan
    if not rate > 0:
        return rate, cap_left
    return rate, min((steps - step) / rate, cap_left)
