"""Recurrent cells, one object each (Haiku's `recurrent.py` is the model).

Every cell has the same methods (rnnviz.core.recurrent.base.Cell), so the model, the seed's
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

# (cell, variant) -> constructor; the variant names a cell's alternative equations
REGISTRY = {
    ("rnn", "course"): RNN,
    ("gru", "course"): GRU,
    ("gru", "torch"): TorchGRU,
    ("lstm", "course"): LSTM,
}
CELLS = ("rnn", "gru", "lstm")
VARIANTS = ("course", "torch")


def cell_for(config):
    """The cell object of a config (RNNConfig or anything with cell, variant, activation)."""
    variant = getattr(config, "variant", "course")
    key = (config.cell, variant)
    if key not in REGISTRY:
        raise ValueError(f"no {variant!r} variant of the {config.cell!r} cell; known: "
                         f"{sorted(REGISTRY)}")
    if config.cell == "rnn":
        return RNN(config.activation)
    return REGISTRY[key]()


__all__ = ["Cell", "Gate", "Packed", "RNN", "GRU", "TorchGRU", "LSTM", "REGISTRY", "CELLS",
           "cell_for"]
