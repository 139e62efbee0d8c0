"""One intervention on a 100-character sentence: the package's computation, in milliseconds.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/interventions.py [--runs 15]

On the shipped LSTM char LM (`rnnviz.load_pretrained("char-lm-lstm")`, n_a = 256): the plain
reading (`predict`, the fused loop), and `predict(text, interventions=[...])` with one clamp of
a<t>, one clamp of Γf, a mean ablation (means memoized after the first call, which reads the
held-out reference once; that first call is reported apart) and a patch from a second sentence
(its reading included); then what the What if? page computes per change on the same
sentence: `rnnviz.whatif.compare` with the intact trace given (the page reads it from the
app's cache), i.e. the changed reading and the comparison. Median of `--runs` runs after one
warm-up. Goal: ≤ 50 ms each (issue 21).
"""

import argparse
import time

import numpy as np

import rnnviz

TEXT = ("The forget gate keeps the memory of the line; the model reads it one character at "
        "a time, to the end.")[:100]
SOURCE = ("A different sentence, read to the same length, gives the state we patch in from "
          "elsewhere.. ")[:100]


def median_ms(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * float(np.median(times))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    m = rnnviz.load_pretrained("char-lm-lstm")
    assert len(TEXT) == 100, len(TEXT)
    t0 = time.perf_counter()
    m.predict(TEXT, interventions=[rnnviz.Clamp("a", [52], "mean")])
    first_mean = 1000 * (time.perf_counter() - t0)
    cases = {
        "plain reading (no intervention)": [],
        "Clamp a, 1 unit, every step": [rnnviz.Clamp("a", [52], 0.0)],
        "Clamp Γf = 1, 3 units, steps 10-20": [rnnviz.Clamp("gamma_f", [3, 52, 100], 1.0,
                                                            steps=range(10, 21))],
        "mean ablation of c, 5 units (memoized)": [rnnviz.Clamp("c", [1, 2, 3, 4, 5],
                                                                "mean")],
        "Patch a<50> from a second sentence": [rnnviz.Patch(SOURCE, "a", steps=[50])],
    }
    print(f"char-lm-lstm, {len(TEXT)} characters, median of {args.runs} runs")
    for name, ivs in cases.items():
        ms = median_ms(lambda ivs=ivs: m.predict(TEXT, interventions=ivs), args.runs)
        print(f"  {name:42s} {ms:7.1f} ms")
    print(f"  {'first mean ablation (reads the reference)':42s} {first_mean:7.1f} ms")
    from rnnviz.whatif import Request, compare

    intact = m.trace(TEXT)
    page = {"page: clamp a, 1 unit (whatif.compare)": Request(units=(52,), value=0.5),
            "page: Γf = 1, 3 units (whatif.compare)": Request(units=(3, 52, 100), value=1.0,
                                                             quantity="gamma_f"),
            "page: mean-ablate c, 5 units": Request(units=(1, 2, 3, 4, 5), value="mean",
                                                    quantity="c")}
    for name, req in page.items():
        ms = median_ms(lambda req=req: compare(m, TEXT, req, intact=intact), args.runs)
        print(f"  {name:42s} {ms:7.1f} ms")


if __name__ == "__main__":
    main()
