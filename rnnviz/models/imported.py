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
(tests/test_import.py). A classifier reads the top layer's final states as torch users do:
h_n of the last layer, [h→<T_x>; h←<1>] when bidirectional (`predict`, ŷ<T_x> on the pages,
the loss and its gradients); see `TorchClassifier`. An rnnviz export records its head's
readout (metadata `rnnviz.readout`), which the import honours: a classifier trained in rnnviz
on [a→<T_x>; a←<T_x>] comes back reading that.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import struct
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from rnnviz.core.model import READOUTS, Model
from rnnviz.core.torch_layout import find_recurrent_prefix, from_torch
from rnnviz.models.export import _META, TASK_KINDS, export, export_state_dict
from rnnviz.models.inuse import CharLM, Classifier, ModelInUse, Tagger
from rnnviz.text import Vocab
from rnnviz.text.vocab import KINDS as TOKENIZERS

TASKS = ("lm", "tagger", "classifier")
FORMATS = (".safetensors", ".npz", ".pt", ".pth")
# Uploads above this are refused before reading (the app's .streamlit/config.toml allows 50 MB).
MAX_BYTES = 50 * 2**20
UNK_NAMES = ("<unk>", "<UNK>", "[UNK]", "<oov>")

# -- the vocabulary ---------------------------------------------------------------------------


class TokenVocab(Vocab):
    """A user's vocabulary: the tokens in the order of their indices, nothing reserved.

    Same interface as `rnnviz.text.Vocab` (tokens with offsets, encode, one_hot). Unknown
    tokens map to `unk_id`: the index of a token named like an unknown token (`<unk>`,
    `<UNK>`, `[UNK]`, `<oov>`) when the vocabulary has one, else -1, which one_hot turns into
    x<t> = 0 (no input at that step).
    """

    def __init__(self, itos: Sequence[str], kind: str = "char", lowercase: bool = False):
        if kind not in TOKENIZERS:
            raise ValueError(f"tokenizer must be one of {TOKENIZERS}, got {kind!r}")
        itos = [str(s) for s in itos]
        if not itos:
            raise ValueError("the vocabulary is empty: give the tokens in index order")
        seen = set()
        for i, s in enumerate(itos):
            if s in seen:
                raise ValueError(f"the vocabulary lists the token {s!r} twice (again at "
                                 f"index {i}); every index needs its own token")
            seen.add(s)
        self.kind, self.lowercase = kind, bool(lowercase)
        self.itos = itos
        self.stoi = {s: i for i, s in enumerate(itos)}
        self.unk_id = next((self.stoi[u] for u in UNK_NAMES if u in self.stoi), -1)

    def _ids(self, texts, add_eos):
        if add_eos:
            raise ValueError("this vocabulary has no end-of-sequence token")
        if self.lowercase:
            texts = map(str.lower, texts)
        get = self.stoi.get
        return np.array([get(t, self.unk_id) for t in texts], dtype=np.int64)

    def is_unk(self, ids):
        ids = np.asarray(ids)
        mask = (ids < 0) | (ids == self.unk_id)
        return bool(mask) if mask.ndim == 0 else mask

    def to_dict(self):
        return {**super().to_dict(), "reserved": False}


def _decode_utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the {what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                         f"position {exc.start}); save it as UTF-8 and try again") from None


def parse_vocab(text: str) -> list[str]:
    """Tokens in index order from a JSON list, a JSON {token: index} map, or one token a line."""
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the vocabulary looks like JSON but does not parse: {exc.msg} "
                             f"(line {exc.lineno}, column {exc.colno})") from None
        if isinstance(data, list):
            if not all(isinstance(s, str) for s in data):
                bad = next(s for s in data if not isinstance(s, str))
                raise ValueError(f"a JSON vocabulary list must hold strings; found {bad!r}")
            return data
        if isinstance(data, dict):
            return _itos_from_map(data)
    lines = text.splitlines()
    while lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise ValueError("the vocabulary is empty: give the tokens in index order")
    return lines


