"""The 3-bit flip-flop task (Sussillo & Barak, 2013) and a NumPy trainer for it.

Data. Each of `bits` input channels carries sparse pulses of +1 or −1 (probability `p` per
step); output channel k holds the sign of channel k's last pulse (0 before the first):

    x_k<t> ∈ {−1, 0, +1},   y_k<t> = x_k<t'>,  t' = the last step ≤ t with x_k<t'> ≠ 0

Model. A one-layer RNN / GRU / LSTM (rnnviz.core Model, continuous input n_x = bits) with a
linear readout ŷ<t> = W_y a<t> + b_y (the head's pre-activation z_y), trained on
L = 1/(2 T_x m) Σ_t ‖ŷ<t> − y<t>‖² with Adam. A trained network keeps each memory state as
a stable fixed point of a<t> = F(a<t-1>, 0) (rnnviz.dynamics.fixed_points).

Accuracy: the share of (step, bit) where sign(ŷ) matches y, over steps after every bit has
had a pulse, on fresh sequences.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model, RNNConfig
from rnnviz.training.loop import StepOutput, TrainConfig
from rnnviz.training.optim import Adam, Schedule

SHIPPED = Path(__file__).resolve().parent.parent / "pretrained"
DEFAULTS = {"rnn": 24, "gru": 24, "lstm": 24}      # n_a of the shipped models
STEPS = {"rnn": 3000, "gru": 3000, "lstm": 2000}   # their Adam steps (seed 0)


def flipflop_data(n: int, T: int, rng: np.random.Generator, bits: int = 3, p: float = 0.05):
    """x (bits, n, T) pulses and y (bits, n, T) held signs, in the seed's column layout."""
    pulse = rng.random((bits, n, T)) < p
    sign = np.where(rng.random((bits, n, T)) < 0.5, -1.0, 1.0)
    x = pulse * sign
    y = np.zeros_like(x)
    held = np.zeros((bits, n))
    for t in range(T):
        held = np.where(pulse[:, :, t], x[:, :, t], held)
        y[:, :, t] = held
    return x, y


def readout(model: Model, x: np.ndarray):
    """(trace, ŷ (T, m, bits)): the linear readout z_y of every step."""
    trace = model.forward(x)
    return trace, trace.rows["z_y"]


def accuracy(model: Model, rng: np.random.Generator, bits: int = 3, n: int = 64,
             T: int = 200) -> float:
    x, y = flipflop_data(n, T, rng, bits)
    _, yh = readout(model, x)
    Y = np.transpose(y, (2, 1, 0))
    seen = np.maximum.accumulate(np.abs(Y), axis=0) > 0     # bit k has had a pulse
    return float((np.sign(yh) == Y)[seen].mean())


@dataclass
class FlipFlop:
    """A trained flip-flop network and what we know of it (a continuous-input model: the
    input is three numbers per step, no vocabulary)."""

    name: str
    model: Model
    bits: int = 3
    card: dict = field(default_factory=dict)

    @property
    def config(self) -> RNNConfig:
        return self.model.config

    def network(self, dtype: str = "float64") -> Model:
        cfg = RNNConfig(**{**self.config.__dict__, "dtype": dtype})
        return Model(cfg, {k: np.array(v, dtype=dtype) for k, v in self.model.params.items()})

    def states(self, x: np.ndarray) -> np.ndarray:
        """The states s<t> (T, n_s) of the first example of x (bits, m, T): [a] or [a; c]."""
        tape = self.network().forward(np.asarray(x, np.float64)[:, :1]).tapes[""]
        parts = [tape.A[:, 0]] + ([tape.C[:, 0]] if self.config.cell == "lstm" else [])
        return np.concatenate(parts, axis=1)


def flipflop_step(model: Model, optimizer, x: np.ndarray, y: np.ndarray, lr: float,
                  clip_norm: float | None = 1.0) -> tuple[float, float]:
    """One Adam step on L = 1/(2 T_x m) Σ_t ‖ŷ<t> − y<t>‖²: (loss, ‖∂L/∂θ‖ before clipping).
    The gradient is scaled to global norm `clip_norm` when it is longer."""
    T, m = x.shape[2], x.shape[1]
    trace, yh = readout(model, x)
    err = yh - np.transpose(y, (2, 1, 0))                    # (T, m, bits)
    loss = float(0.5 * (err ** 2).sum() / (T * m))
    _, grads, _ = model.backward(trace, dZy=err / (T * m), input_grad=False)
    norm = float(np.sqrt(sum(float((g ** 2).sum()) for g in grads.values())))
    if clip_norm is not None and norm > clip_norm:
        grads = {k: g / (norm / clip_norm) for k, g in grads.items()}
    if np.isfinite(norm) and np.isfinite(loss):
        optimizer.step(model.params, grads, lr)
    return loss, norm


