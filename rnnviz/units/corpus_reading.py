"""A model's quantities over a whole corpus: `CorpusTrace` and `corpus_trace`.

The corpus trace (`corpus_trace`). A char LM reads a corpus as one stream with its state
carried from character to character. Stepping 100k times at m = 1 costs ~30 µs of Python per
step, so the stream is cut into m parallel streams of `stream_length` characters (one batch,
x of shape (n_x, m, T)), and each stream first reads the `warmup` characters before its
start, from the model's a<0>: that warm-up is run and discarded, so the state at the first
kept character has already forgotten where it started. Measured against one carried pass
over the first 20 000 held-out characters (`python benchmarks/units.py --check`, stream
length 1024, warm-up 256): mean |Δa<t>| is 1e-7 for the shipped RNN and LSTM (max 0.001) and
3e-4 for the GRU, the slowest to forget (max 0.12, at a few steps right after a stream
starts); the best |r| of every feature moves by at most 0.0015. Without a warm-up the error
reaches 1.6-2.0 right after a stream starts. Random weights at a large init scale can be
chaotic (a vanilla RNN at scale 1.5 never forgets its start): there the streamed trace is
only an approximation and `CorpusTrace.method` says "streams". A bidirectional model also
reads `warmup` tokens after each stream (its backward direction warms up from the right).
The time is the network's own forward pass (measured in `benchmarks/units.py`): tokens,
features and the stitching add ~0.1 s per 100k characters. Word-level models
(taggers, classifiers) were trained on one sentence at a time: they read each line of the
corpus as its own sequence from a<0>, exactly as they would alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.model import State
from rnnviz.units.features import builtin_features

# Below this many tokens a text is read in one carried pass (exact, and fast enough).
EXACT_MAX_STEPS = 4096
WARMUP = 256                       # characters each stream reads before its kept part
STREAM_LENGTH = 1024               # kept characters per stream (m = N / STREAM_LENGTH)
TIME_CHUNK = 128                   # steps per forward call (bounds the memory of a trace)
GROUP_STEPS = 32_768               # bidirectional: streams per forward call × T at most


@dataclass(frozen=True)
class CorpusTrace:
    """A model's quantities over a whole corpus, one column per step (N steps in all).

    values[key] is (n, N) float32 (read-only), the trace key's value after reading step
    t = 1..N, the same layout as `trace[key][:, 0, :]`. spans[t-1] is where step t's token is
    in `text`; features holds the built-in features of every step. `method` says how it was
    computed ("exact": one carried pass; "streams": m streams with a warm-up; "lines": one
    sequence per line).
    """

    text: str
    spans: np.ndarray                  # (N, 2) int64 (start, end) of each step's token
    ids: np.ndarray                    # (N,) vocabulary index read at each step
    values: Mapping[str, np.ndarray]   # key -> (n, N) float32
    features: Mapping[str, np.ndarray]  # built-in feature -> (N,) float32
    token_kind: str                    # "char" or "word"
    method: str
    streams: int = 1
    warmup: int = 0
    stats: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def N(self) -> int:
        return int(self.ids.shape[0])

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self.values:
            raise KeyError(f"this corpus trace has {sorted(self.values)}, not {key!r}: compute "
                           f"it with corpus_trace(..., quantities=({key!r},))")
        return self.values[key]

    def label(self, t: int) -> str:
        """The token read at step t (1-based)."""
        s, e = self.spans[t - 1]
        return self.text[s:e]


def trace_keys(model) -> list[str]:
    """The trace keys a model has (one step of its forward pass). A stacked model's lower
    layers add layer-qualified keys: "a@1" is a^[1]<t>, layer 1's a (unqualified keys are the
    top layer's)."""
    net = model.model
    x = np.zeros((net.config.n_x, 1, 1), dtype=net.config.dtype)
    tr = net.forward(x)
    keys = list(tr.keys())
    for layer in range(1, tr.layers):
        keys += [f"{k}@{layer}" for k in tr.layer(layer).keys() if k not in ("x", "z_y", "y_hat")]
    return keys


def _value(tr, key):
    """trace[key], where "k@l" reads key k of layer l."""
    if "@" in key:
        key, layer = key.split("@", 1)
        return tr.layer(int(layer))[key]
    return tr[key]


def _check_keys(model, keys) -> tuple[str, ...]:
    keys = tuple(dict.fromkeys(keys))
    have = trace_keys(model)
    bad = [k for k in keys if k not in have or k in ("x", "z_y", "y_hat")]
    if bad:
        unit_keys = [k for k in have if k not in ("x", "z_y", "y_hat")]
        raise ValueError(f"{bad[0]!r} is not a quantity of this model; choose from {unit_keys}")
    return keys


