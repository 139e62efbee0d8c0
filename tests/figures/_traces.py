"""Small traces of every architecture for the figure tests of pages 1-4 (no Streamlit)."""

from __future__ import annotations

import numpy as np

from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model, RNNConfig
from rnnviz.data.corpus import CHARSET
from rnnviz.text import EOS_ID, SPECIALS, Vocab

ARCHS = [("rnn", False), ("gru", False), ("lstm", False), ("rnn", True), ("gru", True),
         ("lstm", True)]
ARCH_IDS = [f"{'bi' if bi else ''}{cell}" for cell, bi in ARCHS]
TEXT = "Return the list, or None."
VOCAB = Vocab([*SPECIALS, *CHARSET], kind="char")


def make(cell="lstm", bidirectional=False, text=TEXT, n_a=6, seed=0, dtype="float64",
         init=None):
    """(model, trace, targets) of a random-weight char model reading `text`; the targets
    are the next characters, <EOS> after the last one."""
    n = len(VOCAB)
    cfg = RNNConfig(cell=cell, n_x=n, n_a=n_a, n_y=n, bidirectional=bidirectional,
                    dtype=dtype)
    model = Model.init(cfg, rng=np.random.default_rng(seed), init=init or InitConfig())
    ids = VOCAB.encode(text)
    trace = model.forward(VOCAB.one_hot(ids, dtype=dtype), tokens=list(text))
    targets = np.array([*ids[1:], EOS_ID])
    return model, trace, targets


def arr(v) -> np.ndarray:
    return np.asarray(v, dtype=np.float64)
