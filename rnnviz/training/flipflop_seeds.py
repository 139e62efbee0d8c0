"""One seed is an anecdote: the flip-flop task over several seeds, per cell.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 \
        python -m rnnviz.training.flipflop_seeds --jobs 2          # the shipped table
    python -m rnnviz.training.flipflop_seeds --seeds 0 1 --steps 20 --n-a 8 --out /tmp/t.json

Every (cell, seed) is one `train_flipflop` run (same n_a and steps for the three cells), then
`describe`: the fixed points under x = 0 from 256 visited states (the shipped models' card
protocol). The shipped table `rnnviz/pretrained/flipflop-seeds.json` keeps every run's
accuracy and fixed-point counts, so the mean and spread of each can be recomputed;
`seed_table()` reads it back as {cell: {quantity: summary}}.

The runs are shorter than the shipped seed-0 models' (the whole table is meant to take about
15 min of CPU), so the table is about the spread across seeds at one budget, not about the
shipped models themselves.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

SHIPPED = Path(__file__).resolve().parent.parent / "pretrained" / "flipflop-seeds.json"
COMMAND = ("OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 "
           "python -m rnnviz.training.flipflop_seeds")
QUANTITIES = ("accuracy", "stable", "saddle", "marginal", "slow")
STEPS, N_A = 800, 24      # the shipped table's budget per run


def summarize(values) -> dict:
    """Mean, standard deviation (ddof=1), min, max and count."""
    a = np.asarray(values, dtype=float)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if a.size > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max()), "n": int(a.size)}


def seed_table(path: str | Path = SHIPPED) -> dict:
    """{"settings", "command", "cells": {cell: {quantity: summary}}} from a saved sweep."""
    data = json.loads(Path(path).read_text())
    memories = 2 ** int(data["settings"].get("bits", 3))
    cells: dict[str, dict[str, list]] = {}
    for run in data["runs"]:
        per = cells.setdefault(run["cell"], {q: [] for q in QUANTITIES})
        for q in QUANTITIES:
            per[q].append(run[q])
    return {"settings": data["settings"], "command": data["command"], "memories": memories,
            "cells": {c: {q: summarize(v) for q, v in per.items()} for c, per in cells.items()},
            "one_per_memory": {c: sum(v == memories for v in per["stable"])
                               for c, per in cells.items()}}


def story(table: dict, cell: str, card: dict | None = None) -> str:
    """Markdown: does the course story (one stable fixed point per memory, saddles between
    them) hold for `cell`, over the table's seeds and for the shipped model's `card`?
    Computed from the numbers; says plainly where it does not hold."""
    mem, name = table["memories"], cell.upper()
    per, k = table["cells"][cell], table["one_per_memory"][cell]
    n, acc, st = per["stable"]["n"], per["accuracy"], per["stable"]
    if k == n:
        out = (f"**{name}: the story holds** in all {n} seeds: {mem} stable points, one per "
               f"memory (accuracy {100 * acc['mean']:.1f}% ± {100 * acc['std']:.1f}).")
    else:
        out = (f"**{name}: the story holds in only {k} of {n} seeds.** Across the seeds the "
               f"stable points range from {int(st['min'])} to {int(st['max'])}, yet the "
               f"accuracy over all seeds is {100 * acc['mean']:.1f}% (lowest "
               f"{100 * acc['min']:.1f}%): a network can hold {mem} memories without {mem} "
               f"stable points (the rest may be slow points that drift too slowly to matter "
               f"over the 200 steps scored, or points the search did not reach from its "
               f"starts).")
    fp = (card or {}).get("fixed_points")
    if fp:
        shipped = (f"{fp['stable']} stable point{'s' if fp['stable'] != 1 else ''}, "
                   f"{fp['saddle']} saddles, "
                   f"{fp.get('marginal', 0)} marginal, {fp.get('slow', 0)} slow points")
        verdict = ("as the story says" if fp["stable"] == mem else
                   f"**not** the story's {mem} stable points")
        out += (f" The shipped {name} (seed {card.get('seed', 0)}, {card.get('steps', '?')} "
                f"steps, accuracy {100 * card.get('accuracy', float('nan')):.1f}%): {shipped}"
                f" — {verdict}.")
    return out


def one_run(cell: str, seed: int, steps: int, n_a: int) -> dict:
    """Train one flip-flop network and count its fixed points: one row of the table."""
    from rnnviz.training.flipflop import describe, train_flipflop

    t0 = time.perf_counter()
    ff = train_flipflop(cell, n_a=n_a, steps=steps, seed=seed)
    counts = describe(ff)
    return {"cell": cell, "seed": int(seed), "accuracy": float(ff.card["accuracy"]),
            "final_loss": float(ff.card["final_loss"]),
            **{k: int(counts[k]) for k in ("stable", "saddle", "marginal", "unstable", "slow")},
            "wall_s": round(time.perf_counter() - t0, 2)}


def run_sweep(cells, seeds, steps: int, n_a: int, jobs: int = 1, log=print,
              on_row=None) -> list[dict]:
    """One `one_run` per (cell, seed), `jobs` processes at a time; rows in (cell, seed) order
    (on_row(rows) after each, so a long sweep is saved as it goes)."""
    order = {c: i for i, c in enumerate(cells)}
    tasks = [(cell, int(seed)) for cell in cells for seed in seeds]
    rows: list[dict] = []

    def add(row):
        rows.append(row)
        rows.sort(key=lambda r: (order[r["cell"]], r["seed"]))
        log(f"{row['cell']} seed={row['seed']}: {100 * row['accuracy']:.1f}%, "
            f"{row['stable']} stable, {row['saddle']} saddles ({row['wall_s']}s)")
        if on_row is not None:
            on_row(rows)

    if jobs <= 1:
        for cell, seed in tasks:
            add(one_run(cell, seed, steps, n_a))
        return rows
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(one_run, cell, seed, steps, n_a) for cell, seed in tasks]
        for fut in as_completed(futures):
            add(fut.result())
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", nargs="+", default=["rnn", "gru", "lstm"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--steps", type=int, default=STEPS)
    ap.add_argument("--n-a", type=int, default=N_A)
    ap.add_argument("--jobs", type=int, default=1, help="processes (the runs are independent)")
    ap.add_argument("--out", default=str(SHIPPED))
    args = ap.parse_args(argv)
    settings = {"steps": args.steps, "n_a": args.n_a, "bits": 3, "batch": 32, "T_x": 60,
                "lr": 0.01, "seeds": args.seeds,
                "fixed_points": "x = 0, 256 visited states, q < 1e-10 (flipflop.describe)"}
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)

    def save(rows):
        Path(args.out).write_text(json.dumps(
            {"settings": settings, "command": f"{COMMAND} {argv_text}".strip(), "runs": rows},
            indent=1))

    save(run_sweep(args.cells, args.seeds, args.steps, args.n_a, args.jobs,
                   log=lambda s: print(s, flush=True), on_row=save))
    for cell, per in seed_table(args.out)["cells"].items():
        print(cell, {q: f"{s['mean']:.3g}±{s['std']:.2g}" for q, s in per.items()})


if __name__ == "__main__":
    main()
