"""Checkpoints: weights as `.npz` (no pickles) beside a JSON card and a Markdown card.

    <name>.npz   the parameters under the course's names (`Model.save`)
    <name>.json  {"config": RNNConfig, ...card}: vocabulary, data, hyperparameters, metrics,
                 loss curve, training time, versions, the command that reproduces it
    <name>.md    the card for people
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
from dataclasses import asdict
from pathlib import Path

import numpy as np

from rnnviz.core.model import Model


def environment() -> dict:
    """Versions that a reproduction should match."""
    threads = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                          "MKL_NUM_THREADS") if k in os.environ}
    return {"python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(), "machine": platform.machine(),
            "cpu_count": os.cpu_count(), "blas_threads_env": threads}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def save_checkpoint(out_dir: str | Path, name: str, model: Model, card: dict,
                    markdown: str) -> Path:
    """Write <name>.npz, <name>.json and <name>.md into `out_dir`; returns the .npz path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.npz"
    model.save(path, metadata=card)
    path.with_suffix(".md").write_text(markdown)
    return path


def load_checkpoint(path: str | Path) -> tuple[Model, dict]:
    """(model, card) from a checkpoint written by `save_checkpoint` (allow_pickle=False)."""
    return Model.load(Path(path))


def npz_bytes(model: Model, settings, kind: str) -> bytes:
    """A trained network as one .npz download: the parameters under the course's names, and
    `_config` (the RNNConfig) and `_card` ({"task", "settings", "init"}: the run's dataclass
    `settings`, its InitConfig apart) as JSON strings."""
    card = {"task": kind, "settings": {k: v for k, v in asdict(settings).items() if k != "init"},
            "init": asdict(settings.init)}
    buf = io.BytesIO()
    np.savez(buf, **model.params, _config=np.array(json.dumps(asdict(model.config))),
             _card=np.array(json.dumps(card, default=str)))
    return buf.getvalue()


def safetensors_bytes(model_in_use) -> bytes | None:
    """The network in torch's layout (`rnnviz.models.imported.export_state_dict`) as a
    .safetensors file, or None for a cell nn.RNN/GRU/LSTM cannot hold (the course's GRU)."""
    from safetensors.numpy import save

    from rnnviz.models.imported import export_state_dict

    try:
        tensors, meta = export_state_dict(model_in_use)
    except ValueError:
        return None
    return save(tensors, metadata=meta)