def _itos_from_map(stoi: Mapping) -> list[str]:
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in stoi.values()):
        bad = next(k for k, i in stoi.items() if not isinstance(i, int) or isinstance(i, bool))
        raise ValueError(f"a JSON {{token: index}} vocabulary needs integer indices; "
                         f"{bad!r} has {stoi[bad]!r}")
    n = len(stoi)
    itos: list[str | None] = [None] * n
    for token, i in stoi.items():
        if not 0 <= i < n or itos[i] is not None:
            raise ValueError(f"the {{token: index}} vocabulary must use each index 0..{n - 1} "
                             f"once; {token!r} has index {i}")
        itos[i] = str(token)
    return itos                                                     # type: ignore[return-value]


def load_vocab(vocab, tokenizer: str = "char") -> TokenVocab:
    """A `TokenVocab` from tokens in index order, a {token: index} map, a `Vocab`, bytes or an
    uploaded file (UTF-8 text, see `parse_vocab`), or a path to a JSON list, a JSON
    {token: index} map, or a text file with one token per line."""
    if isinstance(vocab, Vocab):
        return TokenVocab(vocab.itos, kind=tokenizer, lowercase=vocab.lowercase)
    if isinstance(vocab, Mapping):
        return TokenVocab(_itos_from_map(vocab), kind=tokenizer)
    if hasattr(vocab, "getvalue"):
        vocab = vocab.getvalue()
    if isinstance(vocab, bytes | bytearray):
        return TokenVocab(parse_vocab(_decode_utf8(bytes(vocab), "vocabulary file")),
                          kind=tokenizer)
    if isinstance(vocab, str | os.PathLike):
        path = Path(vocab)
        if not path.is_file():
            raise ValueError(f"vocabulary file not found: {str(path)!r} (or pass the tokens "
                             "as a list)")
        return TokenVocab(parse_vocab(_decode_utf8(path.read_bytes(), "vocabulary file")),
                          kind=tokenizer)
    if isinstance(vocab, Sequence):
        return TokenVocab(list(vocab), kind=tokenizer)
    raise ValueError(f"vocab must be a list of tokens or a path, got {type(vocab).__name__}")


# -- the weights ------------------------------------------------------------------------------


def _check_safetensors(data: bytes, name: str) -> dict:
    """The header of a safetensors file, after checking that it can be what it claims:
    8 bytes of header length N (little-endian), N bytes of JSON, then the tensors' bytes."""
    if len(data) < 8:
        raise ValueError(f"{name} is not a safetensors file: it has {len(data)} bytes, fewer "
                         "than the 8 that give its header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{name} is not a valid safetensors file: its header claims {n:,} "
                         f"bytes but the file has only {len(data) - 8:,} after the length "
                         "(a truncated file, or not safetensors at all)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError(f"{name} is not a safetensors file: its header is not JSON") from None
    if not isinstance(header, dict):
        raise ValueError(f"{name} is not a safetensors file: its header is not a JSON object")
    body = len(data) - 8 - n
    for key, info in header.items():
        if key == "__metadata__":
            continue
        end = (info.get("data_offsets") or [0, 0])[1] if isinstance(info, dict) else None
        if not isinstance(end, int):
            raise ValueError(f"{name}: the header entry {key!r} has no data_offsets")
        if end > body:
            raise ValueError(f"{name} is truncated: tensor {key!r} ends at byte {end:,} of the "
                             f"data but the file holds only {body:,} (upload it again)")
    return header


def _read_bytes(data: bytes, name: str) -> tuple[dict, dict]:
    """(name -> array, metadata) of the bytes of a weights file named `name`."""
    if not data:
        raise ValueError(f"{name} is empty (0 bytes)")
    suffix = Path(name).suffix.lower()
    if suffix == ".safetensors":
        header = _check_safetensors(data, name)
        from safetensors.numpy import load

        try:
            arrays = load(data)
        except Exception as exc:  # the package's own error: dtype it cannot map, overlap, ...
            raise ValueError(f"{name} could not be read as safetensors: {exc}") from None
        meta = header.get("__metadata__") or {}
        return arrays, {str(k): str(v) for k, v in meta.items()}
    if suffix == ".npz":
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                return {k: z[k] for k in z.files}, {}
        except ValueError as exc:
            if "allow_pickle" in str(exc):
                raise ValueError(f"{name} holds Python objects, not plain arrays; rnnviz reads "
                                 ".npz with allow_pickle=False") from None
            raise ValueError(f"{name} is not a readable .npz file: {exc}") from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ValueError(f"{name} is not a readable .npz file ({exc}); it may be "
                             "truncated") from None
    if suffix in (".pt", ".pth"):
        return _read_pt(data, name), {}
    raise ValueError(f"{name}: unknown weights format {suffix or '(no extension)'!r}; use "
                     f"one of {', '.join(FORMATS)}")


def _read_pt(data: bytes, name: str) -> dict:
    try:
        import torch
    except ImportError:
        raise ValueError(f"{name}: reading .pt/.pth files needs torch, which is not installed; "
                         "save the weights with safetensors instead") from None
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"{name} could not be loaded with torch.load(weights_only=True), "
                         "which never runs the Python code a pickle may hold: it is not a "
                         "plain state_dict of tensors (it holds other Python objects, or is "
                         f"not a torch file; {type(exc).__name__}). Save model.state_dict() "
                         "with safetensors instead.") from None
    if isinstance(obj, Mapping) and "state_dict" in obj and isinstance(obj["state_dict"],
                                                                        Mapping):
        obj = obj["state_dict"]                      # a checkpoint {"state_dict": ..., ...}
    if not isinstance(obj, Mapping):
        raise ValueError(f"{name} holds a {type(obj).__name__}, not a state_dict (a mapping "
                         "of names to tensors)")
    return dict(obj)


