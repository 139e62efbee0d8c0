"""Reproduce the shipped models from scratch.

    python -m rnnviz.train char-lm-lstm          # one model, into rnnviz/pretrained/
    python -m rnnviz.train all                   # every shipped model, one after the other
                                                 # (a char LM also rewrites units-heldout.json)
    python -m rnnviz.train ner-bilstm --quick --out /tmp/smoke    # a tiny smoke run

A run is deterministic from the recipe's seed: the same NumPy, BLAS and thread setting give
bit-identical weights (the shipped models were trained with OPENBLAS_NUM_THREADS=1).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

from rnnviz.core.allocator import keep_freed_memory
from rnnviz.models import PRETRAINED, TRAINED_LMS
from rnnviz.training.loop import Progress


class ProgressBar:
    """A one-line text progress bar with the live loss (redrawn in place on a terminal)."""

    def __init__(self, name: str, stream=sys.stderr, width: int = 30):
        self.name, self.stream, self.width = name, stream, width
        self.tty = stream.isatty()
        self.last = -1.0

    def __call__(self, p: Progress) -> None:
        pct = int(100 * p.fraction)
        # on a file or pipe, one line per percent; on a terminal, at most ~10 redraws/s
        if not self.tty and pct == self.last and p.step != p.steps:
            return
        now = time.monotonic()
        if self.tty and now - getattr(self, "_t", 0) < 0.1 and p.step != p.steps:
            return
        self._t, self.last = now, pct
        filled = int(self.width * p.fraction)
        eta = p.elapsed / p.step * (p.steps - p.step)
        line = (f"{self.name} [{'#' * filled}{'.' * (self.width - filled)}] {pct:3d}% "
                f"step {p.step}/{p.steps} loss {p.smooth_loss:.4f} lr {p.lr:.2e} "
                f"|g| {p.grad_norm:6.2f} {p.elapsed / 60:5.1f} min, ETA {eta / 60:5.1f} min")
        end = "\n" if (not self.tty or p.step == p.steps) else ""
        self.stream.write(("\r" if self.tty else "") + line + end)
        self.stream.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnnviz.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=[*PRETRAINED, "all", "flipflop"],
                        help="model to train, or all; flipflop: the three 3-bit flip-flop "
                             "models (rnnviz.training.flipflop)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny smoke run (a few steps, small sizes); writes to a temporary "
                             "folder unless --out is given")
    parser.add_argument("--out", default=None,
                        help="output folder (default: the package's pretrained/ folder)")
    args = parser.parse_args(argv)
    keep_freed_memory()        # this process is ours: reuse freed buffers (rnnviz.core.allocator)

    from rnnviz.training.recipes import run

    out = args.out
    if args.quick and out is None:
        out = tempfile.mkdtemp(prefix="rnnviz-quick-")
    if args.name == "flipflop":
        from rnnviz.training.flipflop import main as flipflop_main

        return flipflop_main((["--out", out] if out else []) + (["--steps", "20"]
                                                                if args.quick else []))
    names = list(PRETRAINED) if args.name == "all" else [args.name]
    for name in names:
        t0 = time.perf_counter()
        path = run(name, out_dir=out, quick=args.quick, progress=ProgressBar(name))
        print(f"{name}: wrote {path} (+ .json, .md) in {(time.perf_counter() - t0) / 60:.1f} "
              "min", file=sys.stderr)
    if out is None and set(names) & set(TRAINED_LMS.values()):
        # the Units page's comparison of the shipped char LMs is read from them once, here
        from rnnviz.units.heldout_summary import main as summary_main

        summary_main([])
    return 0


if __name__ == "__main__":
    sys.exit(main())