def _state0(model, m: int) -> State | None:
    s = model.state0
    if s is None:
        return None
    def tile(v):                   # (n_a, 1) or, stacked, (layers, n_a, 1): m on the last axis
        return None if v is None else np.repeat(np.asarray(v)[..., :1], m, axis=-1)

    return State(tile(s.a), tile(s.c))


def _tokens(model, text: str):
    """ids (N,) and spans (N, 2) of the tokens of `text`."""
    vocab = model.vocab
    if vocab.kind == "char":
        # One token per code point (`rnnviz.text.tokenize_chars`) without 100k Token objects.
        ids = np.asarray(vocab.encode(text), dtype=np.int64)
        start = np.arange(len(ids), dtype=np.int64)
        spans = np.stack([start, start + 1], axis=1)
    else:
        toks = vocab.tokens(text)
        ids = np.asarray(vocab.encode_tokens(toks), dtype=np.int64)
        spans = np.array([(t.start, t.end) for t in toks], dtype=np.int64).reshape(-1, 2)
    if ids.size == 0:
        raise ValueError("the text has no tokens: type or paste some text")
    return ids, spans


def _one_hot(model, ids: np.ndarray) -> np.ndarray:
    """x (n_x, m, T) for ids (m, T)."""
    cfg = model.model.config
    x = np.zeros((cfg.n_x, *ids.shape), dtype=cfg.dtype)
    # An imported vocabulary without an unknown token encodes an unknown one as -1: x<t> = 0.
    np.put_along_axis(x, np.maximum(ids, 0)[None], (ids >= 0)[None].astype(cfg.dtype), axis=0)
    return x


