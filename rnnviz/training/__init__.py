"""Training in NumPy: optimizers, schedules, minibatches, truncated BPTT, checkpoints.

`rnnviz.training.race.Race` trains several cells side by side, one step at a time (the
Training page); `agreement` and `text_lm` are its two tasks.

`rnnviz.training.recipes` holds the recipes of the shipped models; `python -m rnnviz.train`
runs them.
"""

from rnnviz.training.batches import Batch, SequenceBatches, TextStreams, one_hot
from rnnviz.training.checkpoint import load_checkpoint, save_checkpoint
from rnnviz.training.loop import Progress, StepOutput, TrainConfig, TrainResult, train, train_step
from rnnviz.training.optim import SGD, Adam, Schedule, make_optimizer

__all__ = [
    "Adam", "SGD", "Schedule", "make_optimizer",
    "Batch", "TextStreams", "SequenceBatches", "one_hot",
    "TrainConfig", "Progress", "TrainResult", "train", "train_step", "StepOutput",
    "save_checkpoint", "load_checkpoint",
]