def train_flipflop(cell: str, bits: int = 3, n_a: int | None = None, steps: int = 2000,
                   seed: int = 0, m: int = 32, T: int = 60, lr: float = 1e-2,
                   progress=None, should_stop=None) -> FlipFlop:
    """Train a one-layer `cell` on the flip-flop task with Adam (cosine schedule, gradient
    clipped at global norm 1). progress(step, steps, loss) after each step; should_stop() is
    checked before each step. (The Training page races the cells with `FlipFlopTask`
    instead: the same step, the same data for every cell.)"""
    n_a = n_a or DEFAULTS[cell]
    rng = np.random.default_rng(seed)
    cfg = RNNConfig(cell=cell, n_x=bits, n_a=n_a, n_y=bits, dtype="float64")
    model = Model.init(cfg, rng)
    opt, sched = Adam(model.params), Schedule(lr=lr, total=steps, warmup=50)
    t0, loss, done = time.perf_counter(), float("nan"), 0
    for k in range(steps):
        if should_stop is not None and should_stop():
            break
        x, y = flipflop_data(m, T, rng, bits)
        loss, _ = flipflop_step(model, opt, x, y, sched(k))
        done = k + 1
        if progress is not None:
            progress(done, steps, loss)
    acc = accuracy(model, np.random.default_rng(seed + 10_000), bits)
    card = {"name": f"flipflop-{cell}", "cell": cell, "bits": bits, "n_a": n_a, "steps": done,
            "seed": seed, "batch": m, "T_x": T, "lr": lr, "final_loss": loss, "accuracy": acc,
            "seconds": round(time.perf_counter() - t0, 1),
            "command": "python -m rnnviz.training.flipflop"}
    return FlipFlop(name=card["name"], model=model, bits=bits, card=card)


