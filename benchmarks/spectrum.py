"""The Dynamics page's step-Jacobian spectra, timed per shipped char LM: every singular value
against the band the page draws (`jacobian_spectrum(..., top=3)`).

    python benchmarks/spectrum.py                 # one BLAS thread, as the server runs
    python benchmarks/spectrum.py --sentences 9

What is timed, per model (char-lm-rnn / -gru / -lstm), as the page computes it for a visitor
who types new sentences: a spectrum of "A fresh sentence, number k, is read by the network."
for k = 0, 1, ..., each with the previous one as `prefix` (the steps of the 25 characters they
share are reused; 26 of 51 steps are new). Reported: the median over k ≥ 1 of
  every    `jacobian_spectrum(model, text, prefix=...)`: all n_s singular values per step
  band     `jacobian_spectrum(model, text, prefix=..., top=3)`: σ1..σ3 and the band's edge
and, on the last sentence, the band against numpy's SVD: the largest relative error of
σ1..σ3, the edge above σ_min as a share of σ1 (the documented bound is 1e-3), and how many
steps the exact route took (no bound settled their σ_min).
"""

import argparse
import os
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = ap.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    import numpy as np

    import rnnviz
    from rnnviz.dynamics import jacobian_spectrum, spectra, step_jacobians

    exact_steps = []
    real = spectra.gram_singular_values
    spectra.gram_singular_values = lambda J: exact_steps.append(len(J)) or real(J)
    print("| char LM | n_s | every singular value (ms) | band, top = 3 (ms) | σ1..σ3 vs SVD, "
          "max rel. error | edge − σ_min, max / σ1 | steps by the exact route |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for cell in ("rnn", "gru", "lstm"):
        model = rnnviz.load_pretrained(f"char-lm-{cell}")
        times = {"every": [], "band": []}
        for kind, top in (("every", None), ("band", 3)):
            prev = None
            for k in range(args.sentences):
                text = f"A fresh sentence, number {k}, is read by the network."
                t0 = time.perf_counter()
                prev = jacobian_spectrum(model, text, prefix=prev, top=top)
                if k:
                    times[kind].append(1e3 * (time.perf_counter() - t0))
        exact_steps.clear()
        band = jacobian_spectrum(model, text, top=3)
        J = step_jacobians(model, text).J[""]
        s = np.linalg.svd(J, compute_uv=False)
        rel = float(np.max(np.abs(band.sv[""][:, :3] - s[:, :3]) / s[:, :3]))
        edge = float(np.max((band.sv[""][:, 3] - s[:, -1]) / s[:, 0]))
        print(f"| char-lm-{cell} | {J.shape[1]} | {np.median(times['every']):.0f} | "
              f"{np.median(times['band']):.0f} | {rel:.1e} | {edge:.1e} | "
              f"{sum(exact_steps)} of {len(J)} |")
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores, "
          f"python {sys.version.split()[0]}, OPENBLAS_NUM_THREADS="
          f"{os.environ['OPENBLAS_NUM_THREADS']}; 1-min load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
