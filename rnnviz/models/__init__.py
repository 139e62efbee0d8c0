"""Models in use: a network with its vocabulary and the meaning of its outputs.

Shipped, random, imported and trained-in-the-app models are all `ModelInUse` objects of
one kind (`LanguageModel`, `Tagger`, `Classifier`), and every page reads them along one route:
``m.read(text)`` (tokens, x, forward trace) and ``m.backward(m.read(text, for_loss=True))``.
A `ModelSpec` names one of them with a few scalars, so caches key on it.
"""

from rnnviz.models.inuse import (
    CLASSES,
    KIND_NAMES,
    KINDS,
    START_LABEL,
    Backward,
    Classifier,
    LanguageModel,
    ModelInUse,
    Reading,
    Steps,
    Tagger,
    freeze,
)
from rnnviz.models.shipped import (
    PRETRAINED,
    PRETRAINED_DIR,
    from_checkpoint,
    list_pretrained,
    load_pretrained,
    shipped_kind,
)
from rnnviz.models.spec import (
    CELL_NAMES,
    CELLS,
    RANDOM,
    SESSION_PREFIX,
    TRAINED_LMS,
    ModelSpec,
    comparison_models,
    load,
    random_model,
    random_vocab,
)

__all__ = [
    "ModelInUse", "LanguageModel", "Tagger", "Classifier", "Steps", "Reading", "Backward", "freeze",
    "KINDS", "KIND_NAMES", "CLASSES", "START_LABEL",
    "PRETRAINED", "PRETRAINED_DIR", "from_checkpoint", "list_pretrained", "load_pretrained",
    "shipped_kind",
    "ModelSpec", "RANDOM", "SESSION_PREFIX", "CELLS", "CELL_NAMES", "load", "random_model",
    "random_vocab", "TRAINED_LMS", "comparison_models",
]  # fmt: skip

# Your own model: a trained PyTorch RNN / GRU / LSTM (rnnviz/models/imported.py)
from rnnviz.models.imported import export, import_torch  # noqa: E402

__all__ += ["import_torch", "export"]
