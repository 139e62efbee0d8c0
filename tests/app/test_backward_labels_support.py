"""A one-layer imported model of each cell for the Backward page's tests (a GRU is torch's)."""

import numpy as np
from test_upload_panel import CHARS

import rnnviz
from rnnviz.core.torch_layout import to_torch


def imported(cell: str, task: str = "tagger"):
    cfg = rnnviz.RNNConfig(cell=cell, n_x=len(CHARS), n_a=5, n_y=3,
                           variant="torch" if cell == "gru" else "course")
    sd = to_torch(cfg, rnnviz.Model.init(cfg, rng=np.random.default_rng(2)).params,
                  prefix="rnn.", head="fc.")
    return rnnviz.import_torch(sd, vocab=CHARS, task=task, name=f"{cell}-{task}",
                               labels=["x", "y", "z"])
