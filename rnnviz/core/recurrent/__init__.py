"""Recurrent cells, one object each (Haiku's `recurrent.py` is the model).

Every cell has the same methods (rnnviz.core.recurrent.base.Cell), so the model, the course's
sequence functions, the analysis and the figures never ask which cell they hold:
    rnn.RNN        a<t> = g(W_aa a<t-1> + W_ax x<t> + b_a), g = tanh or ReLU
    gru.GRU        the notes' full GRU (reset gate before the recurrent product)
    gru_torch.TorchGRU   PyTorch's nn.GRU in the notes' notation (reset gate after it)
    lstm.LSTM      the notes' LSTM
`cell_for(config)` picks the one a config asks for.
"""

from rnnviz.core.recurrent.base import Cell, Gate, Packed
from rnnviz.core.recurrent.gru import GRU
from rnnviz.core.recurrent.gru_torch import TorchGRU
from rnnviz.core.recurrent.lstm import LSTM
from rnnviz.core.recurrent.rnn import RNN

# (cell, variant) -> the cell object of a config; the variant names a cell's alternative
# equations (adding one touches its own file and this table)
REGISTRY = {
    ("rnn", "course"): lambda config: RNN(config.activation),
    ("gru", "course"): lambda config: GRU(),
    ("gru", "torch"): lambda config: TorchGRU(),
    ("lstm", "course"): lambda config: LSTM(),
}
CELLS = ("rnn", "gru", "lstm")
VARIANTS = ("course", "torch")


def cell_for(config):
    """The cell object of a config (RNNConfig or anything with cell, variant, activation)."""
    key = (config.cell, getattr(config, "variant", "course"))
    if key not in REGISTRY:
        raise ValueError(f"no {key[1]!r} variant of the {key[0]!r} cell; known: "
                         f"{sorted(REGISTRY)}")
    return REGISTRY[key](config)


__all__ = ["Cell", "Gate", "Packed", "RNN", "GRU", "TorchGRU", "LSTM", "REGISTRY", "CELLS",
           "cell_for"]
