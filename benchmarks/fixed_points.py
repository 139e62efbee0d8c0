"""Fixed-point search time for n_a = 64 (issue 22's goal: ≤ 3 s on this machine).

    python benchmarks/fixed_points.py            # RNN, GRU, LSTM with n_a = 64, 64 starts
    python benchmarks/fixed_points.py --repeat 3 --shipped

Random weights (init "course"), constant input x = 0, starts from the states the network
visits reading random pulses; prints seconds (the best and the median of `--repeat` runs) and
the counts per cell, with the machine's load average. `--shipped` also times the search the
Dynamics page runs: the shipped flip-flop models (n_a = 24, trained), 64 starts from their
300-step pulse trajectory.

One BLAS thread, as in the app (rnnviz_app.runtime); `OPENBLAS_NUM_THREADS=2 python
benchmarks/fixed_points.py` measures two (on this 2-core machine, under load, the LSTM's 64
batched 128 × 128 solves took 2.3 s with two threads against 0.4 s with one).
"""

import argparse
import os
import time
from functools import partial

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # before NumPy: as in the app

import numpy as np

from rnnviz.core.model import Model, RNNConfig
from rnnviz.dynamics import fixed_points
from rnnviz.training.flipflop import flipflop_data, load_flipflop


def _timed(fn, repeat):
    times, res = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times)), res


def main(n_a=64, n_init=64, repeat=1, shipped=False):
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}, {os.cpu_count()} CPUs, OPENBLAS_NUM_THREADS="
          f"{os.environ['OPENBLAS_NUM_THREADS']}, repeat {repeat}")
    for cell in ("rnn", "gru", "lstm"):
        model = Model.init(RNNConfig(cell=cell, n_x=3, n_a=n_a, n_y=3),
                           np.random.default_rng(0))
        x, _ = flipflop_data(1, 200, np.random.default_rng(1))
        tape = model.forward(x).tapes[""]
        states = np.concatenate([tape.A[:, 0]] + ([tape.C[:, 0]] if cell == "lstm" else []),
                                axis=1)
        best, med, res = _timed(partial(fixed_points, model, None, n_init=n_init,
                                        states=states), repeat)
        print(f"{cell:5s} random n_a={n_a} n_s={states.shape[1]} starts={n_init}: "
              f"best {best:.2f} s, median {med:.2f} s  {res.counts()}")
    if shipped:
        for cell in ("rnn", "gru", "lstm"):
            ff = load_flipflop(cell)
            x, _ = flipflop_data(1, 300, np.random.default_rng(0), bits=ff.bits)
            states = ff.states(x)
            best, med, res = _timed(partial(fixed_points, ff.model, None, n_init=64,
                                            states=states, seed=0), repeat)
            print(f"{cell:5s} shipped n_a={ff.config.n_a} n_s={states.shape[1]} starts=64: "
                  f"best {best:.2f} s, median {med:.2f} s  {res.counts()}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-a", type=int, default=64)
    ap.add_argument("--starts", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--shipped", action="store_true")
    a = ap.parse_args()
    main(a.n_a, a.starts, a.repeat, a.shipped)