@dataclass(frozen=True)
class FlipFlopConfig:
    """The Training page's flip-flop run (task C); the fields it shares with the other tasks
    (n_a, init, lr, clip_norm, steps, seed) come from the same widgets."""

    n_a: int = 24                            # hidden units (every cell)
    steps: int = 600                         # Adam steps (every cell)
    lr: float = 1e-2                         # peak learning rate (cosine decay, 50 warm-up)
    clip_norm: float | None = 1.0            # global-norm clipping
    init: InitConfig = field(default_factory=InitConfig)
    seed: int = 0                            # initial weights and pulse streams
    bits: int = 3                            # input / output channels
    m: int = 32                              # sequences per batch
    T: int = 60                              # steps per sequence (T_x)

    def __post_init__(self):
        if self.n_a < 1 or self.steps < 1 or self.m < 1 or self.T < 2 or self.bits < 1:
            raise ValueError("n_a, steps, m, bits must be >= 1 and T >= 2")

    @property
    def seq_len(self) -> int:
        return self.T

    def train_config(self) -> TrainConfig:
        # train_flipflop's schedule: 50 warm-up steps (fewer in a short run), cosine decay
        return TrainConfig(steps=self.steps, optimizer="adam", lr=self.lr,
                           warmup=min(50, self.steps // 10), clip_norm=self.clip_norm)


@dataclass(frozen=True)
class FlipFlopBatch:
    x: np.ndarray        # (bits, m, T_x) pulses
    y: np.ndarray        # (bits, m, T_x) held signs


class FlipFlopTask:
    """The flip-flop as a task for `rnnviz.training.race.Race`: every cell gets the same
    initial-weight seed, the same pulse streams and the same budget; its own step
    (`flipflop_step`, a squared error on the linear readout) and its own measure of
    ‖∂L<T_x>/∂a<t>‖ replace the cross-entropy ones of the text tasks."""

    def __init__(self, config: FlipFlopConfig):
        self.config = config
        probe_x, probe_y = flipflop_data(16, config.T, np.random.default_rng([config.seed, 2]),
                                         config.bits)
        self.probe = FlipFlopBatch(probe_x, probe_y)

    def model(self, cell: str) -> Model:
        cfg = self.config
        rc = RNNConfig(cell=cell, n_x=cfg.bits, n_a=cfg.n_a, n_y=cfg.bits, dtype="float64")
        return Model.init(rc, np.random.default_rng(cfg.seed), init=cfg.init)

    def batches(self):
        cfg = self.config
        rng = np.random.default_rng([cfg.seed, 0])
        while True:
            yield FlipFlopBatch(*flipflop_data(cfg.m, cfg.T, rng, cfg.bits))

    def train_step(self, model: Model, optimizer, batch: FlipFlopBatch, config: TrainConfig,
                   lr: float) -> StepOutput:
        loss, norm = flipflop_step(model, optimizer, batch.x, batch.y, lr, config.clip_norm)
        finite = bool(np.isfinite(norm) and np.isfinite(loss))
        return StepOutput(loss=loss, grad_norm=norm,
                          clipped=config.clip_norm is not None and norm > config.clip_norm,
                          skipped=not finite, n_targets=batch.y.size, state=None, trace=None,
                          btrace=None)

    def evaluate(self, model: Model) -> dict:
        """Accuracy on a fixed set of fresh sequences (the same at every evaluation)."""
        cfg = self.config
        return {"accuracy": accuracy(model, np.random.default_rng([cfg.seed, 1]), cfg.bits)}

    def probe_batch(self) -> FlipFlopBatch:
        return self.probe

    def da_norm(self, model: Model, batch: FlipFlopBatch) -> np.ndarray:
        """‖∂L<T_x>/∂a<t>‖ over t for L<T_x> = ½‖ŷ<T_x> − y<T_x>‖² (mean over examples)."""
        trace, yh = readout(model, batch.x)
        dZy = np.zeros_like(yh)
        dZy[-1] = (yh[-1] - batch.y[:, :, -1].T) / batch.x.shape[1]
        _, _, btrace = model.backward(trace, dZy=dZy, input_grad=False)
        return np.asarray(btrace.grad_norm, dtype=np.float64)

    def trained(self, model: Model, cell: str, accuracy_now: float | None = None) -> FlipFlop:
        """A raced network as a FlipFlop (what the Dynamics page opens)."""
        cfg = self.config
        card = {"name": f"trained-flipflop-{cell}", "cell": cell, "bits": cfg.bits,
                "n_a": cfg.n_a, "steps": cfg.steps, "seed": cfg.seed, "batch": cfg.m,
                "T_x": cfg.T, "lr": cfg.lr,
                "accuracy": (self.evaluate(model)["accuracy"] if accuracy_now is None
                             else accuracy_now),
                "command": "the Training page (task C)"}
        return FlipFlop(name=card["name"], model=model.copy(), bits=cfg.bits, card=card)


def describe(ff: FlipFlop, seed: int = 0) -> dict:
    """Fixed points of the trained network under x = 0, from 256 states it visits on 1000
    steps of fresh pulses: counts of stable, marginal, saddle and slow points."""
    from rnnviz.dynamics.fixed_points import fixed_points

    x, _ = flipflop_data(1, 1000, np.random.default_rng(seed), bits=ff.bits)
    return fixed_points(ff.model, None, n_init=256, states=ff.states(x), seed=seed,
                        iters=400).counts()


def card_markdown(card: dict) -> str:
    fp = card.get("fixed_points", {})
    return (f"# {card['name']}\n\nA one-layer {card['cell'].upper()} (n_a = {card['n_a']}) "
            f"trained on the {card['bits']}-bit flip-flop task (Sussillo & Barak, 2013) by "
            f"`rnnviz.training.flipflop`: {card['steps']} Adam steps, batches of "
            f"{card['batch']} sequences of {card['T_x']} steps, pulse probability 0.05, "
            f"seed {card['seed']}.\n\n"
            f"* accuracy (sign of each output after its first pulse, fresh data): "
            f"{card['accuracy']:.4f}\n* final training loss: {card['final_loss']:.4f}\n"
            f"* fixed points under x = 0: {fp.get('stable', '?')} stable, "
            f"{fp.get('marginal', '?')} marginal (|λ| = 1 to 1e-6), "
            f"{fp.get('saddle', '?')} saddles, {fp.get('slow', '?')} slow points "
            f"(q < 1e-10, 256 starts)\n\nReproduce: `python -m rnnviz.train flipflop` "
            f"(OPENBLAS_NUM_THREADS=1).\n")


def save(ff: FlipFlop, folder: Path = SHIPPED) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    ff.card["fixed_points"] = describe(ff)
    (folder / f"{ff.name}.md").write_text(card_markdown(ff.card))
    model = Model(RNNConfig(**{**ff.config.__dict__, "dtype": "float32"}),
                  {k: v.astype(np.float32) for k, v in ff.model.params.items()})
    model.save(folder / ff.name, metadata=ff.card)
    return folder / f"{ff.name}.npz"


def load_flipflop(cell: str, folder: Path = SHIPPED) -> FlipFlop:
    """A shipped (or saved) flip-flop model: `flipflop-<cell>` in `folder`."""
    model, meta = Model.load(folder / f"flipflop-{cell}")
    meta = {k: v for k, v in meta.items() if k != "config"}
    return FlipFlop(name=f"flipflop-{cell}", model=model, bits=model.config.n_x, card=meta)


def main(argv=None) -> int:
    """python -m rnnviz.training.flipflop [cells...] [--out DIR] [--steps N] [--seed S]"""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m rnnviz.training.flipflop")
    ap.add_argument("cells", nargs="*", default=["rnn", "gru", "lstm"])
    ap.add_argument("--out", default=str(SHIPPED))
    ap.add_argument("--steps", type=int, default=None, help="default: STEPS per cell")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    for cell in args.cells:
        ff = train_flipflop(cell, steps=args.steps or STEPS[cell], seed=args.seed)
        path = save(ff, Path(args.out))
        print(f"{ff.name}: accuracy {ff.card['accuracy']:.4f}, loss "
              f"{ff.card['final_loss']:.4f}, {ff.card['seconds']} s -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
