"""Checkpoints: weights as `.npz` (no pickles) beside a JSON card and a Markdown card.

    <name>.npz   the parameters under the seed's names (`Model.save`)
    <name>.json  {"config": RNNConfig, ...card}: vocabulary, data, hyperparameters, metrics,
                 loss curve, training time, versions, the command that reproduces it
    <name>.md    the card for people
"""

from __future__ import annotations

import hashlib
import os
import platform
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
