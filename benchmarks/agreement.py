"""Accuracy vs distance on the agreement task: RNN, GRU and LSTM with the same budget.

    nice -n 10 python benchmarks/agreement.py                  # the report's four tables
    python benchmarks/agreement.py --steps 100 --distances 5 10 --cells rnn lstm   # quick

For each objective ("direct", "lm") and number of attractors (0, 2), every cell is trained
by `rnnviz.training.agreement.train_agreement` at each distance L with the Training page's
defaults (n_a, batch, lr, clipping, init, seed) and the given step budget; the table gives
the held-out accuracy at the verb (chance = 50%) and the training time of each run.
The Training page's words about these settings come from these tables.
"""

import argparse
import json
import os
import platform
import time

from rnnviz.training.agreement import DISTANCES, AgreementConfig, train_agreement


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=AgreementConfig().steps)
    ap.add_argument("--distances", type=int, nargs="+", default=list(DISTANCES))
    ap.add_argument("--cells", nargs="+", default=["rnn", "gru", "lstm"])
    ap.add_argument("--objectives", nargs="+", default=["direct", "lm"])
    ap.add_argument("--attractors", type=int, nargs="+", default=[0, 2])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the numbers to this file")
    args = ap.parse_args()
    cfg = AgreementConfig()
    print(f"# agreement: n_a={cfg.n_a} m={cfg.m} lr={cfg.lr} clip={cfg.clip_norm} "
          f"init={cfg.init} steps={args.steps} seed={args.seed}")
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    out = []
    for objective in args.objectives:
        for k in args.attractors:
            print(f"\n## objective={objective}, attractors={k}: held-out accuracy (%), "
                  "training seconds")
            print("| cell | " + " | ".join(f"L={L}" for L in args.distances) + " |")
            print("|---" * (len(args.distances) + 1) + "|")
            for cell in args.cells:
                row = []
                for L in args.distances:
                    if k > L:
                        row.append("n/a")
                        continue
                    t0 = time.perf_counter()
                    res = train_agreement(cell, L, attractors=k, objective=objective,
                                          steps=args.steps, seed=args.seed)
                    wall = time.perf_counter() - t0
                    out.append(dict(objective=objective, attractors=k, cell=cell, L=L,
                                    accuracy=res.accuracy, train_s=res.time_s, wall_s=wall,
                                    steps=args.steps, seed=args.seed))
                    row.append(f"{100 * res.accuracy:.0f} ({res.time_s:.1f}s)")
                print(f"| {cell.upper()} | " + " | ".join(row) + " |", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
