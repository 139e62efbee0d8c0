"""Export a model in use as torch's layout in .safetensors, with metadata that describes it.

`export(m, path)` writes torch's key names (`emb.`, `rnn.`, `fc.`) and the metadata
`rnnviz.*` (vocabulary, task, tokenizer, labels, start token, readout) that
`rnnviz.import_torch` reads back. This module knows nothing of the classes of models in use
(it reads `m.kind`, `m.config`, `m.vocab`, ...), so `ModelInUse.export` can call it and the
importer can share its names without an import cycle.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rnnviz.core.torch_layout import to_torch

TASK_KINDS = {"lm": "char_lm", "tagger": "tagger", "classifier": "classifier"}
KIND_TASKS = {v: k for k, v in TASK_KINDS.items()}
# Module names the export writes, and the prefix of its metadata's keys.
EXPORT_PREFIXES = {"embedding": "emb.", "rnn": "rnn.", "head": "fc."}
_META = "rnnviz."


def export_state_dict(m) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(torch state_dict arrays, metadata) of a model in use. An imported model gives back the
    user's own tensors under their own names (so `net.load_state_dict(load_file(path))` works
    on the class it came from); any other: `emb.weight` (the identity: x<t> is one-hot),
    `rnn.weight_ih_l{k}`... (torch's layout), `fc.weight`, `fc.bias`."""
    cfg = m.config
    own = getattr(m, "torch_state", None)      # an imported model: the user's own tensors
    if own is not None:
        sd = {k: np.ascontiguousarray(v) for k, v in own.items()}
    else:
        sd = to_torch(cfg, m.model.params, prefix=EXPORT_PREFIXES["rnn"],
                      head=EXPORT_PREFIXES["head"], embedding=EXPORT_PREFIXES["embedding"])
    start = None
    if m.kind == "char_lm" and m.state0 is not None:
        start = str(m.card.get("start") or m.vocab.itos[1])     # the shipped LMs read <EOS>
    meta = {_META + "vocab": json.dumps(list(m.vocab.itos), ensure_ascii=False),
            _META + "task": KIND_TASKS[m.kind],
            _META + "tokenizer": m.vocab.kind,
            _META + "lowercase": json.dumps(bool(getattr(m.vocab, "lowercase", False))),
            _META + "labels": json.dumps(list(m.output_labels), ensure_ascii=False),
            _META + "cell": cfg.cell, _META + "layers": str(cfg.layers),
            _META + "bidirectional": str(cfg.bidirectional).lower(),
            _META + "nonlinearity": cfg.activation if cfg.cell == "rnn" else "tanh",
            _META + "readout": cfg.readout,
            _META + "start": json.dumps(start)}
    return sd, meta


def export(m, path) -> Path:
    """Write `m` as .safetensors with torch's key names and layout (see `export_state_dict`):

        emb = nn.Embedding(V, V); rnn = nn.LSTM(V, n_a, num_layers=L, bidirectional=...)
        fc = nn.Linear(n_a * directions, n_y)      # + load_state_dict of the file's tensors
        logits = fc(rnn(emb(token_ids))[0])

    The metadata holds the vocabulary, task, tokenizer, labels and the head's readout
    (`RNNConfig.readout`) and case, so `import_torch(path)` reads it back with no other
    argument (an imported model's own tensors and module names are written as they were),
    and a classifier whose head reads [a→<T_x>; a←<T_x>] comes back reading it (torch's
    `rnn(x)[0][-1]`, not h_n). The notes' GRU (reset gate before the
    matmul) has no nn.GRU equivalent and raises ValueError; models imported from torch export.
    """
    from safetensors.numpy import save_file

    sd, meta = export_state_dict(m)
    path = Path(path)
    if path.suffix != ".safetensors":
        path = path.with_name(path.name + ".safetensors")
    save_file(sd, str(path), metadata=meta)
    return path


__all__ = ["export", "export_state_dict", "TASK_KINDS", "KIND_TASKS", "EXPORT_PREFIXES"]