def read_weights(source) -> tuple[dict[str, np.ndarray], dict[str, str], str]:
    """(name -> array, metadata, a short name) from any source `import_torch` accepts."""
    if hasattr(source, "state_dict") and callable(source.state_dict):      # an nn.Module
        return dict(source.state_dict()), {}, type(source).__name__
    if isinstance(source, Mapping):
        return dict(source), {}, "state_dict"
    if hasattr(source, "getvalue"):                                         # an uploaded file
        name = str(getattr(source, "name", "upload.safetensors"))
        size = int(getattr(source, "size", 0) or 0)
        if size > MAX_BYTES:
            raise ValueError(f"{name} has {size / 2**20:.0f} MB; rnnviz reads weights files of "
                             f"at most {MAX_BYTES // 2**20} MB")
        return (*_read_bytes(source.getvalue(), name), Path(name).stem)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"weights file not found: {str(path)!r}")
        if path.suffix.lower() not in FORMATS:
            raise ValueError(f"{path.name}: unknown weights format {path.suffix!r}; use one "
                             f"of {', '.join(FORMATS)}")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValueError(f"{path.name} has {size / 2**20:.0f} MB; rnnviz reads weights "
                             f"files of at most {MAX_BYTES // 2**20} MB")
        return (*_read_bytes(path.read_bytes(), path.name), path.stem)
    raise ValueError("source must be a path (.safetensors, .npz, .pt), a state_dict mapping "
                     f"or an nn.Module, got {type(source).__name__}")


def _as_arrays(sd: dict) -> dict[str, np.ndarray]:
    out = {}
    for k, v in sd.items():
        if hasattr(v, "detach"):
            v = v.detach().cpu()
            if str(v.dtype) == "torch.bfloat16":
                v = v.float()
            v = v.numpy()
        a = np.asarray(v)
        if a.dtype.kind not in "fiub":
            raise ValueError(f"{k}: expected an array of numbers, got dtype {a.dtype}")
        out[str(k)] = a
    return out


# -- which module is which ---------------------------------------------------------------------

_RECURRENT = re.compile(r"(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l\d+(_reverse)?$")


