"""Number units: ablating the top units vs random ones, on agreement models and char LMs.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/number_units.py            # both tables
    python benchmarks/number_units.py --skip-lm --cells lstm --steps 200      # quick

Agreement: each cell is trained by `train_agreement` (the Training page's defaults, L = 20,
seed 0); `number_units` ranks the units at the verb, and `ablation_effect` mean-ablates the
top k against k random other units (20 draws) at several distances, attractors 0 and 2.
Char LMs: the units with the largest |r| for a feature of `rnnviz.units.unit_scores` on the
held-out docstrings are mean-ablated (`rnnviz.whatif`) and the mean next-character loss on
a held-out stretch is compared with ablating as many random units (20 draws).
"""

import argparse
import time

import numpy as np

import rnnviz
from rnnviz.training.agreement import ablation_effect, number_units, train_agreement
from rnnviz.whatif import Request, compare


def agreement_table(cells, steps, k, distances, n, draws):
    for cell in cells:
        t0 = time.perf_counter()
        res = train_agreement(cell, 20, steps=steps, seed=0)
        top = number_units(res, k=k)
        units = [r["unit"] for r in top]
        print(f"\n## {cell.upper()} (L = 20, {steps} steps, held-out acc {res.accuracy:.3f}): "
              f"top units {units}, d' " + ", ".join(f"{r['d_prime']:+.2f}" for r in top))
        print("| L | attractors | intact | top-k ablated | random k: mean ± sd (min..max) |")
        print("|---|---|---|---|---|")
        for r in ablation_effect(res, units, distances=distances, attractors=(0, 2), n=n,
                                 draws=draws):
            print(f"| {r['distance']} | {r['attractors']} | {r['intact']:.3f} | "
                  f"{r['ablated']:.3f} | {r['random_mean']:.3f} ± {r['random_std']:.3f} "
                  f"({r['random_min']:.3f}..{r['random_max']:.3f}) |", flush=True)
        print(f"({time.perf_counter() - t0:.0f} s)")


def lm_loss(m, text, units, draws, rng):
    """Mean next-character loss (nats) intact, with `units` mean-ablated, and with random
    units of the same number (a list over draws)."""
    ids = m.vocab.encode_tokens(m.tokens(text))

    def loss(y):
        return float(-np.mean(np.log(y[np.arange(len(ids) - 1), ids[1:]])))

    c = compare(m, text, Request(units=tuple(units), value="mean"))
    others = np.setdiff1d(np.arange(m.config.n_a), units)
    rand = [loss(compare(m, text, Request(units=tuple(int(u) for u in rng.choice(
        others, len(units), replace=False)), value="mean")).y_after) for _ in range(draws)]
    return loss(c.y_before), loss(c.y_after), rand


def lm_table(k, draws, chars):
    from rnnviz.data.corpus import load_corpus
    from rnnviz.units import corpus_trace, unit_scores

    text = load_corpus("valid", normalized=True)[:chars]
    rng = np.random.default_rng(0)
    print(f"\n## Char LMs: mean next-character loss (nats) on {chars} held-out characters")
    print("| model | feature | top units (r) | intact | top-k ablated | "
          "random k: mean ± sd (min..max) |")
    print("|---|---|---|---|---|---|")
    for name in ("char-lm-rnn", "char-lm-gru", "char-lm-lstm"):
        m = rnnviz.load_pretrained(name)
        scores = unit_scores(corpus_trace(m, text[:4000])).dropna()
        best = scores.iloc[int(np.argmax(np.abs(scores.score.to_numpy())))].feature
        top = scores[scores.feature == best].head(k)
        units = [int(u) for u in top.unit]
        intact, ablated, rand = lm_loss(m, text, units, draws, rng)
        rs = ", ".join(f"{u} ({r:+.2f})" for u, r in zip(units, top.score, strict=True))
        print(f"| {name} | {best} | {rs} | {intact:.3f} | {ablated:.3f} | "
              f"{np.mean(rand):.3f} ± {np.std(rand, ddof=1):.3f} "
              f"({min(rand):.3f}..{max(rand):.3f}) |", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", nargs="+", default=["rnn", "gru", "lstm"])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--distances", type=int, nargs="+", default=[5, 20, 40])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--skip-lm", action="store_true")
    ap.add_argument("--skip-agreement", action="store_true")
    ap.add_argument("--chars", type=int, default=1000)
    args = ap.parse_args()
    if not args.skip_lm:
        lm_table(args.k, args.draws, args.chars)
    if not args.skip_agreement:
        agreement_table(args.cells, args.steps, args.k, args.distances, args.n, args.draws)


if __name__ == "__main__":
    main()
