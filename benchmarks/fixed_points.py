"""Fixed-point search time for n_a = 64 (issue 22's goal: ≤ 3 s on this machine).

    python benchmarks/fixed_points.py            # RNN, GRU, LSTM with n_a = 64, 64 starts

Random weights (init "course"), constant input x = 0, starts from the states the network
visits reading random pulses; prints seconds and the counts per cell.
"""

import time

import numpy as np

from rnnviz.core.model import Model, RNNConfig
from rnnviz.dynamics import fixed_points
from rnnviz.training.flipflop import flipflop_data


def main(n_a=64, n_init=64):
    for cell in ("rnn", "gru", "lstm"):
        model = Model.init(RNNConfig(cell=cell, n_x=3, n_a=n_a, n_y=3),
                           np.random.default_rng(0))
        x, _ = flipflop_data(1, 200, np.random.default_rng(1))
        tape = model.forward(x).tapes[""]
        states = np.concatenate([tape.A[:, 0]] + ([tape.C[:, 0]] if cell == "lstm" else []),
                                axis=1)
        t0 = time.perf_counter()
        res = fixed_points(model, None, n_init=n_init, states=states)
        print(f"{cell:5s} n_a={n_a} n_s={states.shape[1]} starts={n_init}: "
              f"{time.perf_counter() - t0:.2f} s  {res.counts()}")


if __name__ == "__main__":
    main()