def detect_structure(sd: Mapping[str, np.ndarray], mapping: Mapping | None = None) -> dict:
    """{"rnn": prefix, "embedding": prefix | None, "head": prefix | None} from names and shapes.

    mapping: {"rnn": "encoder.lstm", "embedding": "emb", "head": "fc"} names the modules
    (a prefix with or without its dot; "embedding"/"head" may be None for none). Whatever is
    neither the recurrent module, an Embedding (V × its input size, no bias) nor one Linear
    head (n_y × H·directions) is refused with a ValueError naming the key.
    """
    mapping = dict(mapping or {})
    unknown = set(mapping) - {"rnn", "embedding", "head"}
    if unknown:
        raise ValueError(f"mapping keys must be 'rnn', 'embedding', 'head'; got {sorted(unknown)}")

    def dotted(p):
        return None if p is None else (p if p == "" or p.endswith(".") else p + ".")

    rnn = dotted(mapping["rnn"]) if "rnn" in mapping else find_recurrent_prefix(sd)
    if rnn + "weight_ih_l0" not in sd:
        raise ValueError(f"no key {rnn}weight_ih_l0: mapping['rnn'] = {mapping.get('rnn')!r} "
                         "does not name a recurrent module")
    ih = np.shape(sd[rnn + "weight_ih_l0"])
    hh = np.shape(sd.get(rnn + "weight_hh_l0", ()))
    if len(ih) != 2 or len(hh) != 2:
        raise ValueError(f"{rnn}weight_ih_l0 has shape {ih} and {rnn}weight_hh_l0 {hh}: "
                         "expected two matrices")
    n_in, H = ih[1], hh[1]
    dirs = 2 if any(k.startswith(rnn) and k.endswith("_reverse") for k in sd) else 1

    # The other modules: prefix -> {"weight": shape, "bias": shape, ...}
    modules: dict[str, dict[str, tuple]] = {}
    for k, v in sd.items():
        if k.startswith(rnn) and _RECURRENT.fullmatch(k[len(rnn):]):
            continue
        prefix, _, leaf = k.rpartition(".")
        modules.setdefault(prefix + "." if prefix else "", {})[leaf] = np.shape(v)

    def fits(role, prefix):
        parts = modules.get(prefix, {})
        w = parts.get("weight", ())
        if set(parts) - {"weight", "bias"} or len(w) != 2:
            return False
        if role == "embedding":
            return "bias" not in parts and w[1] == n_in
        return w[1] == dirs * H and parts.get("bias", (w[0],)) == (w[0],)

    roles: dict[str, str | None] = {}
    for role in ("embedding", "head"):
        if role in mapping:
            p = dotted(mapping[role])
            if p is not None and p + "weight" not in sd:
                raise ValueError(f"mapping[{role!r}] = {mapping[role]!r}: there is no key "
                                 f"{p}weight")
            roles[role] = p
    for role in ("embedding", "head"):
        if role in roles:
            continue
        taken = {p for p in roles.values() if p is not None}
        found = [p for p in modules if p not in taken and fits(role, p)]
        if len(found) > 1 and role == "embedding":
            # A bias-free Linear head can look like an embedding: one that fits both is the head
            # when another candidate fits only the embedding.
            only = [p for p in found if not fits("head", p)]
            found = only if len(only) == 1 else found
        if len(found) > 1:
            raise ValueError(f"more than one module could be the {role}: "
                             f"{[p + 'weight' for p in found]}; name it with "
                             f"mapping={{'{role}': ...}}")
        roles[role] = found[0] if found else None
    used = {p for p in roles.values() if p is not None}
    for prefix, parts in modules.items():
        if prefix in used:
            continue
        leaf = sorted(parts)[0]
        key = prefix + leaf
        raise ValueError(
            f"unsupported part {key!r} (shape {parts[leaf]}): rnnviz reads one recurrent "
            f"module ({rnn or '(top level)'}, {dirs * H} outputs per step), an optional "
            f"nn.Embedding (V × {n_in}, no bias) in front of it and one nn.Linear head "
            f"(n_y × {dirs * H}) reading it. Extra layers, attention, convolutions and "
            "projections are not supported; mapping= names the modules if detection "
            "picked the wrong ones")
    return {"rnn": rnn, "embedding": roles["embedding"], "head": roles["head"]}


