"""Imported PyTorch models: parity with torch per case, and page times for a large one.

    python benchmarks/imported.py --parity                # max |rnnviz - torch| per case
    python benchmarks/imported.py                         # n_a = 512, 2 layers, 10k words
    python benchmarks/imported.py --n-a 256 --vocab 2000 --pages activations,backward

Parity: tests/test_import.py's models (every cell × layers 1-3 × uni/bi × task), the largest
error over the probabilities and every layer's hidden states. Pages: an LSTM word LM with an
nn.Embedding (256) and a Linear head, imported from torch-layout float32 arrays, selected in
the sidebar as the upload panel selects it; each page's first render (cold caches, after one
warm-up run for the imports) and the median of 3 reruns, with Streamlit's AppTest.
"""

from __future__ import annotations

import argparse
import itertools
import pathlib
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def parity() -> None:
    sys.path.insert(0, str(REPO / "tests"))
    import test_import as T

    cols = [(layers, bi) for layers in (1, 2, 3) for bi in (False, True)]
    print("case                 " + " ".join(f"L{l}{'bi' if b else 'uni':>3s}" for l, b in cols))
    for kind, task in itertools.product(T.MODULES, T.TASKS):
        errs = []
        for layers, bi in cols:
            with tempfile.TemporaryDirectory() as d:
                p, s, _ = T.parity(kind, layers, bi, task, pathlib.Path(d))
            errs.append(max(p, s))
        print(f"{kind:9s} {task:10s} " + " ".join(f"{e:.1e}" for e in errs))


def big_model(n_a: int, layers: int, V: int, cell: str, emb: int = 256):
    import rnnviz

    rng = np.random.default_rng(0)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    f32 = np.float32
    sd = {"emb.weight": rng.standard_normal((V, emb), dtype=f32)}
    for k in range(layers):
        n_in = emb if k == 0 else n_a
        sd[f"rnn.weight_ih_l{k}"] = rng.standard_normal((G * n_a, n_in), dtype=f32) / f32(
            np.sqrt(n_in))
        sd[f"rnn.weight_hh_l{k}"] = rng.standard_normal((G * n_a, n_a), dtype=f32) / f32(
            np.sqrt(n_a))
        sd[f"rnn.bias_ih_l{k}"] = np.zeros(G * n_a, f32)
        sd[f"rnn.bias_hh_l{k}"] = np.zeros(G * n_a, f32)
    sd["fc.weight"] = rng.standard_normal((V, n_a), dtype=f32) / f32(np.sqrt(n_a))
    sd["fc.bias"] = np.zeros(V, f32)
    words = [f"w{i}" for i in range(V - 12)] + "Return the number of items in list .".split()
    words += ["<unk>", ",", "a", "b"]
    print(f"torch state_dict: {sum(v.nbytes for v in sd.values()) / 2**20:.1f} MB float32")
    t = time.perf_counter()
    m = rnnviz.import_torch(sd, vocab=words, task="lm", tokenizer="word", name="big")
    print(f"import: {time.perf_counter() - t:.2f} s, {m.model.n_params:,} parameters after "
          "folding the embedding into W_ax")
    return m


def pages(args) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import rnnviz_app.sidebar as sidebar
    from rnnviz_app.loaders import session_name

    m = big_model(args.n_a, args.layers, args.vocab, args.cell).freeze()
    name = session_name(m)
    # AppTest formats the model picker outside the session: give it the session's models.
    sidebar.session_models = lambda: {name: m}
    AppTest.from_file(str(REPO / "app.py"), default_timeout=600).run()      # imports
    for page in args.pages.split(","):
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=600)
        at.session_state["rnnviz.session_models"] = {name: m}
        at.session_state["sidebar.model"] = name
        at.switch_page(f"pages/{page}.py")
        t = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t
        warm = []
        for _ in range(3):
            t = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t)
        print(f"{page:14s} first render {cold:6.2f} s   rerun {statistics.median(warm):6.3f} s"
              f"   exceptions: {len(at.exception)}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parity", action="store_true")
    ap.add_argument("--n-a", type=int, default=512)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=10_000)
    ap.add_argument("--cell", default="lstm", choices=["rnn", "gru", "lstm"])
    ap.add_argument("--pages", default="activations,forward,backward,bidirectional,vanishing,"
                                       "types,units")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    parity() if args.parity else pages(args)


if __name__ == "__main__":
    main()
