"""rnnviz: see what happens inside RNNs, GRUs and LSTMs.

The course's step-by-step API is importable from here (`rnnviz.lstm_forward`, ...), next to the
model abstraction (`rnnviz.Model`, `rnnviz.RNNConfig`) that the app uses.

Importing rnnviz changes nothing in the host process. A program that owns its process (the
app, `python -m rnnviz.train`, the benchmarks) can call `rnnviz.keep_freed_memory()` once:
it tunes glibc's allocator to keep freed memory (see `rnnviz.core.allocator`), without which
page faults on freshly mapped buffers take 25-40% of an LSTM forward + BPTT.
"""

from rnnviz.core.allocator import keep_freed_memory
from rnnviz.core.analysis import (
    clip_by_global_norm,
    clip_by_value,
    global_norm,
    gradient_check,
    sensitivity_matrix,
    state_jacobian_norms,
)
from rnnviz.core.cells import (
    gru_cell_backward,
    gru_cell_forward,
    lstm_cell_backward,
    lstm_cell_forward,
    rnn_cell_backward,
    rnn_cell_forward,
)
from rnnviz.core.functional import log_softmax, sigmoid, softmax
from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model, RNNConfig, State
from rnnviz.core.sequences import (
    gru_backward,
    gru_forward,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)
from rnnviz.core.trace import BackwardTrace, Trace

__all__ = [
    "rnn_cell_forward", "rnn_cell_backward", "rnn_forward", "rnn_backward",
    "lstm_cell_forward", "lstm_cell_backward", "lstm_forward", "lstm_backward",
    "gru_cell_forward", "gru_cell_backward", "gru_forward", "gru_backward",
    "sigmoid", "softmax", "log_softmax",
    "Model", "RNNConfig", "State", "InitConfig", "Trace", "BackwardTrace",
    "state_jacobian_norms", "sensitivity_matrix", "clip_by_value", "clip_by_global_norm",
    "global_norm", "gradient_check", "keep_freed_memory",
]

# Models in use (shipped, random, imported, trained): appended after the core so the import
# order above stays.
from rnnviz.models import (  # noqa: E402
    Classifier,
    LanguageModel,
    ModelInUse,
    ModelSpec,
    Tagger,
    list_pretrained,
    load_pretrained,
)

__all__ += ["list_pretrained", "load_pretrained", "ModelInUse", "LanguageModel", "Tagger",
            "Classifier", "ModelSpec"]

# What does unit k do? (rnnviz/units/: interpretable units, select-and-search, saturation)
from rnnviz.units import gate_saturation, search_pattern, select_units, unit_scores  # noqa: E402

__all__ += ["unit_scores", "select_units", "search_pattern", "gate_saturation"]

# Train it yourself (rnnviz/training/agreement.py: the course's long-range agreement task)
from rnnviz.training.agreement import agreement_task, train_agreement  # noqa: E402

__all__ += ["agreement_task", "train_agreement"]

# Your own model: import a trained PyTorch RNN / GRU / LSTM (rnnviz/models/imported.py)
from rnnviz.models import import_torch  # noqa: E402

__all__ += ["import_torch"]

# What if? Interventions in the forward pass (rnnviz/core/interventions.py)
from rnnviz.core.interventions import Clamp, Patch  # noqa: E402
from rnnviz.models.interventions import unit_means  # noqa: E402

__all__ += ["Clamp", "Patch", "unit_means"]

# What if? Attribution of one output to the input tokens (rnnviz/attribution.py)
from rnnviz.attribution import attribution  # noqa: E402

__all__ += ["attribution"]

# Why gradients vanish, seen from the dynamics (rnnviz/dynamics: Jacobian spectra, fixed points)
from rnnviz.dynamics import fixed_points, jacobian_spectrum, step_jacobians  # noqa: E402

__all__ += ["step_jacobians", "jacobian_spectrum", "fixed_points"]