# -- the import -------------------------------------------------------------------------------


def folded_size(sd: Mapping[str, np.ndarray], parts: dict, n_y: int) -> int:
    """How many parameters rnnviz's network will have (about: torch's two biases count
    twice), with the embedding folded into the first layer's W_ax, from shapes only."""
    rnn, emb = parts["rnn"], parts["embedding"]
    V = np.shape(sd[emb + "weight"])[0] if emb is not None else None
    n = 0
    for k, v in sd.items():
        if k.startswith(rnn) and _RECURRENT.fullmatch(k[len(rnn):]):
            shape = np.shape(v)
            if V is not None and re.fullmatch(r"weight_ih_l0(_reverse)?", k[len(rnn):]):
                shape = (shape[0], V)
            n += int(np.prod(shape))
    H = np.shape(sd[rnn + "weight_hh_l0"])[1]
    dirs = 2 if any(k.startswith(rnn) and k.endswith("_reverse") for k in sd) else 1
    return n + n_y * (dirs * H + 1)


class TorchClassifier(Classifier):
    """A classifier as torch users build one: the head reads the top layer's final states,
    h_n: a<T_x> of the last layer, [a→<T_x>; a←<1>] when bidirectional (the backward
    direction has then read the whole text). Its network has `readout="h_n"`
    (`rnnviz.core.model`), so `predict`, ŷ<T_x> on every page, the Backward page's loss and
    its gradient check all read h_n; ŷ<t> before T_x reads [a→<t>; a←<t>], an illustration
    that no loss uses."""


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


