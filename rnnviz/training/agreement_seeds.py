"""One seed is an anecdote: the agreement accuracy-vs-distance table over several seeds.

    OMP_NUM_THREADS=1 nice -n 10 python -m rnnviz.training.agreement_seeds   # the shipped table
    python -m rnnviz.training.agreement_seeds --seeds 0 1 --distances 5 10 --out /tmp/t.json
    OMP_NUM_THREADS=1 nice -n 10 python -m rnnviz.training.agreement_seeds --distances 80 --add
                                                    # one more distance, added to the table

(One BLAS thread: the matrices are small, and threads fighting over a shared machine made
each run ten times slower.)

Every (cell, L, seed) is one `train_agreement` run with the Training page's defaults; the
shipped table `rnnviz/pretrained/agreement-seeds.json` keeps every run's accuracy, so the
mean and the spread (standard deviation, min, max) of each cell can be recomputed.
`seed_table()` reads it back as {cell: {L: summary}}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

SHIPPED = Path(__file__).resolve().parent.parent / "pretrained" / "agreement-seeds.json"
COMMAND = "OMP_NUM_THREADS=1 nice -n 10 python -m rnnviz.training.agreement_seeds"


def summarize(accuracies) -> dict:
    """Mean, standard deviation (ddof=1), min, max and count of a cell's accuracies."""
    a = np.asarray(accuracies, dtype=float)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if a.size > 1 else 0.0,
            "min": float(a.min()), "max": float(a.max()), "n": int(a.size)}


def seed_table(path: str | Path = SHIPPED) -> dict:
    """{"settings": ..., "command": ..., "cells": {cell: {L: summary}}} from a saved sweep."""
    data = json.loads(Path(path).read_text())
    cells: dict[str, dict[int, dict]] = {}
    for run in data["runs"]:
        cells.setdefault(run["cell"], {}).setdefault(int(run["L"]), []).append(run["accuracy"])
    return {"settings": data["settings"], "command": data["command"],
            "cells": {c: {L: summarize(v) for L, v in sorted(byL.items())}
                      for c, byL in cells.items()}}


def merge(old: dict, new: dict) -> dict:
    """The runs of `old` and `new` in one table (a run of `new` replaces the one of `old`
    with the same cell, L and seed); its distances, seeds and command cover both. The other
    settings must agree, or the table would mix experiments."""
    keep = {k: v for k, v in old["settings"].items() if k not in ("distances", "seeds")}
    if keep != {k: v for k, v in new["settings"].items() if k not in ("distances", "seeds")}:
        raise ValueError(f"different settings: {old['settings']} vs {new['settings']}")
    key = lambda r: (r["cell"], r["L"], r["seed"])                          # noqa: E731
    added = {key(r) for r in new["runs"]}
    runs = [r for r in old["runs"] if key(r) not in added] + list(new["runs"])
    runs.sort(key=lambda r: (r["L"], r["seed"]))
    distances = sorted({r["L"] for r in runs})
    seeds = sorted({r["seed"] for r in runs})
    cells = list(dict.fromkeys(r["cell"] for r in runs))
    command = f"{COMMAND} --distances {' '.join(map(str, distances))}"
    if seeds != [0, 1, 2, 3, 4]:
        command += f" --seeds {' '.join(map(str, seeds))}"
    if cells != ["rnn", "gru", "lstm"]:
        command += f" --cells {' '.join(cells)}"
    return {"settings": dict(keep, seeds=seeds, distances=distances), "command": command,
            "runs": runs}


def run_sweep(cells, distances, seeds, steps: int, objective: str = "direct",
              attractors: int = 0, log=print, on_row=None) -> list[dict]:
    """One `train_agreement` run per (L, seed, cell); returns their rows (on_row(rows) after
    each, so a long sweep can be saved as it goes)."""
    from rnnviz.training.agreement import train_agreement

    rows = []
    for L in distances:
        for seed in seeds:
            for cell in cells:
                t0 = time.perf_counter()
                res = train_agreement(cell, int(L), attractors=attractors, objective=objective,
                                      steps=steps, seed=int(seed))
                rows.append({"cell": cell, "L": int(L), "seed": int(seed),
                             "accuracy": float(res.accuracy),
                             "wall_s": round(time.perf_counter() - t0, 2)})
                log(f"{cell} L={L} seed={seed}: {100 * res.accuracy:.1f}% "
                    f"({rows[-1]['wall_s']}s)")
                if on_row is not None:
                    on_row(rows)
    return rows


def main(argv=None):
    from rnnviz.training.agreement import DISTANCES, AgreementConfig

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", nargs="+", default=["rnn", "gru", "lstm"])
    ap.add_argument("--distances", type=int, nargs="+", default=list(DISTANCES))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--steps", type=int, default=AgreementConfig().steps)
    ap.add_argument("--objective", default="direct")
    ap.add_argument("--attractors", type=int, default=0)
    ap.add_argument("--out", default=str(SHIPPED))
    ap.add_argument("--add", action="store_true",
                    help="add these runs to the table in --out (same settings) instead of "
                         "replacing it")
    args = ap.parse_args(argv)
    cfg = AgreementConfig()
    settings = {"objective": args.objective, "attractors": args.attractors,
                "steps": args.steps, "n_a": cfg.n_a, "m": cfg.m, "lr": cfg.lr,
                "n_eval": cfg.n_eval, "seeds": args.seeds, "distances": args.distances}
    argv_text = " ".join(sys.argv[1:] if argv is None else argv)

    old = json.loads(Path(args.out).read_text()) if args.add else None

    def save(rows):
        table = {"settings": settings, "command": f"{COMMAND} {argv_text}".strip(),
                 "runs": rows}
        if old is not None:
            table = merge(old, table)
        Path(args.out).write_text(json.dumps(table, indent=1))

    save(run_sweep(args.cells, args.distances, args.seeds, args.steps, args.objective,
                   args.attractors, log=lambda s: print(s, flush=True), on_row=save))
    for cell, byL in seed_table(args.out)["cells"].items():
        print(cell, {L: f"{100 * s['mean']:.0f}±{100 * s['std']:.0f}" for L, s in byL.items()})


if __name__ == "__main__":
    main()
