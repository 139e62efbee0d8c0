"""Minibatches in the course's layout: x (n_x, m, T_x) one-hot, targets y as class indices.

Two sources, both endless iterators of `Batch` driven by an np.random.Generator:

* `TextStreams` — truncated BPTT over one long token stream (a character language model).
  Each epoch cuts the stream into m parallel streams, one per example column, and walks
  them in consecutive chunks of T_x steps; the loop carries a<T_x> (and c<T_x>) from one
  chunk into the next, so the network reads every stream from its start although gradients
  only flow back T_x steps. A stream starts at a document boundary, from a<0> = 0, by
  reading the start symbol; that is the state `rnnviz.lm` primes before scoring a text.
* `SequenceBatches` — independent short sequences (sentences, reviews) with one label per
  token or per sequence. Batches hold sequences of equal length, so no padding ever
  reaches a bidirectional network's backward direction or a many-to-one head's last step.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class Batch:
    """One optimizer step's data.

    x:     (n_x, m, T_x) one-hot inputs
    y:     int targets, (m, T_x) per step (-1 = no target) or (m,) per sequence
    carry: continue from the previous batch's final state (truncated BPTT)
    epoch: the pass over the data this batch belongs to
    """

    x: np.ndarray
    y: np.ndarray
    carry: bool = False
    epoch: int = 0

    @property
    def n_targets(self) -> int:
        """Number of target tokens (steps or sequences with a label)."""
        return int(np.count_nonzero(self.y >= 0))


def one_hot(ids: np.ndarray, n_x: int, dtype=np.float32) -> np.ndarray:
    """ids (m, T_x) -> x (n_x, m, T_x); a negative id gives an all-zero column."""
    ids = np.asarray(ids, dtype=np.int64)
    m, T = ids.shape
    x = np.zeros((n_x, m, T), dtype=dtype)
    e, t = np.nonzero(ids >= 0)
    x[ids[e, t], e, t] = 1
    return x


class TextStreams:
    """Endless truncated-BPTT batches over a token stream (see the module docstring).

    ids:        (N,) token indices of the whole training text
    doc_starts: sorted positions where a document starts (streams begin only there)
    start_id:   the start symbol read first by every stream (e.g. `<EOS>`)
    m, T:       parallel streams and steps per chunk
    Per epoch the text is rotated by a random document start and cut into m equal parts
    of N // m tokens (each part's start moved forward to the next document start); the
    chunk count per epoch is (N // m) // T. Every chunk but an epoch's first has carry=True.
    """

    def __init__(self, ids: np.ndarray, doc_starts: Sequence[int], start_id: int, n_x: int,
                 m: int, T: int, rng: np.random.Generator, dtype=np.float32):
        ids = np.asarray(ids, dtype=np.int64)
        if ids.ndim != 1 or len(ids) < m * (T + 1):
            raise ValueError(f"need at least m * (T + 1) = {m * (T + 1)} tokens")
        self.ids, self.start_id, self.n_x = ids, int(start_id), n_x
        self.doc_starts = np.unique(np.asarray(doc_starts, dtype=np.int64))
        if len(self.doc_starts) == 0 or self.doc_starts[0] != 0:
            self.doc_starts = np.unique(np.concatenate([[0], self.doc_starts]))
        self.m, self.T, self.rng, self.dtype = m, T, rng, dtype
        self.part = len(ids) // m
        self.chunks_per_epoch = self.part // T

    def _epoch_streams(self) -> np.ndarray:
        """(m, part + 1) token ids: the start symbol, then part tokens of the rotated text."""
        N, starts = len(self.ids), self.doc_starts
        shift = int(starts[self.rng.integers(len(starts))])
        out = np.empty((self.m, self.part + 1), dtype=np.int64)
        out[:, 0] = self.start_id
        for i in range(self.m):
            ideal = (shift + i * self.part) % N
            j = np.searchsorted(starts, ideal)
            begin = int(starts[j]) if j < len(starts) else 0
            pos = (begin + np.arange(self.part)) % N                   # wrap around the text
            out[i, 1:] = self.ids[pos]
        return out

    def __iter__(self) -> Iterator[Batch]:
        epoch = 0
        while True:
            streams = self._epoch_streams()
            for c in range(self.chunks_per_epoch):
                # x<t> is token t of the chunk, y<t> the token after it
                window = streams[:, c * self.T: (c + 1) * self.T + 1]
                yield Batch(x=one_hot(window[:, :-1], self.n_x, self.dtype), y=window[:, 1:],
                            carry=c > 0, epoch=epoch)
            epoch += 1


class SequenceBatches:
    """Endless shuffled minibatches of equal-length sequences.

    sequences: token-id arrays (T_x,) each
    labels:    per-step int arrays (T_x,) each (many-to-many), or one int per sequence
    Each epoch shuffles the sequences, groups them by length and cuts every group into
    batches of at most m; the batches of all lengths are then visited in random order.
    unk_dropout: probability of replacing each input token by `unk_id` (word dropout), so
    the network learns to read `<UNK>` from its context, as it must for unseen words.
    """

    def __init__(self, sequences: Sequence[np.ndarray], labels: Sequence, n_x: int, m: int,
                 rng: np.random.Generator, dtype=np.float32, unk_dropout: float = 0.0,
                 unk_id: int = 0):
        if len(sequences) != len(labels) or not sequences:
            raise ValueError("need as many labels as sequences, and at least one")
        self.seqs = [np.asarray(s, dtype=np.int64) for s in sequences]
        if any(len(s) == 0 for s in self.seqs):
            raise ValueError("empty sequences cannot be trained on")
        self.per_step = np.ndim(labels[0]) == 1
        self.labels = [np.asarray(v, dtype=np.int64) for v in labels]
        self.n_x, self.m, self.rng, self.dtype = n_x, m, rng, dtype
        self.unk_dropout, self.unk_id = unk_dropout, unk_id

    def _batches(self) -> list[np.ndarray]:
        order = self.rng.permutation(len(self.seqs))
        by_len: dict[int, list[int]] = {}
        for i in order:
            by_len.setdefault(len(self.seqs[i]), []).append(int(i))
        groups = [np.array(ix[k:k + self.m]) for _, ix in sorted(by_len.items())
                  for k in range(0, len(ix), self.m)]
        return [groups[j] for j in self.rng.permutation(len(groups))]

    def make(self, idx: np.ndarray, epoch: int = 0) -> Batch:
        ids = np.stack([self.seqs[i] for i in idx])
        if self.unk_dropout:
            ids[self.rng.random(ids.shape) < self.unk_dropout] = self.unk_id
        y = np.stack([self.labels[i] for i in idx])
        return Batch(x=one_hot(ids, self.n_x, self.dtype), y=y, epoch=epoch)

    def __iter__(self) -> Iterator[Batch]:
        epoch = 0
        while True:
            for idx in self._batches():
                yield self.make(idx, epoch)
            epoch += 1


def equal_length_groups(lengths: Sequence[int], m: int) -> list[np.ndarray]:
    """Indices grouped by length, in order, at most m per group (for batched evaluation)."""
    by_len: dict[int, list[int]] = {}
    for i, n in enumerate(lengths):
        by_len.setdefault(int(n), []).append(i)
    return [np.array(ix[k:k + m]) for _, ix in sorted(by_len.items())
            for k in range(0, len(ix), m)]