def import_torch(source, *, vocab=None, task: str, tokenizer: str | None = "char",
                 labels: Sequence[str] | None = None, nonlinearity: str = "tanh",
                 start: str | None = None, mapping: Mapping | None = None,
                 name: str | None = None, max_params: int | None = None) -> ModelInUse:
    """A trained torch nn.RNN / nn.GRU / nn.LSTM (+ Embedding, + Linear head) as a model in use.

    source: a path to .safetensors / .npz / .pt / .pth, a state_dict mapping, an nn.Module,
        or an uploaded file. vocab: tokens in index order, or a path to a JSON list, a JSON
        {token: index} map or a text file with one token per line (None: the vocabulary an
        rnnviz export stored in the file). task: "lm" (next token over the vocabulary),
        "tagger" (one label per token) or "classifier" (one label per text, from h_n).
        tokenizer: "char" or "word" (see the module docstring); None: the one an rnnviz
        export stored in the file, else "char". labels: class names of a
        tagger or classifier. nonlinearity: nn.RNN's ("tanh" | "relu"). start: a token an LM
        reads first (None: from a<0> = 0, the text as given, like torch's forward).
        mapping: {"rnn", "embedding", "head"} module prefixes when detection is ambiguous.
        name: what the model is called (default: the file's stem). max_params: refuse (before
        any folding) a network that would have more parameters once the embedding is folded
        into W_ax (the app's limit; None: no limit).

    Returns a `CharLM`, `Tagger` or `TorchClassifier` (a `Classifier` reading
    [a→<T_x>; a←<T_x>] when the file is an rnnviz export that says so: metadata
    `rnnviz.readout` = "step"); `.warnings` lists what looks wrong.
    Raises ValueError naming the key or the file when something cannot be read.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if tokenizer not in (*TOKENIZERS, None):
        raise ValueError(f"tokenizer must be one of {TOKENIZERS}, got {tokenizer!r}")
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    raw, meta, stem = read_weights(source)
    if vocab is None and _META + "vocab" in meta:       # an rnnviz export describes itself
        tokenizer = tokenizer or meta.get(_META + "tokenizer")
        if labels is None and meta.get(_META + "task") == task and task != "lm":
            labels = json.loads(meta.get(_META + "labels", "null"))
        start = start if start is not None else json.loads(meta.get(_META + "start", "null"))
    tokenizer = tokenizer or "char"
    if not raw:
        raise ValueError(f"{stem} holds no tensors")
    sd = _as_arrays(raw)
    if vocab is None:
        if _META + "vocab" not in meta:
            raise ValueError("vocab is required: the tokens in index order (a list, or a "
                             "path to a JSON list or a text file with one token per line)")
        vocab = json.loads(meta[_META + "vocab"])
    voc = load_vocab(vocab, tokenizer)
    parts = detect_structure(sd, mapping)
    head_rows = np.shape(sd[parts["head"] + "weight"])[0] if parts["head"] else None
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
    n_y = head_rows or (len(voc) if task == "lm" else len(labels or ()) or 2)
    if labels is not None and task != "lm":
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
    warnings = _nonfinite_warnings(sd)
    if parts["head"] is None:
        warnings.append("There is no output layer (nn.Linear) in the file: W_y = 0, so ŷ<t> is "
                        "uniform; the hidden states are your model's.")
    if task == "classifier":
        cfg = dataclasses.replace(cfg, readout=_classifier_readout(meta))
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
            "modules": parts, "start": start}
    common = dict(label=label, source="imported", warnings=tuple(warnings),
                  card_markdown=_card_markdown(cfg, parts, voc, task, start))
    if task == "lm":
        return CharLM(name, model, voc, card, start_id=start_id, **common)
    cls = (Tagger if task == "tagger" else TorchClassifier if cfg.readout == "h_n"
           else Classifier)
    return cls(name, model, voc, card, output_labels=labels, **common)


def _classifier_readout(meta: Mapping[str, str]) -> str:
    """What a classifier's head reads: the readout an rnnviz export of a classifier recorded
    ("step": [a→<T_x>; a←<T_x>], "h_n": torch's h_n), else h_n, as torch users' classifiers
    do."""
    if meta.get(_META + "task") != "classifier" or _META + "readout" not in meta:
        return "h_n"
    readout = meta[_META + "readout"]
    if readout not in READOUTS:
        raise ValueError(f"the file's metadata {_META}readout is {readout!r}; expected one of "
                         f"{READOUTS}")
    return readout


def _card_markdown(cfg, parts, voc, task, start) -> str:
    cell = {"rnn": f"RNN ({cfg.activation})", "gru": "GRU (torch's: Γr after `W_ca c<t-1>`)",
            "lstm": "LSTM"}[cfg.cell]
    lines = [f"- **Imported from PyTorch**: {'bidirectional ' if cfg.bidirectional else ''}"
             f"{cell}, {cfg.layers} layer(s), n_a = {cfg.n_a}, task {task}",
             f"- recurrent module `{parts['rnn'] or '(top level)'}`, head "
             f"`{parts['head'] or 'none (W_y = 0)'}`",
             f"- vocabulary: {len(voc):,} {voc.kind} tokens"
             + ("" if voc.unk_id >= 0 else "; a token outside it reads as `x<t> = 0`"),
             "- `a<0> = 0`" + (f", reads `{start}` first" if start else ", the text as given")]
    if task == "classifier" and cfg.readout == "step":
        lines.append("- the head reads the top layer's state at the last step: "
                     + ("`[a→<T_x>; a←<T_x>]` (the file says so: an rnnviz export)"
                        if cfg.bidirectional else "`a<T_x>`"))
    elif task == "classifier":
        lines.append("- the head reads h_n, the top layer's final states: "
                     + ("`[a→<T_x>; a←<1>]`" if cfg.bidirectional else "`a<T_x>`"))
    if parts["embedding"] is not None:
        lines.append(f"- the embedding `{parts['embedding']}weight` is folded into W_ax "
                     "(`W_ax Eᵀ`), so `x<t>` stays the one-hot vector of your token")
    return "\n".join(lines)


# -- the export -------------------------------------------------------------------------------


__all__ = ["import_torch", "export", "export_state_dict", "read_weights", "load_vocab",
           "folded_size",
           "parse_vocab", "detect_structure", "TokenVocab", "TorchClassifier", "TASKS",
           "MAX_BYTES", "FORMATS"]
