"""The Units page's numbers: corpus-trace and query timings, the warm-up error, and each
shipped char LM's best unit per feature on held-out text.

    python benchmarks/units.py                 # timings (goal: trace ≤ 3 s, queries ≤ 200 ms)
    python benchmarks/units.py --table         # best unit and r per feature, held-out text
    python benchmarks/units.py --check         # streams + warm-up vs one carried pass

Timings: char-lm-lstm (n_a = 256) reads 100 000 characters (the held-out docstring split,
repeated up to that length) through `rnnviz.units.corpus_trace`, with one BLAS thread as in
the app; wall time (min and median of `--repeats`) and the process's CPU time. Then the
queries a learner makes on the cached corpus trace: all built-in features' r, a custom
regex feature, select_units on a span, search_pattern for those units, a threshold change.
The machine is shared: numbers drift by 2x with its load (`uptime` is printed).
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # as in the app (rnnviz_app.runtime)

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import rnnviz  # noqa: E402
from rnnviz import units as U  # noqa: E402

CHAR_LMS = ("char-lm-rnn", "char-lm-gru", "char-lm-lstm")


def timed(fn, repeats=5):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, min(times), float(np.median(times))


def corpus_100k() -> str:
    _, text = U.heldout_corpus("char_lm")
    while len(text) < 100_000:
        text = text + "\n\n" + text
    return text[:100_000]


def timings(repeats: int) -> None:
    m = rnnviz.load_pretrained("char-lm-lstm")
    text = corpus_100k()
    print(f"load: {os.getloadavg()[0]:.1f} (1-min load average, 2 cores)")
    c0 = time.process_time()
    corpus, best, med = timed(lambda: U.corpus_trace(m, text, ("a",)), repeats)
    cpu = (time.process_time() - c0) / repeats
    print(f"corpus trace, {corpus.N:,} characters, n_a = {m.config.n_a}, {corpus.streams} "
          f"streams, warm-up {corpus.warmup}: min {best:.2f} s, median {med:.2f} s, "
          f"CPU {cpu:.2f} s per run (goal ≤ 3 s)")
    mid = corpus.N // 2
    units = np.array([], dtype=np.int64)
    for start in range(mid, mid + 400):               # a span where some units are on
        units = U.select_units(corpus, start, start + 2, 0.3)
        if units.size:
            break
    if units.size == 0:
        units = np.array([0])
    queries = {
        "unit_scores, 9 built-in features": lambda: U.unit_scores(corpus),
        "unit_scores, custom regex feature": lambda: U.unit_scores(
            corpus, "a", U.feature_matrix(corpus, [], {"def": r"\bdef\b"})),
        "select_units on a 3-character span": lambda: U.select_units(corpus, start,
                                                                     start + 2, 0.3),
        f"search_pattern for {units.size} units": lambda: U.search_pattern(corpus, units, 0.3),
        "search_pattern, threshold 0.5": lambda: U.search_pattern(corpus, units[:1], 0.5),
    }
    for name, fn in queries.items():
        _, best, med = timed(fn, repeats * 2)
        print(f"  {name:40s} min {1e3 * best:7.1f} ms, median {1e3 * med:7.1f} ms "
              f"(goal ≤ 200 ms)")


def table() -> None:
    name, text = U.heldout_corpus("char_lm")
    models = {n: rnnviz.load_pretrained(n) for n in CHAR_LMS}
    print(f"Best unit per feature on {name}, {len(text):,} characters "
          "(r = Pearson correlation over every step)\n")
    for q in ({n: "a" for n in models}, {"char-lm-rnn": "a", "char-lm-gru": "a",
                                          "char-lm-lstm": "c"}):
        t = U.best_units({n: U.corpus_trace(m, text, (q[n],)) for n, m in models.items()}, q)
        wide = t.assign(cell=[f"{u} ({r:+.2f})" for u, r in zip(t.unit, t.score, strict=True)])
        wide["model"] = wide.model + " " + wide.quantity.map({"a": "a<t>", "c": "c<t>"})
        piv = wide.pivot(index="feature", columns="model", values="cell").reindex(
            index=list(U.CHAR_FEATURES), columns=list(dict.fromkeys(wide.model)))
        print("| feature | " + " | ".join(piv.columns) + " |")
        print("|---" * (len(piv.columns) + 1) + "|")
        for feat, row in piv.iterrows():
            print(f"| {feat} | " + " | ".join(row.values) + " |")
        print()


def check(n_chars: int, warmups) -> None:
    _, text = U.heldout_corpus("char_lm")
    text = text[:n_chars]
    print(f"streams vs one carried pass over {len(text):,} held-out characters "
          f"(stream length {U.STREAM_LENGTH})")
    for name in CHAR_LMS:
        m = rnnviz.load_pretrained(name)
        ref = U.corpus_trace(m, text, ("a",), exact_max=10**9)
        r_ref = U.top_units(U.unit_scores(ref)).set_index("feature").score.abs()
        for w in warmups:
            c = U.corpus_trace(m, text, ("a",), warmup=w, exact_max=0)
            d = np.abs(c["a"] - ref["a"])
            r = U.top_units(U.unit_scores(c)).set_index("feature").score.abs()
            print(f"  {name:13s} warm-up {w:4d}: mean |Δa| {d.mean():.1e}, max {d.max():.3f}; "
                  f"best |r| moves by ≤ {np.abs(r - r_ref).max():.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--table", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--chars", type=int, default=20_000, help="--check: text length")
    args = ap.parse_args()
    if args.table:
        table()
    elif args.check:
        check(args.chars, (0, 64, 128, 256))
    else:
        timings(args.repeats)


if __name__ == "__main__":
    main()
