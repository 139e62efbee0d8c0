"""Forward + BPTT timings of the NumPy core, side by side with torch (CPU) when installed.

    python benchmarks/core.py            # the table for the README (float32)
    python benchmarks/core.py --quick    # LSTM at the two target sizes only

Rows: the seed API (`lstm_forward` + `lstm_backward`, upstream gradient da given, the softmax
output ŷ of the seed included) and the model abstraction (`Model.forward` + `Model.backward`
from a per-step cross-entropy loss), for RNN, GRU and LSTM. torch rows time the same work:
`nn.LSTM` forward + autograd backward of the same upstream gradient, and `nn.LSTM` + `Linear`
+ cross-entropy for the model rows. Times are medians in milliseconds.
"""

import argparse
import os
import platform
import time

import numpy as np

import rnnviz
from rnnviz.core.model import Model, RNNConfig

SIZES = [  # (m, T_x, n_x, n_a)
    (1, 64, 64, 128),
    (32, 64, 80, 128),
    (1, 256, 64, 128),
    (16, 128, 128, 256),
]
N_Y = 10


def median_ms(fn, repeats, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def seed_case(cell, m, T, n_x, n_a, rng):
    dt = np.float32
    x = rng.standard_normal((n_x, m, T)).astype(dt)
    a0 = np.zeros((n_a, m), dt)
    da = rng.standard_normal((n_a, m, T)).astype(dt)
    W = {"rnn": ("ax", "aa"), "gru": "urc", "lstm": "fico"}[cell]
    p = {"by": np.zeros((N_Y, 1), dt)}
    if cell == "rnn":
        p.update(Wax=rng.standard_normal((n_a, n_x)).astype(dt) * 0.1,
                 Waa=rng.standard_normal((n_a, n_a)).astype(dt) * 0.1,
                 ba=np.zeros((n_a, 1), dt), Wya=rng.standard_normal((N_Y, n_a)).astype(dt))
        fwd, bwd = rnnviz.rnn_forward, rnnviz.rnn_backward
    else:
        for g in W:
            p["W" + g] = (rng.standard_normal((n_a, n_a + n_x)) * 0.1).astype(dt)
            p["b" + g] = np.zeros((n_a, 1), dt)
        p["Wy"] = rng.standard_normal((N_Y, n_a)).astype(dt)
        fwd, bwd = ((rnnviz.gru_forward, rnnviz.gru_backward) if cell == "gru"
                    else (rnnviz.lstm_forward, rnnviz.lstm_backward))

    def run():
        out = fwd(x, a0, p)
        bwd(da, out[-1])
    return run


def model_case(cell, m, T, n_x, n_a, rng):
    model = Model.init(RNNConfig(cell=cell, n_x=n_x, n_a=n_a, n_y=N_Y, dtype="float32"), rng)
    x = rng.standard_normal((n_x, m, T)).astype(np.float32)
    y = rng.integers(0, N_Y, (m, T))

    def run():
        model.backward(model.forward(x), y)
    return run


def torch_cases(cell, m, T, n_x, n_a):
    import torch
    mod = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](n_x, n_a)
    head = torch.nn.Linear(n_a, N_Y)
    x = torch.randn(T, m, n_x)
    da = torch.randn(T, m, n_a)
    y = torch.randint(0, N_Y, (T * m,))

    def seed_like():
        out, _ = mod(x.requires_grad_())
        (head(out).softmax(-1).sum() * 0 + (out * da).sum()).backward()

    def model_like():
        out, _ = mod(x)
        loss = torch.nn.functional.cross_entropy(head(out).reshape(T * m, N_Y), y,
                                                 reduction="sum") / m
        loss.backward()
    return seed_like, model_like


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true",
                    help="only the issue's two target sizes, LSTM only, fewer repeats")
    args = ap.parse_args()
    repeats = 10 if args.quick else 40
    rng = np.random.default_rng(0)
    if args.quick:
        cases = [("lstm", *size) for size in SIZES[:2]]
    else:
        cases = [(cell, *size) for cell in ("lstm", "gru", "rnn") for size in SIZES]
    # NumPy first, torch afterwards: OpenBLAS and torch's OpenMP threads spin-wait after work,
    # and interleaving the two in one process slows both down.
    ours = {c: (median_ms(seed_case(*c, rng), repeats), median_ms(model_case(*c, rng), repeats))
            for c in cases}
    try:
        import torch
        torch.set_num_threads(os.cpu_count() or 1)
        theirs = {c: tuple(median_ms(f, repeats) for f in torch_cases(*c)) for c in cases}
        version = f"torch {torch.__version__}"
    except ImportError:
        theirs, version = {}, "torch not installed"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, numpy {np.__version__}, {version}")
    print("float32, forward + backward, median ms")
    head = ("| cell | m | T_x | n_x | n_a | seed API | Model | torch (seed-like) "
            "| torch (model-like) | seed / torch | Model / torch |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for c in cases:
        t_seed, t_model = ours[c]
        if c in theirs:
            t_ts, t_tm = theirs[c]
            tail = f"{t_ts:.2f} | {t_tm:.2f} | {t_seed / t_ts:.2f} | {t_model / t_tm:.2f} |"
        else:
            tail = "– | – | – | – |"
        print("| " + " | ".join(map(str, c)) + f" | {t_seed:.2f} | {t_model:.2f} | {tail}")


if __name__ == "__main__":
    main()
