"""The training loop: forward, BPTT, clipping, an optimizer step, progress reports.

One step on a `Batch` (x, y):

    trace = model.forward(x, state0)               state0 = previous a<T_x>, c<T_x> if carried
    L, grads = model.backward(trace, y)            L = Σ_t L<t>, averaged over the m examples
    g ← g · m / n_targets                          mean per target token (see below)
    g ← clip(g)                                    by global norm and/or by value
    W ← optimizer(W, g, α_k)

Scaling by the number of targets makes the gradient a mean per token, so a clipping
threshold or learning rate means the same for any T_x (the model's own loss is a sum
over time, the course's L = Σ_t L<t>). The loop draws no random numbers: the data source
and the initial weights carry the seed, so a run is deterministic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.analysis import clip_by_global_norm, clip_by_value
from rnnviz.training.batches import Batch
from rnnviz.training.optim import Schedule, make_optimizer


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000                # optimizer steps
    optimizer: str = "adam"          # "adam" | "sgd"
    lr: float = 2e-3                 # peak learning rate
    warmup: int = 0                  # linear warm-up steps
    decay: str = "cosine"            # learning-rate decay, see optim.Schedule
    final_lr_frac: float = 0.1       # last learning rate / peak
    momentum: float = 0.0            # SGD only
    clip_norm: float | None = 5.0    # clip the global gradient norm to this (None = off)
    clip_value: float | None = None  # clip every gradient entry to ±this (None = off)
    loss_at: str = "all"             # "all": a loss at every step; "last": only at T_x
    smoothing: float = 0.98          # exponential smoothing of the reported loss
    curve_points: int = 200          # about this many points in the stored loss curve

    def schedule(self) -> Schedule:
        return Schedule(lr=self.lr, total=self.steps, warmup=self.warmup, decay=self.decay,
                        final_frac=self.final_lr_frac)


@dataclass
class Progress:
    """What a progress callback receives after every step."""

    step: int                        # steps done (1-based)
    steps: int                       # steps planned
    loss: float                      # this batch's mean loss per target token (nats)
    smooth_loss: float               # exponentially smoothed, bias-corrected
    lr: float
    grad_norm: float                 # global norm before clipping
    clipped: bool
    epoch: int
    elapsed: float                   # seconds since the loop started
    tokens: int                      # target tokens seen so far

    @property
    def fraction(self) -> float:
        return self.step / self.steps


@dataclass
class TrainResult:
    losses: np.ndarray                          # per step, nats per target token
    loss_curve: list[tuple[int, float]]         # (step, smoothed loss), about curve_points
    eval_curve: list[tuple[int, dict]] = field(default_factory=list)
    time_s: float = 0.0                         # wall-clock seconds of training (no evaluation)
    steps: int = 0
    tokens: int = 0
    skipped: int = 0                            # steps with a non-finite gradient (no update)
    stopped: bool = False                       # the callback asked to stop


@dataclass
class StepOutput:
    """What one optimizer step did (`train_step`)."""

    loss: float                      # mean loss per target token (nats)
    grad_norm: float                 # global norm before clipping
    clipped: bool
    skipped: bool                    # non-finite loss or gradient: no update
    n_targets: int
    state: object                    # the state to carry into the next chunk (or None)
    trace: object                    # the forward Trace of this batch
    btrace: object                   # its BackwardTrace (btrace.grad_norm: ||∂L/∂a<t>||)


def train_step(model, optimizer, batch: Batch, config: TrainConfig, lr: float,
               state=None) -> StepOutput:
    """One step of the loop (module docstring): forward, BPTT, scale, clip, update."""
    trace = model.forward(batch.x, state0=state if batch.carry else None)
    loss, grads, btrace = model.backward(trace, batch.y, at=config.loss_at)
    n_targets = max(batch.n_targets, 1)
    scale = batch.x.shape[1] / n_targets
    loss *= scale
    grads = {name: g * np.asarray(scale, dtype=g.dtype) for name, g in grads.items()}
    if config.clip_value is not None:
        grads = clip_by_value(grads, config.clip_value)
    if config.clip_norm is not None:
        grads, norm = clip_by_global_norm(grads, config.clip_norm)
        clipped = norm > config.clip_norm
    else:
        norm = float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64)))
                                 for g in grads.values())))
        clipped = False
    # only a unidirectional model has a state to carry into the next chunk
    state = trace.final_state
    skipped = not (math.isfinite(norm) and math.isfinite(loss))
    if skipped:
        state = None
    else:
        optimizer.step(model.params, grads, lr)
    return StepOutput(loss=loss, grad_norm=norm, clipped=clipped, skipped=skipped,
                      n_targets=n_targets, state=state, trace=trace, btrace=btrace)


def train(model, batches: Iterable[Batch], config: TrainConfig,
          callback: Callable[[Progress], bool | None] | None = None,
          evaluate: Callable[[], dict] | None = None, eval_every: int = 0) -> TrainResult:
    """Train `model` in place for `config.steps` steps on `batches`.

    callback(progress) runs after every step; returning False stops the run early.
    evaluate() (e.g. a held-out loss) runs every `eval_every` steps and at the end; its
    results go to `eval_curve`.
    """
    if config.loss_at not in ("all", "last"):
        raise ValueError("loss_at must be 'all' or 'last'")
    schedule = config.schedule()
    opt_kwargs = {"momentum": config.momentum} if config.optimizer == "sgd" else {}
    optimizer = make_optimizer(config.optimizer, model.params, **opt_kwargs)
    every = max(1, config.steps // max(config.curve_points, 1))
    losses = np.full(config.steps, np.nan)
    result = TrainResult(losses=losses, loss_curve=[])
    smooth, weight, state = 0.0, 0.0, None
    eval_time = 0.0
    t0 = time.perf_counter()
    it = iter(batches)
    for k in range(config.steps):
        batch = next(it)
        lr = schedule(k)
        out = train_step(model, optimizer, batch, config, lr, state)
        state, loss, norm, clipped = out.state, out.loss, out.grad_norm, out.clipped
        result.skipped += out.skipped
        losses[k] = loss
        if math.isfinite(loss):
            smooth = config.smoothing * smooth + (1 - config.smoothing) * loss
            weight = config.smoothing * weight + (1 - config.smoothing)
        smooth_loss = smooth / weight if weight else float("nan")
        result.tokens += out.n_targets
        if (k + 1) % every == 0 or k + 1 == config.steps:
            result.loss_curve.append((k + 1, smooth_loss))
        if evaluate is not None and eval_every and (k + 1) % eval_every == 0 \
                and k + 1 < config.steps:
            e0 = time.perf_counter()
            result.eval_curve.append((k + 1, evaluate()))
            eval_time += time.perf_counter() - e0
        result.steps = k + 1
        if callback is not None:
            progress = Progress(step=k + 1, steps=config.steps, loss=loss, lr=lr,
                                smooth_loss=smooth_loss, grad_norm=norm, clipped=clipped,
                                epoch=batch.epoch,
                                elapsed=time.perf_counter() - t0 - eval_time,
                                tokens=result.tokens)
            if callback(progress) is False:
                result.stopped = True
                break
    result.time_s = time.perf_counter() - t0 - eval_time
    if evaluate is not None:
        result.eval_curve.append((result.steps, evaluate()))
    return result
