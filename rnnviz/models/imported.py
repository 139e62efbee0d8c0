"""Your own model: a trained PyTorch nn.RNN / nn.GRU / nn.LSTM as a model in use, and back.

    m = rnnviz.import_torch("model.safetensors", vocab="vocab.json", task="lm")
    m.predict("some text")      # (T_x, n_y): torch's softmax of its outputs, to 1e-5
    m.trace("some text")        # every gate of every layer, in the notes' notation
    m.export("again.safetensors")

What is read. The weights of one recurrent module (keys `*weight_ih_l{k}`, `*_reverse`), with
an optional `nn.Embedding` in front and an optional `nn.Linear` head reading the top layer:
the structure (cell, layers, directions, sizes) comes from the key names and shapes
(`rnnviz.core.torch_layout`), so the state_dict is all that is needed:

    from safetensors.torch import save_file
    save_file(model.state_dict(), "model.safetensors")
    json.dump(itos, open("vocab.json", "w"))        # the tokens in index order

Sources: `.safetensors` (the `safetensors` package's NumPy reader, after checking the header
ourselves), `.npz` (`allow_pickle=False`), `.pt`/`.pth` only with torch installed and only
through `torch.load(..., weights_only=True)` (a pickle of anything but tensors is refused, never
run), a mapping name -> array, an `nn.Module`, or an uploaded file (`.name`, `.size`,
`.getvalue()`). Files above `MAX_BYTES` are refused before a byte is read.

How the model reads text. The embedding E is folded into the first layer (W_ax Eᵀ), so x<t>
stays the notes' one-hot vector over *your* vocabulary (index k = your token k; there is no
reserved `<UNK>`/`<EOS>`). Tokenizer "char": one token per character. "word": runs of
letters, digits and apostrophes are words, every other non-space character is a token of its
own, spaces separate (`rnnviz.text.tokenize_words`; case is kept). A token that is not in the
vocabulary reads as your vocabulary's unknown token when it has one (`<unk>`, `<UNK>`,
`[UNK]`, `<oov>`), else as x<t> = 0 (no input at that step), and is marked unknown on the pages.

Every layer's hidden states and the outputs equal torch's forward to 1e-5 on float32 weights
(tests/test_import.py). A classifier's head reads what it was trained on (`readout=`, see
`CLASSIFIER_READOUTS`): "h_n" (`fc(cat(h_n[-2], h_n[-1]))`, the default), "last" (`fc(out[-1])`:
[a→<T_x>; a←<T_x>]) or "mean" (`fc(out.mean(0))`), exact in the forward pass and in BPTT
(tests/test_import_readouts.py). The pieces: `vocab_io` (vocabulary, tokenizers),
`weights_io` (files, checkpoint wrappers), `structure` (which module is which), `export`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence

import numpy as np

from rnnviz.core.model import Model
from rnnviz.core.torch_layout import from_torch
from rnnviz.models.export import _META, KIND_TASKS, TASK_KINDS, export, export_state_dict
from rnnviz.models.inuse import Classifier, LanguageModel, ModelInUse, Tagger
from rnnviz.models.structure import detect_structure, folded_size
from rnnviz.models.vocab_io import (
    TokenVocab,
    case_hint,
    load_vocab,
    parse_vocab,
    tokenizer_warnings,
)
from rnnviz.models.weights_io import FORMATS, MAX_BYTES, _as_arrays, read_weights, unwrap
from rnnviz.text.vocab import KINDS as TOKENIZERS

TASKS = ("lm", "tagger", "classifier")
# What a classifier's head reads, as the torch code it was trained with (out, h_n = rnn(x),
# time first): the name import_torch takes -> (RNNConfig.readout, the torch code).
CLASSIFIER_READOUTS = {
    "h_n": ("h_n", "fc(torch.cat([h_n[-2], h_n[-1]], -1))  # bidirectional; fc(h_n[-1]) else"),
    "last": ("step", "fc(out[-1])  # [a→<T_x>; a←<T_x>] when bidirectional (batch_first: "
             "out[:, -1])"),
    "mean": ("mean", "fc(out.mean(dim=0))  # the mean over time (batch_first: dim=1)"),
}
_READOUT_NAMES = {v[0]: k for k, v in CLASSIFIER_READOUTS.items()}
# A few lines of torch that turn an nn.LSTMCell loop into an nn.LSTM the importer reads.
CELL_LOOP_HELP = (
    "rnnviz reads nn.RNN / nn.GRU / nn.LSTM modules (keys weight_ih_l0, ...). An nn.LSTMCell "
    "(or GRUCell / RNNCell) stepped in a loop has the same weights under other names: copy "
    "them into a one-layer module and save that:\n"
    "    lstm = nn.LSTM(cell.input_size, cell.hidden_size)\n"
    "    lstm.weight_ih_l0, lstm.weight_hh_l0 = cell.weight_ih, cell.weight_hh\n"
    "    lstm.bias_ih_l0, lstm.bias_hh_l0 = cell.bias_ih, cell.bias_hh\n"
    "then save the state_dict with lstm in place of the cell.")


class TorchClassifier(Classifier):
    """A classifier as torch users build one, its head reading h_n (the default), out[-1] or
    the mean over time (`CLASSIFIER_READOUTS`; `RNNConfig.readout` "h_n" / "step" / "mean").
    `predict`, ŷ<T_x> on every page, the Backward page's loss and its gradient check all read
    it; ŷ<t> before T_x reads [a→<t>; a←<t>], an illustration that no loss uses."""


def _nonfinite_warnings(sd: Mapping[str, np.ndarray]) -> list[str]:
    out = []
    for k, v in sd.items():
        if v.dtype.kind != "f":
            continue
        n_nan, n_inf = int(np.isnan(v).sum()), int(np.isinf(v).sum())
        if n_nan or n_inf:
            what = " and ".join(s for s in (f"{n_nan} NaN" if n_nan else "",
                                            f"{n_inf} infinite" if n_inf else "") if s)
            out.append(f"The weight {k} has {what} value{'s' if n_nan + n_inf > 1 else ''}: "
                       "every quantity it reaches is NaN or infinite on the pages, shown as "
                       "gaps. The file was probably saved after training diverged.")
    return out


def import_torch(source, *, vocab=None, task: str | None = None, tokenizer: str | None = None,
                 lowercase: bool | None = None, labels: Sequence[str] | None = None,
                 readout: str | None = None, nonlinearity: str | None = None,
                 start: str | None = None, mapping: Mapping | None = None,
                 name: str | None = None, max_params: int | None = None) -> ModelInUse:
    """A trained torch nn.RNN / nn.GRU / nn.LSTM (+ Embedding, + Linear head) as a model in use.

    source: a path to .safetensors / .npz / .pt / .pth, a state_dict mapping (checkpoint
        wrappers {"model_state_dict": ...} / {"state_dict": ...} and DataParallel's `module.`
        are unwrapped), an nn.Module, or an uploaded file.
    A file written by `export` carries vocab, task, tokenizer, lowercase, labels, readout and
    start in its metadata: `import_torch(path)` needs nothing else; an explicit argument
    overrides the file, with a warning in `.warnings` where they disagree.
    vocab: tokens in index order, or a path to a JSON list, a JSON {token: index} map or a
        text file with one token per line. task: "lm" (next token over the vocabulary),
        "tagger" (one label per token) or "classifier" (one label per text).
    tokenizer: "char" or "word" (default "char"; see `rnnviz.models.vocab_io`); lowercase:
        lower the text before the lookup (default False). labels: class names of a tagger or
        classifier. readout: what a classifier's head reads, "h_n" (default), "last" or
        "mean" (`CLASSIFIER_READOUTS` gives the torch code of each). nonlinearity: nn.RNN's
        ("tanh" | "relu"; default "tanh"). start: a token an LM reads first (None: from
        a<0> = 0, the text as given, like torch's forward; scoring then starts at token 2).
        mapping: {"rnn", "embedding", "head"} module prefixes when detection is ambiguous.
        name: what the model is called (default: the file's stem). max_params: refuse (before
        any folding) a network that would have more parameters once the embedding is folded
        into W_ax (the app's limit; None: no limit).

    Returns a `LanguageModel`, `Tagger` or `TorchClassifier`; `.warnings` lists what looks wrong.
    Raises ValueError naming the key or the file when something cannot be read.
    """
    raw, meta, stem = read_weights(source)
    given = dict(vocab=vocab, task=task, tokenizer=tokenizer, lowercase=lowercase,
                 labels=labels, readout=readout, start=start, nonlinearity=nonlinearity)
    stored = _from_metadata(meta)
    warnings = [f"The file says {k} = {stored[k]!r}; the {k} you gave ({v!r}) is used."
                for k, v in given.items() if k != "vocab" and v is not None
                and stored.get(k) is not None and _norm(k, v) != _norm(k, stored[k])]
    opts = {k: (v if v is not None else stored.get(k)) for k, v in given.items()}
    task, tokenizer = opts["task"], opts["tokenizer"] or "char"
    readout, nonlinearity = opts["readout"] or "h_n", opts["nonlinearity"] or "tanh"
    if task is None:
        raise ValueError(f"task is required: one of {TASKS} (only a file written by "
                         "rnnviz's export carries it)")
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"tokenizer must be one of {TOKENIZERS}, got {tokenizer!r}")
    if readout not in CLASSIFIER_READOUTS:
        raise ValueError(f"readout must be one of {tuple(CLASSIFIER_READOUTS)}, got "
                         f"{readout!r}")
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    if not raw:
        raise ValueError(f"{stem} holds no tensors")
    sd = _as_arrays(unwrap(raw))
    if any(re.search(r"(^|\.)weight_ih$", k) for k in sd):
        raise ValueError(CELL_LOOP_HELP)
    if opts["vocab"] is None:
        raise ValueError("vocab is required: the tokens in index order (a list, or a "
                         "path to a JSON list or a text file with one token per line)")
    voc = load_vocab(opts["vocab"], tokenizer)
    voc.lowercase = bool(opts["lowercase"])
    labels, start = (opts["labels"] if task != "lm" else None), opts["start"]
    parts = detect_structure(sd, mapping)
    head_rows = np.shape(sd[parts["head"] + "weight"])[0] if parts["head"] else None
    _check_sizes(sd, parts, voc, task, head_rows)
    n_y = head_rows or (len(voc) if task == "lm" else len(labels or ()) or 2)
    if labels is not None:
        labels = [str(s) for s in labels]
        if len(labels) != n_y:
            raise ValueError(f"{len(labels)} labels for a head with {n_y} outputs"
                             + (f" ({parts['head']}weight)" if parts["head"] else ""))
    if max_params is not None:
        n = folded_size(sd, parts, n_y)
        if n > max_params:
            raise ValueError(f"the network would have about {n:,} parameters once the embedding "
                             f"is folded into W_ax, more than the {max_params:,} allowed here")
    head_kind = "many_to_one" if task == "classifier" else "many_to_many"
    try:
        cfg, params = from_torch(sd, prefix=parts["rnn"], embedding=parts["embedding"],
                                 head=parts["head"], nonlinearity=nonlinearity, n_y=n_y,
                                 task_head=head_kind, dtype="float32")
    except KeyError as exc:
        raise ValueError(f"missing weight {exc.args[0]!r}") from None
    warnings += tokenizer_warnings(voc) + _nonfinite_warnings(sd)
    if parts["head"] is None:
        warnings.append("There is no output layer (nn.Linear) in the file: W_y = 0, so ŷ<t> is "
                        "uniform; the hidden states are your model's.")
    if task == "classifier":
        cfg = dataclasses.replace(cfg, readout=CLASSIFIER_READOUTS[readout][0])
    model = Model(cfg, params)
    start_id = None
    if start is not None:
        if task != "lm":
            raise ValueError("start is the token a language model reads first; a tagger or a "
                             "classifier reads the text as given")
        if start not in voc.stoi:
            raise ValueError(f"start token {start!r} is not in the vocabulary")
        start_id = voc.stoi[start]
    name = name or stem
    cell = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}[cfg.cell]
    label = (f"{name}: {'bidirectional ' if cfg.bidirectional else ''}{cell}, "
             f"{cfg.layers} layer{'s' if cfg.layers > 1 else ''}")
    card = {"kind": TASK_KINDS[task], "task": task, "tokenizer": tokenizer,
            "lowercase": voc.lowercase, "modules": parts, "start": start,
            "readout": readout if task == "classifier" else None}
    common = dict(label=label, source="imported", warnings=tuple(warnings),
                  card_markdown=_card_markdown(cfg, parts, voc, task, start, readout))
    if task == "lm":
        m = LanguageModel(name, model, voc, card, start_id=start_id, **common)
    else:
        cls = Tagger if task == "tagger" else TorchClassifier
        m = cls(name, model, voc, card, output_labels=labels, **common)
    m.torch_state = sd          # the user's own tensors under their names, for `export`
    return m


def _norm(key, value):
    return [str(v) for v in value] if key == "labels" else value


def _from_metadata(meta: Mapping[str, str]) -> dict:
    """What an rnnviz export says about itself (empty for any other file)."""
    if _META + "vocab" not in meta:
        return {}

    def get(key):
        return json.loads(meta[_META + key]) if _META + key in meta else None

    task = meta.get(_META + "task")
    readout = meta.get(_META + "readout")
    readout = _READOUT_NAMES.get(readout, readout)       # "step" (an rnnviz readout) = "last"
    if task == "classifier" and readout is not None and readout not in CLASSIFIER_READOUTS:
        raise ValueError(f"the file's metadata {_META}readout is {readout!r}; expected one of "
                         f"{tuple(CLASSIFIER_READOUTS)}")
    return {"vocab": get("vocab"), "task": KIND_TASKS.get(task, task),
            "tokenizer": meta.get(_META + "tokenizer"), "lowercase": get("lowercase"),
            "labels": get("labels") if task != "lm" else None,
            "readout": readout if task == "classifier" else None, "start": get("start"),
            "nonlinearity": meta.get(_META + "nonlinearity")}


def _check_sizes(sd, parts, voc, task, head_rows) -> None:
    if parts["embedding"] is not None:
        rows = np.shape(sd[parts["embedding"] + "weight"])[0]
        if rows != len(voc):
            raise ValueError(f"the vocabulary has {len(voc)} tokens but the embedding "
                             f"{parts['embedding']}weight has {rows} rows (one per token)")
    else:
        n_in = np.shape(sd[parts["rnn"] + "weight_ih_l0"])[1]
        if n_in != len(voc):
            raise ValueError(f"the vocabulary has {len(voc)} tokens but "
                             f"{parts['rnn']}weight_ih_l0 reads {n_in} inputs and there is no "
                             "embedding: without one, x<t> is one-hot over the vocabulary")
    if task == "lm" and head_rows is not None and head_rows != len(voc):
        raise ValueError(f"the vocabulary has {len(voc)} tokens but the head "
                         f"{parts['head']}weight has {head_rows} outputs: a language model "
                         "predicts one probability per token")


def _card_markdown(cfg, parts, voc, task, start, readout) -> str:
    cell = {"rnn": f"RNN ({cfg.activation})", "gru": "GRU (torch's: Γr after `W_ca c<t-1>`)",
            "lstm": "LSTM"}[cfg.cell]
    lines = [f"- **Imported from PyTorch**: {'bidirectional ' if cfg.bidirectional else ''}"
             f"{cell}, {cfg.layers} layer(s), n_a = {cfg.n_a}, task {task}",
             f"- recurrent module `{parts['rnn'] or '(top level)'}`, head "
             f"`{parts['head'] or 'none (W_y = 0)'}`",
             f"- vocabulary: {len(voc):,} {voc.kind} tokens"
             + (", text lowercased first" if voc.lowercase else "")
             + ("" if voc.unk_id >= 0 else "; a token outside it reads as `x<t> = 0`"),
             "- `a<0> = 0`" + (f", reads `{start}` first" if start else ", the text as given")]
    if task == "classifier":
        lines.append(f"- the head reads `{CLASSIFIER_READOUTS[readout][1]}` (readout "
                     f"{readout!r})")
    if case_hint(voc):
        lines.append(f"- {case_hint(voc)}")
    if parts["embedding"] is not None:
        lines.append(f"- the embedding `{parts['embedding']}weight` is folded into W_ax "
                     "(`W_ax Eᵀ`), so `x<t>` stays the one-hot vector of your token")
    return "\n".join(lines)


__all__ = ["import_torch", "export", "export_state_dict", "read_weights", "load_vocab",
           "folded_size", "parse_vocab", "detect_structure", "TokenVocab", "TorchClassifier",
           "TASKS", "MAX_BYTES", "FORMATS", "CLASSIFIER_READOUTS", "CELL_LOOP_HELP"]
