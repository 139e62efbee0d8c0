"""What does unit k do? Interpretable units, select-and-search, gate saturation, two texts.

The questions of Karpathy, Johnson and Fei-Fei, "Visualizing and Understanding Recurrent
Networks" (2015), and of LSTMVis (Strobelt et al., 2018), asked of any model in use (shipped,
random, imported) at corpus scale, in the course's notation:

* `unit_scores(model, text, features, quantity)`: Pearson r between each unit's value at
  step t (a<t>, c<t>, Γf, ... any trace key) and a feature of the token read at step t
  (position in the line, inside parentheses, ...), units ranked by |r| per feature.
* `select_units(model, text, start, end, threshold, quantity)`: the units "on" (≥ threshold)
  at every step start..end and off just before and just after (LSTMVis's selection).
* `search_pattern(model, corpus, units, threshold, quantity)`: every other span of a corpus
  where the same units are on over the whole span and off on both sides, ranked.
* `gate_saturation(model, text)`: per gate and unit, the fraction of steps with the gate
  below 0.1 (closed) and above 0.9 (open), Karpathy's saturation plot.
* `compare_texts(model, text_a, text_b)`: a<t> of two sentences aligned token by token.

A "model" is a model in use (`rnnviz.load_pretrained(name)`, `rnnviz.models.random_model`,
...): only `.model` (the network), `.vocab`, `.kind` and `.state0` are used, so every cell,
direction and layer reads the same way. Every function that takes `text` also takes a
`CorpusTrace`: compute it once with `corpus_trace` and ask many questions of it.

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

import difflib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rnnviz.core.model import State
from rnnviz.core.saturation import SATURATION_HIGH, SATURATION_LOW, fractions, gate_keys, thresholds
from rnnviz.core.trace import symbol

# -- corpora ---------------------------------------------------------------------------------

MAX_CORPUS_BYTES = 1_000_000       # pasted or uploaded corpora: 1 MB of UTF-8
DEFAULT_THRESHOLD = 0.3            # LSTMVis's default "on" threshold for a<t>

# Below this many tokens a text is read in one carried pass (exact, and fast enough).
EXACT_MAX_STEPS = 4096
WARMUP = 256                       # characters each stream reads before its kept part
STREAM_LENGTH = 1024               # kept characters per stream (m = N / STREAM_LENGTH)
TIME_CHUNK = 128                   # steps per forward call (bounds the memory of a trace)
GROUP_STEPS = 32_768               # bidirectional: streams per forward call × T at most


def read_corpus_bytes(data: bytes, max_bytes: int = MAX_CORPUS_BYTES) -> str:
    """An uploaded corpus as text: at most `max_bytes` of UTF-8, else a ValueError that says
    what is wrong (for the page to show as is)."""
    if len(data) > max_bytes:
        raise ValueError(f"the file has {len(data):,} bytes; the limit is {max_bytes:,} "
                         "(1 MB). Upload a shorter text.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"the file is not UTF-8 text (byte {e.start} cannot be decoded). "
                         "Save it as UTF-8 plain text and upload it again.") from None
    if "\x00" in text:
        raise ValueError("the file contains NUL bytes: it looks like a binary file, not text.")
    return text


def check_corpus_text(text: str, max_bytes: int = MAX_CORPUS_BYTES) -> str:
    """Pasted text: the same limits as an upload (ValueError with a clear message)."""
    n = len(text.encode("utf-8", errors="surrogatepass"))
    if n > max_bytes:
        raise ValueError(f"the text has {n:,} bytes; the limit is {max_bytes:,} (1 MB).")
    if not text.strip():
        raise ValueError("the corpus is empty: paste or upload some text.")
    return text


def corpus_id(text: str) -> str:
    """A short, stable key for a corpus (cache keys carry this, never the text)."""
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:16]


def heldout_corpus(kind: str) -> tuple[str, str]:
    """(name, text) of held-out text the shipped models of this kind never trained on.

    char_lm: the "valid" split of the docstring corpus (~87k characters; modules are assigned
    by the hash of their path, see `rnnviz.data.corpus`), as shipped beside the char LMs
    (`read_heldout`; parsed from this Python's standard library when it is missing).
    tagger / classifier: the test split of their generated datasets, one sentence or review
    per line.
    """
    if kind == "char_lm":
        from rnnviz.data.corpus import load_corpus, read_heldout
        from rnnviz.models import PRETRAINED_DIR
        text = read_heldout(PRETRAINED_DIR)
        return "held-out docstrings (valid split)", (load_corpus("valid") if text is None
                                                      else text)
    if kind == "tagger":
        from rnnviz.data import ner
        return "held-out tagged sentences (test split)", "\n".join(
            e.text for e in ner.split(seed=0).test)
    if kind == "classifier":
        from rnnviz.data import sentiment
        return "held-out reviews (test split)", "\n".join(
            e.text for e in sentiment.split(seed=0).test)
    raise ValueError(f"no held-out corpus for model kind {kind!r}")


# -- features --------------------------------------------------------------------------------

CHAR_FEATURES = ("line_position", "word_position", "inside_parentheses", "inside_quotes",
                 "inside_backticks", "is_space", "is_upper", "is_digit", "after_newline")
WORD_FEATURES = ("sentence_position", "capitalised", "is_punctuation", "inside_quotes")
FEATURE_NOTES = {
    "line_position": "characters read since the last newline (the newline itself is 0)",
    "word_position": "letters read since the last non-letter (0 on a non-letter)",
    "inside_parentheses": "1 between '(' and its ')' (the '(' included, the ')' not)",
    "inside_quotes": "1 between an opening and a closing '\"' (the opening one included)",
    "inside_backticks": "1 inside `code` (a run of backticks opens or closes)",
    "is_space": "1 on a space",
    "is_upper": "1 on an upper-case letter",
    "is_digit": "1 on a digit",
    "after_newline": "1 on the first character of a line",
    "sentence_position": "words read since the sentence began (1 on its first word)",
    "capitalised": "1 on a word that starts with an upper-case letter",
    "is_punctuation": "1 on a token with no letter or digit",
}


def builtin_features(text: str, spans, kind: str = "char") -> dict[str, np.ndarray]:
    """The built-in features (float32, one value per step) of the tokens at `spans`.

    kind "char" (one character per step; the features of the character at each span's start)
    or "word". Brackets, quotes and backticks close at a blank line, so one stray '(' in a
    docstring cannot make the rest of the corpus "inside".
    """
    spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    if kind != "char":
        return _word_features(text, spans)
    per_char = _char_features(text)
    at = np.minimum(spans[:, 0], max(len(text) - 1, 0))
    return {name: np.ascontiguousarray(v[at]) for name, v in per_char.items()}


def _char_features(text: str) -> dict[str, np.ndarray]:
    """CHAR_FEATURES of every character of `text` (vectorized: 100k characters in ~20 ms)."""
    n = len(text)
    codes = np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    uniq, inv = np.unique(codes, return_inverse=True)
    chars = [chr(c) for c in uniq]

    def lookup(pred) -> np.ndarray:
        return np.array([pred(c) for c in chars], dtype=bool)[inv]

    idx = np.arange(n)
    is_nl = codes == ord("\n")
    alpha = lookup(str.isalpha)
    prev_nl = np.concatenate([[True], is_nl[:-1]])        # the text starts a line
    # Characters since the last newline (the newline itself 0).
    last_nl = np.maximum.accumulate(np.where(is_nl, idx, -1))
    line = np.where(is_nl, 0, idx - last_nl)
    # Letters since the last non-letter (a non-letter 0).
    last_other = np.maximum.accumulate(np.where(alpha, -1, idx))
    word = np.where(alpha, idx - last_other, 0)
    # Brackets, quotes, backticks: a small state machine stepped only where one of them (or
    # a blank line) occurs, then carried forward to the characters in between.
    tick = codes == ord("`")
    tick_open = tick & ~np.concatenate([[False], tick[:-1]])   # a run of backticks: one mark
    blank = is_nl & prev_nl
    events = np.flatnonzero(blank | tick_open | (codes == ord("(")) | (codes == ord(")"))
                            | (codes == ord('"')))
    state = np.zeros((len(events) + 1, 3), dtype=bool)       # row -1: before any event
    depth, quote, inside_tick = 0, False, False
    for e, i in enumerate(events):
        c = text[i]
        if blank[i]:
            depth, quote, inside_tick = 0, False, False
        elif c == "(":
            depth += 1
        elif c == ")":
            depth = max(depth - 1, 0)
        elif c == '"':
            quote = not quote
        elif tick_open[i]:
            inside_tick = not inside_tick
        state[e] = depth > 0, quote, inside_tick
    last_event = np.searchsorted(events, idx, side="right") - 1
    carried = state[last_event]
    f32 = np.float32
    return {
        "line_position": line.astype(f32),
        "word_position": word.astype(f32),
        "inside_parentheses": carried[:, 0].astype(f32),
        "inside_quotes": carried[:, 1].astype(f32),
        "inside_backticks": carried[:, 2].astype(f32),
        "is_space": (codes == ord(" ")).astype(f32),
        "is_upper": lookup(str.isupper).astype(f32),
        "is_digit": lookup(str.isdigit).astype(f32),
        "after_newline": (prev_nl & (idx > 0)).astype(f32),
    }


def _word_features(text: str, spans: np.ndarray) -> dict[str, np.ndarray]:
    toks = [text[s:e] for s, e in spans]
    out = {name: np.zeros(len(toks), dtype=np.float32) for name in WORD_FEATURES}
    pos, quote, prev_end = 0, False, None
    for t, ((s, _), tok) in enumerate(zip(spans, toks, strict=True)):
        gap = text[prev_end:s] if prev_end is not None else "\n"
        # A sentence starts after a newline or after ". ! ?".
        if "\n" in gap or (t > 0 and toks[t - 1] in (".", "!", "?")):
            pos = 0
        pos += 1
        if tok == '"':
            quote = not quote
        out["sentence_position"][t] = pos
        out["capitalised"][t] = tok[:1].isupper()
        out["is_punctuation"][t] = not any(ch.isalnum() for ch in tok)
        out["inside_quotes"][t] = quote
        prev_end = spans[t][1]
    return out


def regex_feature(text: str, spans, pattern: str) -> np.ndarray:
    """1 at every step whose token overlaps a match of `pattern` in `text`, else 0."""
    spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise ValueError(f"the pattern {pattern!r} is not a valid regular expression: "
                         f"{e}") from None
    inside = np.zeros(len(text) + 1, dtype=np.int64)
    for mt in rx.finditer(text):
        if mt.end() > mt.start():
            inside[mt.start()] += 1
            inside[mt.end()] -= 1
    hit = (np.cumsum(inside)[:-1] > 0).astype(np.int64)             # char i is in a match
    covered = np.concatenate([[0], np.cumsum(hit)])
    return (covered[spans[:, 1]] - covered[spans[:, 0]] > 0).astype(np.float32)


# -- the corpus trace ------------------------------------------------------------------------


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
    def tile(v):
        return None if v is None else np.repeat(np.asarray(v)[:, :1], m, axis=1)

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
    np.put_along_axis(x, ids[None], 1, axis=0)
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


def _as_corpus(model, text, quantity: str) -> CorpusTrace:
    if isinstance(text, CorpusTrace):
        text[quantity]                                          # KeyError with a hint
        return text
    return corpus_trace(model, text, (quantity,))


# -- interpretable units ---------------------------------------------------------------------


def feature_matrix(corpus: CorpusTrace, features=None) -> dict[str, np.ndarray]:
    """Feature name -> (N,) float values. features: None (the built-ins), a list of built-in
    names, or a dict of custom features: {"name": regex} marks the tokens inside a match,
    {"name": array} gives one value per step."""
    if features is None:
        return dict(corpus.features)
    if isinstance(features, str):
        features = [features]
    out = {}
    items = features.items() if isinstance(features, Mapping) else ((f, None) for f in features)
    for name, spec in items:
        if spec is None:
            if name not in corpus.features:
                raise ValueError(f"unknown feature {name!r}; built-in features: "
                                 f"{list(corpus.features)}")
            out[name] = corpus.features[name]
        elif isinstance(spec, str):
            out[name] = regex_feature(corpus.text, corpus.spans, spec)
        else:
            arr = np.asarray(spec, dtype=np.float64).reshape(-1)
            if arr.shape[0] != corpus.N:
                raise ValueError(f"feature {name!r} has {arr.shape[0]} values; the text has "
                                 f"{corpus.N} steps")
            out[name] = arr
    return out


def unit_scores(model, text, features=None, quantity: str = "a") -> pd.DataFrame:
    """Pearson r between each unit's `quantity` at step t and each feature at step t.

    Returns a DataFrame with columns feature, unit, score (r), sorted by |r| within each
    feature (features in the order given). A unit or a feature that never changes has no
    correlation: its score is NaN and it comes last.
    r = Σ_t (f_t − f̄)(v_t − v̄) / (N σ_f σ_v), all units at once as one matrix product.
    """
    corpus = _as_corpus(model, text, quantity)
    V = corpus[quantity]                                               # (n, N)
    mean_v, std_v = corpus.stats[quantity]
    feats = feature_matrix(corpus, features)
    names = list(feats)
    F = np.stack([np.asarray(feats[f], dtype=np.float64) for f in names])       # (k, N)
    Fc = F - F.mean(axis=1, keepdims=True)
    std_f = F.std(axis=1)
    # Σ_t (f_t − f̄) v_t = Σ_t (f_t − f̄)(v_t − v̄) because Σ_t (f_t − f̄) = 0.
    cov = (Fc.astype(np.float32) @ V.T).astype(np.float64) / corpus.N          # (k, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = cov / (std_f[:, None] * std_v[None, :])
    flat = (std_f[:, None] < 1e-12) | (std_v[None, :] < 1e-7 * np.maximum(1, np.abs(mean_v)))
    r = np.where(flat, np.nan, np.clip(r, -1.0, 1.0))
    frames = []
    for i, f in enumerate(names):
        key = np.where(np.isnan(r[i]), -1.0, np.abs(r[i]))
        order = np.argsort(-key, kind="stable")
        frames.append(pd.DataFrame({"feature": f, "unit": order, "score": r[i, order]}))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"feature": [], "unit": [], "score": []})
    out["unit"] = out["unit"].astype(np.int64)
    return out


def top_units(scores: pd.DataFrame, k: int = 1) -> pd.DataFrame:
    """The k best units per feature of a `unit_scores` table (rows in feature order)."""
    return scores.groupby("feature", sort=False, group_keys=False).head(k).reset_index(
        drop=True)


def best_units(models: Mapping, text, quantity: str = "a", features=None) -> pd.DataFrame:
    """Each model's best unit per feature: columns model, quantity, feature, unit, score.

    models: {name: model in use}; text: the corpus (or, per model, a CorpusTrace in a dict
    {name: CorpusTrace}). quantity: a trace key, or a dict {name: key} (e.g. c<t> for the
    LSTM, a<t> for the others). The table of the Units page and of benchmarks/units.py.
    """
    frames = []
    for name, model in models.items():
        q = quantity[name] if isinstance(quantity, Mapping) else quantity
        t = text[name] if isinstance(text, Mapping) else text
        best = top_units(unit_scores(model, t, features, q))
        best.insert(0, "quantity", q)
        best.insert(0, "model", name)
        frames.append(best)
    return pd.concat(frames, ignore_index=True)


# -- select and search -----------------------------------------------------------------------


def _values_1d(model, text, quantity):
    corpus = _as_corpus(model, text, quantity)
    return corpus, corpus[quantity]


def _check_span(start: int, end: int, T: int) -> None:
    if not (1 <= int(start) <= int(end) <= T):
        raise ValueError(f"the span must satisfy 1 ≤ start ≤ end ≤ T_x = {T}; "
                         f"got start={start}, end={end}")


def on_pattern(V: np.ndarray, start: int, end: int, threshold: float) -> np.ndarray:
    """(n,) bool: value ≥ threshold at every step start..end (1-based, inclusive) and below it
    at start − 1 and end + 1 where those steps exist."""
    s, e = int(start) - 1, int(end) - 1
    ok = (V[:, s:e + 1] >= threshold).all(axis=1)
    if s > 0:
        ok &= V[:, s - 1] < threshold
    if e + 1 < V.shape[1]:
        ok &= V[:, e + 1] < threshold
    return ok


def select_units(model, text, start: int, end: int, threshold: float = DEFAULT_THRESHOLD,
                 quantity: str = "a") -> np.ndarray:
    """The units (sorted int array) whose `quantity` is ≥ threshold at every step start..end
    (token positions, 1-based, inclusive) and below it at steps start − 1 and end + 1 where
    those exist: LSTMVis's "on over the selection" pattern."""
    corpus, V = _values_1d(model, text, quantity)
    _check_span(start, end, corpus.N)
    return np.flatnonzero(on_pattern(V, start, end, threshold)).astype(np.int64)


def search_pattern(model, corpus, units, threshold: float = DEFAULT_THRESHOLD,
                   quantity: str = "a", top: int | None = None, ends: str = "all"
                   ) -> pd.DataFrame:
    """Every span of `corpus` where all `units` are on (≥ threshold) at every step and off
    (< threshold) at the step before and the step after (where those exist).

    ends: "all" (every one of the units is off just outside the span, the pattern
    `select_units` selects by) or "any" (the span is a maximal run of all units on: at least
    one unit is off just outside; more, longer matches).

    Returns a DataFrame: start, end (1-based token positions, inclusive), score, length,
    others (how many units outside `units` show the same on-pattern over that span),
    char_start, char_end (offsets into the corpus text); best first, `top` rows at most.
    score = |units| / (|units| + others): 1.0 when the pattern belongs to exactly these
    units, lower when many other units switch on and off there too (a pattern the whole
    layer shares, such as "a space was read", says little about the chosen units).
    Ties: longer spans first, then earlier ones. When `corpus` contains the span the units
    were selected on (same trace), that span is among the results with score 1.0.
    """
    mode = ends
    corpus = _as_corpus(model, corpus, quantity)
    V = corpus[quantity]
    units = np.unique(np.asarray(units, dtype=np.int64).reshape(-1))
    if units.size == 0:
        raise ValueError("select at least one unit to search for")
    if units.min() < 0 or units.max() >= V.shape[0]:
        raise ValueError(f"units must be in 0..{V.shape[0] - 1}")
    N = V.shape[1]
    on = V[units] >= threshold                                        # (|U|, N)
    all_on = on.all(axis=0)
    all_off = ~on.any(axis=0)
    edges = np.diff(np.concatenate([[False], all_on, [False]]).astype(np.int8))
    starts = np.flatnonzero(edges == 1)                               # 0-based, inclusive
    ends = np.flatnonzero(edges == -1) - 1
    if mode not in ("all", "any"):
        raise ValueError(f"ends must be 'all' or 'any', got {mode!r}")
    if mode == "all":
        # Off on both sides: every selected unit, not just one of them, is below threshold.
        ok = ((starts == 0) | all_off[np.maximum(starts - 1, 0)]) & (
            (ends == N - 1) | all_off[np.minimum(ends + 1, N - 1)])
        starts, ends = starts[ok], ends[ok]
    cols = ["start", "end", "score", "length", "others", "char_start", "char_end"]
    if starts.size == 0:
        return pd.DataFrame({c: np.array([], dtype=np.float64 if c == "score" else np.int64)
                             for c in cols})
    # Which other units share each span's pattern. R = V.T is time-first (contiguous for a
    # corpus trace): short spans are checked step by step for all spans of one length at
    # once, long ones (few) one by one; both touch only the steps inside spans.
    R = V.T
    length = ends - starts + 1
    pattern = np.empty((starts.size, R.shape[1]), dtype=bool)          # (n_spans, n)
    for ell in np.unique(length):
        rows = np.flatnonzero(length == ell)
        if ell <= 32:
            ok = R[starts[rows]] >= threshold
            for k in range(1, ell):
                ok &= R[starts[rows] + k] >= threshold
            pattern[rows] = ok
        else:
            for r in rows:
                pattern[r] = R[starts[r]:ends[r] + 1].min(axis=0) >= threshold
    before = starts > 0
    after = ends < N - 1
    pattern &= ~before[:, None] | (R[np.maximum(starts - 1, 0)] < threshold)
    pattern &= ~after[:, None] | (R[np.minimum(ends + 1, N - 1)] < threshold)
    pattern[:, units] = False
    others = pattern.sum(axis=1)
    score = units.size / (units.size + others)
    order = np.lexsort((starts, -length, -score))
    if top is not None:
        order = order[: int(top)]
    return pd.DataFrame({
        "start": starts[order] + 1, "end": ends[order] + 1, "score": score[order],
        "length": length[order], "others": others[order],
        "char_start": corpus.spans[starts[order], 0], "char_end": corpus.spans[ends[order], 1],
    })


# -- gate saturation -------------------------------------------------------------------------


def saturation_keys(model) -> list[str]:
    """The gate keys of a model (per direction); a<t> for an RNN, which has no gates."""
    return gate_keys(trace_keys(model)) or ["a"]


def gate_saturation(model, text, low: float = SATURATION_LOW,
                    high: float = SATURATION_HIGH) -> pd.DataFrame:
    """Per gate and unit, the fraction of steps where the gate is < low (closed) and
    > high (open): Karpathy et al.'s saturation plot.

    Columns quantity, symbol, unit, below, above, low, high. An RNN has no gates: its a<t>
    is used instead, with low/high at −0.9/+0.9 for tanh (near −1 vs near +1) and 1e-6/1.0
    for ReLU.
    """
    keys = saturation_keys(model)
    if isinstance(text, CorpusTrace):
        corpus = text
        for k in keys:
            corpus[k]
    else:
        corpus = corpus_trace(model, text, keys)
    frames = []
    activation = getattr(model.model.config, "activation", "tanh")
    for k in keys:
        lo, hi = thresholds(k, activation, low, high)
        below, above = fractions(corpus[k], lo, hi)
        frames.append(pd.DataFrame({
            "quantity": k, "symbol": symbol(k), "unit": np.arange(len(below)),
            "below": below, "above": above, "low": lo, "high": hi,
        }))
    return pd.concat(frames, ignore_index=True)


# -- two texts side by side ------------------------------------------------------------------

PRESETS = {
    "Teddy (Roosevelt or bears?)": (
        'He said, "Teddy Roosevelt was a great President."',
        'He said, "Teddy bears are on sale!"',
    ),
    "Agreement (cat ... was / cats ... were)": (
        "The cat, which already ate a lot of food, was full.",
        "The cats, which already ate a lot of food, were full.",
    ),
}


@dataclass(frozen=True)
class Comparison:
    """Two texts read by one model, aligned token by token.

    pairs: one column per aligned position, (i, j) step indices (0-based) into A and B, None
    where one text has a token the other lacks (difflib's alignment of the token texts).
    distance: ‖v_A<i> − v_B<j>‖ per column (NaN for unpaired columns). top: units ranked by
    mean |v_A − v_B| over the paired columns, with that mean.
    """

    labels_a: tuple[str, ...]
    labels_b: tuple[str, ...]
    values_a: np.ndarray                  # (n, T_A)
    values_b: np.ndarray                  # (n, T_B)
    pairs: tuple[tuple[int | None, int | None], ...]
    distance: np.ndarray                  # (n_columns,)
    top: pd.DataFrame                     # unit, mean_abs_diff
    quantity: str


def align_tokens(a, b) -> list[tuple[int | None, int | None]]:
    """Columns that pair equal tokens of `a` and `b` in order (difflib), gaps as None."""
    sm = difflib.SequenceMatcher(a=list(a), b=list(b), autojunk=False)
    out: list[tuple[int | None, int | None]] = []
    for op, i0, i1, j0, j1 in sm.get_opcodes():
        if op == "equal" or (op == "replace" and i1 - i0 == j1 - j0):
            out.extend(zip(range(i0, i1), range(j0, j1), strict=True))
        else:
            n = max(i1 - i0, j1 - j0)
            for k in range(n):
                out.append((i0 + k if i0 + k < i1 else None, j0 + k if j0 + k < j1 else None))
    return out


def compare_texts(model, text_a: str, text_b: str, quantity: str = "a") -> Comparison:
    """`quantity` of `text_a` and `text_b` side by side (see `Comparison`)."""
    ca = corpus_trace(model, text_a, (quantity,))
    cb = corpus_trace(model, text_b, (quantity,))
    la = tuple(ca.label(t) for t in range(1, ca.N + 1))
    lb = tuple(cb.label(t) for t in range(1, cb.N + 1))
    pairs = align_tokens(la, lb)
    A, B = ca[quantity].astype(np.float64), cb[quantity].astype(np.float64)
    dist = np.array([np.linalg.norm(A[:, i] - B[:, j]) if i is not None and j is not None
                     else np.nan for i, j in pairs])
    paired = [(i, j) for i, j in pairs if i is not None and j is not None]
    if paired:
        ii, jj = np.array(paired).T
        mad = np.abs(A[:, ii] - B[:, jj]).mean(axis=1)
    else:
        mad = np.zeros(A.shape[0])
    order = np.argsort(-mad, kind="stable")
    top = pd.DataFrame({"unit": order, "mean_abs_diff": mad[order]})
    return Comparison(la, lb, ca[quantity], cb[quantity], tuple(pairs), dist, top, quantity)


# -- choices the Units page makes -------------------------------------------------------------


def default_quantity(model) -> str:
    """The quantity whose units are read by default: a char LM's c<t> where its cell has one
    (the LSTM's memory; a GRU's c<t> is its a<t>), else a<t>."""
    return "c" if model.kind == "char_lm" and "c" in trace_keys(model) else "a"


def top_units_table(scores: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The k best units per feature of a `unit_scores` table, to read: columns feature, unit,
    r (Pearson r to 3 decimals) and about (`FEATURE_NOTES`, or "your pattern")."""
    top = top_units(scores, k)
    top = top.assign(r=top.score.round(3),
                     about=top.feature.map(lambda f: FEATURE_NOTES.get(f, "your pattern")))
    return top[["feature", "unit", "r", "about"]]


def strongest_feature(scores: pd.DataFrame, unit: int) -> tuple[str, float] | None:
    """(feature, r) of the feature `unit` follows best (largest |r|) in a `unit_scores`
    table; None when none of its r is defined."""
    r = scores[scores.unit == unit].set_index("feature").score
    if not r.notna().any():
        return None
    feature = r.abs().idxmax()
    return feature, float(r[feature])


def gated_beats_rnn(best: pd.DataFrame, rnn: str, gated, feature: str = "line_position",
                    margin: float = 0.2) -> bool:
    """True when every gated model's best unit follows `feature` more than `margin` better
    (in |r|) than the vanilla RNN's: a `best_units` table (columns model, feature, score)."""
    r = best[best.feature == feature].set_index("model").score.abs()
    return bool(min(r[g] for g in gated) > r[rnn] + margin)


def corpus_window(corpus: CorpusTrace, quantity: str, unit: int, start: int,
                  length: int) -> tuple[str, np.ndarray, np.ndarray]:
    """Unit `unit`'s `quantity` over at most `length` steps from step start + 1 (start is
    0-based): (the text those steps read, their spans in that text, the values)."""
    end = min(corpus.N, start + length)
    a, b = int(corpus.spans[start, 0]), int(corpus.spans[end - 1, 1])
    return corpus.text[a:b], corpus.spans[start:end] - a, corpus[quantity][unit, start:end]


__all__ = [
    "default_quantity", "top_units_table", "strongest_feature", "gated_beats_rnn",
    "corpus_window",
    "CorpusTrace", "corpus_trace", "unit_scores", "top_units", "best_units", "select_units",
    "search_pattern", "gate_saturation", "compare_texts", "Comparison", "align_tokens",
    "builtin_features", "regex_feature", "feature_matrix", "on_pattern", "read_corpus_bytes",
    "check_corpus_text", "corpus_id", "heldout_corpus", "trace_keys", "saturation_keys",
    "CHAR_FEATURES", "WORD_FEATURES", "FEATURE_NOTES", "PRESETS", "MAX_CORPUS_BYTES",
    "DEFAULT_THRESHOLD",
]  # fmt: skip
