"""The Jacobian-product measure of the Vanishing-gradients page, timed per trained char LM.

    python benchmarks/jacobian.py                 # T_x = 100 and 500, one BLAS thread
    python benchmarks/jacobian.py --T 100 --repeats 5
    python benchmarks/jacobian.py --threads 2     # OpenBLAS on two threads
    python benchmarks/jacobian.py --profile       # cProfile of the page's call at the first T

What is timed, per model (char-lm-rnn / -gru / -lstm in float64, as the page loads them) on the
default sentence repeated to T_x steps, one forward pass done beforehand:
  before   every step Jacobian built explicitly ((T_x, n_s, n_s), `Cell.step_jacobians`) and
           multiplied out in float64: how the page computed it before (T_x = 100 only; --old-all
           for every T_x, slow)
  f64/f32  `state_jacobian_norms` with its GEMMs in float64 / float32 (the page uses float32)
  page     `gradient_curves(measure="jacobian")`: forward, the backward pass that the clipping
           section reads, and the float32 products: what the page waits for per model
Medians of --repeats runs, wall clock and CPU time of this process. "err" is the largest
relative difference of the float32 curve from float64 (and of float64 from "before").
The server runs one BLAS thread per process (rnnviz_app.runtime), hence the default.
"""

import argparse
import os
import sys
import time
from functools import partial

from _browser_common import cpu_model  # stdlib only: the CPU's name


def explicit_norms(model, trace):
    """The former computation: full step Jacobians, multiplied out (float64)."""
    import numpy as np

    d = model.config.directions[0]
    J = model.cell.step_jacobians(model.cell_params(d, model.config.layers),
                                  trace.tapes[d])[:, 0]
    n = model.config.n_a
    out, prod = np.empty(J.shape[0]), np.eye(J.shape[1])
    for i in range(J.shape[0] - 1, -1, -1):
        out[i] = np.linalg.norm(prod[:n, :n])
        prod = prod @ J[i]
    return out


def timed(fn, repeats):
    """(result, median wall ms, median CPU ms)."""
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return out, 1e3 * sorted(walls)[len(walls) // 2], 1e3 * sorted(cpus)[len(cpus) // 2]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--T", type=int, nargs="+", default=[100, 500], help="sequence lengths")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="OpenBLAS threads (default 1)")
    ap.add_argument("--old-all", action="store_true", help="time 'before' at every T_x")
    ap.add_argument("--profile", action="store_true", help="cProfile the page's call")
    ap.add_argument("--text", default="The cats, which already ate a lot, were full.")
    args = ap.parse_args(argv)
    if "numpy" in sys.modules:
        print("numpy already imported: --threads has no effect", file=sys.stderr)
    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)

    import numpy as np

    from rnnviz.core import analysis as A
    from rnnviz.models import comparison_models

    print(f"# {cpu_model()}; {os.cpu_count()} cores; OpenBLAS threads {args.threads}; "
          f"load average {os.getloadavg()[0]:.2f}; numpy {np.__version__}")
    models = comparison_models("trained")
    if args.profile:
        import cProfile
        import pstats

        T = args.T[0]
        prof = cProfile.Profile()
        for cell, (m, vocab) in models.items():
            ids, target = A.repeat_ids(vocab.encode(args.text), T)
            x = vocab.one_hot(ids, dtype=np.float64)
            prof.runcall(A.gradient_curves, {cell: m}, x, target, measure="jacobian")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(15)
        return 0
    print(f"{'model':<14}{'T_x':>5}  {'before':>13}  {'f64':>13}  {'f32':>13}  {'page':>13}"
          f"  {'err f64':>8}  {'err f32':>8}   (ms: wall / CPU)")
    for cell, (m, vocab) in models.items():
        name = f"char-lm-{cell}"
        for T in args.T:
            ids, target = A.repeat_ids(vocab.encode(args.text), T)
            x = vocab.one_hot(ids, dtype=np.float64)
            trace = m.forward(x)
            f64, w64, c64 = timed(partial(A.state_jacobian_norms, m, trace), args.repeats)
            f32, w32, c32 = timed(partial(A.state_jacobian_norms, m, trace, dtype=np.float32),
                                  args.repeats)
            _, wp, cp = timed(partial(A.gradient_curves, {cell: m}, x, target,
                                      measure="jacobian"), args.repeats)
            before = err64 = "-"
            if T == args.T[0] or args.old_all:
                ref, wo, co = timed(partial(explicit_norms, m, trace), 1)
                before = f"{wo:.0f} / {co:.0f}"
                err64 = f"{np.max(np.abs(f64 / ref - 1)):.0e}"
            err32 = f"{np.max(np.abs(f32 / f64 - 1)):.0e}"
            print(f"{name:<14}{T:>5}  {before:>13}  {f'{w64:.0f} / {c64:.0f}':>13}  "
                  f"{f'{w32:.0f} / {c32:.0f}':>13}  {f'{wp:.0f} / {cp:.0f}':>13}  "
                  f"{err64:>8}  {err32:>8}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
