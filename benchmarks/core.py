"""Forward + BPTT timings of the NumPy core, side by side with torch (CPU) when installed.

    python benchmarks/core.py            # the table for the README (float32)
    python benchmarks/core.py --quick    # LSTM at the two target sizes only
    OPENBLAS_NUM_THREADS=1 python benchmarks/core.py --quick   # one thread for both libraries

torch uses as many threads as NumPy's OpenBLAS (OPENBLAS_NUM_THREADS, default: every core).
On a busy shared machine the multi-threaded timings of both libraries swing by 10x (spinning
BLAS / OpenMP threads lose their cores); one thread each gives a steadier ratio.

Rows: the course's step API (`lstm_forward` + `lstm_backward`: a loop of the cell functions,
the readable path; upstream gradient da given, the softmax output ŷ included) and the model
abstraction (`Model.forward` + `Model.backward` from a per-step cross-entropy loss), for RNN,
GRU and LSTM; "Model, train" is the same without ∂L/∂x (`input_grad=False`, what a training
step needs). torch rows time the same work:
`nn.LSTM` forward + autograd backward of the same upstream gradient, and `nn.LSTM` + `Linear`
+ cross-entropy for the model rows (torch's x needs no gradient there either). Times are
medians in milliseconds. The first line names the CPU: ratios differ between machine types.
"""

import argparse
import os
import platform
import time

import numpy as np
from _browser_common import cpu_model  # stdlib only: the CPU's name

import rnnviz
from rnnviz.core.model import Model, RNNConfig

SIZES = [  # (m, T_x, n_x, n_a)
    (1, 64, 64, 128),
    (32, 64, 80, 128),
    (1, 256, 64, 128),
    (16, 128, 128, 256),
]
N_Y = 10


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


def model_case(cell, m, T, n_x, n_a, rng, input_grad=True):
    model = Model.init(RNNConfig(cell=cell, n_x=n_x, n_a=n_a, n_y=N_Y, dtype="float32"), rng)
    x = rng.standard_normal((n_x, m, T)).astype(np.float32)
    y = rng.integers(0, N_Y, (m, T))

    def run():
        model.backward(model.forward(x), y, input_grad=input_grad)
    return run


def torch_cases(cell, m, T, n_x, n_a):
    import torch
    mod = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](n_x, n_a)
    head = torch.nn.Linear(n_a, N_Y)
    x = torch.randn(T, m, n_x)
    da = torch.randn(T, m, n_a)
    y = torch.randint(0, N_Y, (T * m,))

    def course_like():
        out, _ = mod(x.requires_grad_())
        (head(out).softmax(-1).sum() * 0 + (out * da).sum()).backward()

    def model_like():
        out, _ = mod(x)
        loss = torch.nn.functional.cross_entropy(head(out).reshape(T * m, N_Y), y,
                                                 reduction="sum") / m
        loss.backward()
    return course_like, model_like


def block_ms(fn, repeats):
    """Per-call times (ms) of `repeats` calls of fn."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(1e3 * (time.perf_counter() - t0))
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true",
                    help="only the issue's two target sizes, LSTM only")
    ap.add_argument("--rounds", type=int, default=7,
                    help="alternating NumPy / torch rounds per case (default 7)")
    ap.add_argument("--repeats", type=int, default=8, help="calls per side per round")
    args = ap.parse_args()
    rnnviz.keep_freed_memory()      # this process is ours: keep freed buffers mapped
    rng = np.random.default_rng(0)
    if args.quick:
        cases = [("lstm", *size) for size in SIZES[:2]]
    else:
        cases = [(cell, *size) for cell in ("lstm", "gru", "rnn") for size in SIZES]
    try:
        import torch
        torch.set_num_threads(int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count() or 1)))
        version = f"torch {torch.__version__}"
    except ImportError:
        torch, version = None, "torch not installed"
    # The machine is shared and its speed drifts by 2x over minutes, so NumPy and torch are
    # timed in alternating rounds and each ratio is taken within a round (median over
    # rounds). A short pause between the two libraries lets the other's worker threads
    # (OpenBLAS, torch's OpenMP) stop spinning before the next timing starts.
    rows = []
    for c in cases:
        ours = (seed_case(*c, rng), model_case(*c, rng), model_case(*c, rng, input_grad=False))
        theirs = torch_cases(*c) if torch else ()
        for fn in (*ours, *theirs):
            block_ms(fn, 3)  # warm-up
        t = {k: [] for k in ("course", "model", "train", "t_course", "t_model")}
        ratios = {"course": [], "model": [], "train": []}
        for _ in range(args.rounds):
            course_ms = float(np.median(block_ms(ours[0], args.repeats)))
            model_ms = float(np.median(block_ms(ours[1], args.repeats)))
            train_ms = float(np.median(block_ms(ours[2], args.repeats)))
            t["course"].append(course_ms)
            t["model"].append(model_ms)
            t["train"].append(train_ms)
            if theirs:
                time.sleep(0.3)
                ts = float(np.median(block_ms(theirs[0], args.repeats)))
                tm = float(np.median(block_ms(theirs[1], args.repeats)))
                t["t_course"].append(ts)
                t["t_model"].append(tm)
                ratios["course"].append(course_ms / ts)
                ratios["model"].append(model_ms / tm)
                ratios["train"].append(train_ms / tm)
                time.sleep(0.3)
        rows.append((c, {k: float(np.median(v)) if v else None for k, v in t.items()},
                     {k: (float(np.median(v)), min(v), max(v)) if v else None
                      for k, v in ratios.items()}))
    print(f"CPU: {cpu_model()}")
    threads = os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count())
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {threads} thread(s), python "
          f"{platform.python_version()}, numpy {np.__version__}, {version}")
    print(f"float32, forward + backward, median ms over {args.rounds} rounds of "
          f"{args.repeats} calls; ratio = median of the per-round ratios [lowest, highest]")
    head = ("| cell | m | T_x | n_x | n_a | course step API | Model | Model, train "
            "| torch (course-like) | torch (model-like) | course API / torch | Model / torch "
            "| train / torch |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for c, t, r in rows:
        if r["course"]:
            tail = (f"{t['t_course']:.2f} | {t['t_model']:.2f} | "
                    + " | ".join(f"{x[0]:.2f} [{x[1]:.2f}, {x[2]:.2f}]"
                                 for x in (r["course"], r["model"], r["train"])) + " |")
        else:
            tail = "– | – | – | – | – |"
        print("| " + " | ".join(map(str, c)) + f" | {t['course']:.2f} | {t['model']:.2f} | "
              f"{t['train']:.2f} | {tail}")


if __name__ == "__main__":
    main()
