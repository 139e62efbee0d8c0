"""Select and search (LSTMVis): the units on over a selected span, and every other span of
a corpus where the same units are on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnviz.units.corpus_reading import _as_corpus

DEFAULT_THRESHOLD = 0.3            # LSTMVis's default "on" threshold for a<t>


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


def telling_span(V: np.ndarray, threshold: float = DEFAULT_THRESHOLD,
                 max_length: int = 8) -> tuple[int, int] | None:
    """A span of a sentence to start select-and-search on: the longest span of at most
    `max_length` steps over which at least one unit is on (`on_pattern`), the earliest of
    those; None when no span of any length has a unit on. (start, end) are 1-based, inclusive.
    """
    T = V.shape[1]
    for length in range(min(max_length, T), 0, -1):
        for s in range(1, T - length + 2):
            if on_pattern(V, s, s + length - 1, threshold).any():
                return s, s + length - 1
    return None


def nearest_on(V: np.ndarray, start: int, end: int, threshold: float, k: int = 5) -> dict:
    """What is closest to "on over the span" when no unit is (select_units found nothing).

    Unit j is on over start..end exactly for the thresholds θ with
    max(v_j<start-1>, v_j<end+1>) < θ ≤ min_{start ≤ t ≤ end} v_j<t>: an interval, empty when
    a neighbour step is at least as high as the span's lowest value. Returns "threshold": the
    θ nearest to `threshold` at which some unit is on (None when no unit can be), "units": the
    units on at that θ, and "most": a DataFrame of the k units at or above `threshold` on the
    largest fraction of the span's steps (columns unit, fraction)."""
    _check_span(start, end, V.shape[1])
    s, e = int(start) - 1, int(end) - 1
    inside = V[:, s:e + 1]
    top = inside.min(axis=1).astype(np.float64)                      # θ ≤ top
    nbr = np.full(V.shape[0], -np.inf)
    if s > 0:
        nbr = np.maximum(nbr, V[:, s - 1])
    if e + 1 < V.shape[1]:
        nbr = np.maximum(nbr, V[:, e + 1])
    ok = top > nbr
    best = None
    if ok.any():
        # the nearest point of each unit's interval (nbr, top] to the threshold; the lowest
        # value above nbr in V's own precision, the one the comparison with V uses
        dt = V.dtype.type
        lo = np.nextafter(nbr[ok].astype(dt), dt(np.inf)).astype(np.float64)
        near = np.clip(float(threshold), lo, top[ok])
        best = float(near[np.argmin(np.abs(near - float(threshold)))])
    units = np.flatnonzero(on_pattern(V, start, end, best)) if best is not None else \
        np.array([], dtype=np.int64)
    fraction = (inside >= threshold).mean(axis=1)
    order = np.argsort(-fraction, kind="stable")[:k]
    order = order[fraction[order] > 0]
    return {"threshold": best, "units": units.astype(np.int64),
            "most": pd.DataFrame({"unit": order, "fraction": fraction[order]})}