def _forward_streams(model, ids: np.ndarray, keys, starts: np.ndarray, T: int):
    """Run m streams reading ids[starts[i] : starts[i] + T] in one batch: {key: (T, m, n)}
    (time first, the layout a Trace keeps its arrays in, so that copies are contiguous).

    Unidirectional: in time chunks of TIME_CHUNK steps, the state carried between chunks
    (`trace.final_state`), so that only the kept keys of one chunk are alive at a time.
    Bidirectional: the whole window at once, a group of streams per call.
    """
    net = model.model
    m = len(starts)
    window = starts[:, None] + np.arange(T)[None, :]                 # (m, T) corpus positions
    out = {}
    if not net.config.bidirectional:
        state = _state0(model, m)
        for t0 in range(0, T, TIME_CHUNK):
            t1 = min(T, t0 + TIME_CHUNK)
            tr = net.forward(_one_hot(model, ids[window[:, t0:t1]]), state0=state)
            state = tr.final_state
            for k in keys:
                v = np.transpose(_value(tr, k), (2, 1, 0))                    # (T, m, n)
                buf = out.get(k)
                if buf is None:
                    buf = out[k] = np.empty((T, m, v.shape[2]), dtype=np.float32)
                buf[t0:t1] = v
        return out
    group = max(1, GROUP_STEPS // T)
    for g0 in range(0, m, group):
        g1 = min(m, g0 + group)
        tr = net.forward(_one_hot(model, ids[window[g0:g1]]))
        for k in keys:
            v = np.transpose(_value(tr, k), (2, 1, 0))
            buf = out.get(k)
            if buf is None:
                buf = out[k] = np.empty((T, m, v.shape[2]), dtype=np.float32)
            buf[:, g0:g1] = v
    return out


def _stream_values(model, ids, keys, warmup: int, stream_length: int):
    """Every key over the corpus, (n, N), from m = ceil(N / L) parallel streams.

    Stream i keeps positions i·L .. (i+1)·L - 1 and reads from warmup tokens earlier (the
    first stream from position 0: exact); a bidirectional model also reads warmup tokens
    after them. The last streams slide left so that no stream runs past the corpus end.
    """
    N, L, W = len(ids), stream_length, warmup
    W_right = W if model.model.config.bidirectional else 0
    m = -(-N // L)
    T = min(N, L + W + W_right)
    keep_from = np.arange(m) * L
    starts = np.clip(keep_from - W, 0, max(0, N - T))
    bufs = _forward_streams(model, ids, keys, starts, T)
    values = {}
    for k, buf in bufs.items():
        rows = np.empty((N, buf.shape[2]), dtype=np.float32)           # (N, n), time first
        for i in range(m):
            n_keep = min(L, N - keep_from[i])
            off = keep_from[i] - starts[i]
            rows[keep_from[i]:keep_from[i] + n_keep] = buf[off:off + n_keep, i]
        values[k] = rows.T                                              # (n, N) view
    return values, m


def _line_values(model, text, ids, spans, keys):
    """Each line of the corpus read as its own sequence from a<0> (word-level models).

    Lines with the same number of tokens are read together as one batch.
    """
    newline_at = np.array([i for i, ch in enumerate(text) if ch == "\n"], dtype=np.int64)
    line_of = np.searchsorted(newline_at, spans[:, 0], side="right")   # line index per step
    bounds = np.flatnonzero(np.diff(line_of)) + 1
    seqs = np.split(np.arange(len(ids)), bounds)
    by_len: dict[int, list[np.ndarray]] = {}
    for s in seqs:
        by_len.setdefault(len(s), []).append(s)
    values = {}
    net = model.model
    for group in by_len.values():
        idx = np.stack(group)                                           # (m, T) step indices
        tr = net.forward(_one_hot(model, ids[idx]), state0=_state0(model, len(group)))
        for k in keys:
            v = np.transpose(_value(tr, k), (1, 2, 0))                        # (m, T, n)
            if k not in values:
                values[k] = np.empty((len(ids), v.shape[2]), dtype=np.float32)
            values[k][idx.reshape(-1)] = v.reshape(-1, v.shape[2])
    return {k: v.T for k, v in values.items()}, len(seqs)


def corpus_trace(model, text: str, quantities=("a",), *, warmup: int = WARMUP,
                 stream_length: int = STREAM_LENGTH, exact_max: int = EXACT_MAX_STEPS
                 ) -> CorpusTrace:
    """The model's `quantities` (trace keys) at every step of `text`, with the built-in
    features of every step. See the module docstring for how long texts are read."""
    keys = _check_keys(model, quantities)
    ids, spans = _tokens(model, text)
    word_level = model.vocab.kind == "word" or model.kind != "char_lm"
    if word_level:
        values, n = _line_values(model, text, ids, spans, keys)
        method, streams, warm = "lines", n, 0
    elif len(ids) <= exact_max:
        values, _ = _stream_values(model, ids, keys, 0, len(ids))
        method, streams, warm = "exact", 1, 0
    else:
        values, streams = _stream_values(model, ids, keys, warmup, stream_length)
        method, warm = "streams", warmup
    stats = {}
    for k, v in values.items():
        for a in (v, v.base):
            if a is not None:
                a.flags.writeable = False
        rows = v.T                                           # (N, n), contiguous
        stats[k] = (rows.mean(axis=0, dtype=np.float64), rows.std(axis=0, dtype=np.float64))
    feats = builtin_features(text, spans, "word" if model.vocab.kind == "word" else "char")
    for f in (*feats.values(), ids, spans):
        f.flags.writeable = False
    return CorpusTrace(text=text, spans=spans, ids=ids, values=values, features=feats,
                       token_kind="word" if model.vocab.kind == "word" else "char",
                       method=method, streams=streams, warmup=warm, stats=stats)


def unknown_share(model, corpus: CorpusTrace) -> float:
    """The share of the corpus's tokens the model does not know (read as its unknown token,
    or as x<t> = 0 by an imported vocabulary without one): a corpus the model cannot read."""
    return float(np.mean(model.vocab.is_unk(corpus.ids))) if corpus.N else 0.0


@dataclass(frozen=True)
class CorpusFacts:
    """What the Units page says of a corpus reading before any unit: its N steps, how it was
    read (`CorpusTrace.method`, streams, warm-up) and the share of its tokens the model does
    not know (`unknown_share`). Small: it ships with the models (`heldout_summary`)."""

    N: int
    method: str
    streams: int
    warmup: int
    unknown_share: float


def corpus_facts(model, corpus: CorpusTrace) -> CorpusFacts:
    """The `CorpusFacts` of `model`'s reading `corpus`."""
    return CorpusFacts(corpus.N, corpus.method, int(corpus.streams), int(corpus.warmup),
                       unknown_share(model, corpus))


def corpus_window(corpus: CorpusTrace, quantity: str, unit: int, start: int,
                  length: int) -> tuple[str, np.ndarray, np.ndarray]:
    """Unit `unit`'s `quantity` over at most `length` steps from step start + 1 (start is
    0-based): (the text those steps read, their spans in that text, the values)."""
    end = min(corpus.N, start + length)
    a, b = int(corpus.spans[start, 0]), int(corpus.spans[end - 1, 1])
    return corpus.text[a:b], corpus.spans[start:end] - a, corpus[quantity][unit, start:end]
