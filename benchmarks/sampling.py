"""Sampling from the shipped char LMs: `LanguageModel.sample` of 200 characters after "The ".

    python benchmarks/sampling.py            # median of 7 per LM
    python benchmarks/sampling.py --repeats 15 --length 400

Each step of a sample is one `Model.step` (one token in, ŷ<t> out). A shipped model is frozen
(read-only weights), so its fused weights are packed once and kept (`Model.packed`); the
"packed every step" column times the same sample from a writable copy of the same weights,
which is packed again at every step, as it was before `Model.packed` (and as a model in
training must be). Both columns draw the same text (checked). Times in milliseconds; the
first line names the CPU.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _browser_common import cpu_model  # stdlib only: the CPU's name

from rnnviz.core.model import Model
from rnnviz.models import load_pretrained

LMS = ("char-lm-rnn", "char-lm-gru", "char-lm-lstm", "char-lm-gru-2layer")


def median_ms(fn, repeats: int) -> float:
    fn()                                             # warm: first-call allocations
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--length", type=int, default=200)
    args = ap.parse_args()
    print(f"# CPU: {cpu_model()}; {args.length} characters after 'The ', median of "
          f"{args.repeats}")
    print("| model | n_a | packed once (ms) | packed every step (ms) |")
    print("|---|---:|---:|---:|")
    for name in LMS:
        once, every, n_a = time_lm(name, args.length, args.repeats)
        print(f"| {name} | {n_a} | {once:.0f} | {every:.0f} |")


def time_lm(name: str, length: int, repeats: int) -> tuple[float, float, int]:
    """(ms with the shipped frozen weights, ms with a writable copy of them, n_a)."""
    lm = load_pretrained(name)
    frozen = lm.model
    writable = Model(frozen.config, {k: v.copy() for k, v in frozen.params.items()})

    def sample(model):
        lm.model = model
        try:
            return lm.sample("The ", length, rng=0).text
        finally:
            lm.model = frozen

    assert sample(frozen) == sample(writable), name
    return (median_ms(lambda: sample(frozen), repeats),
            median_ms(lambda: sample(writable), repeats), lm.config.n_a)

if __name__ == "__main__":
    main()
