"""Select and search (LSTMVis): the units on over a selected span, and every other span of
a corpus where the same units are on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnviz.units.corpus_reading import CorpusTrace

DEFAULT_THRESHOLD = 0.3            # LSTMVis's default "on" threshold for a<t>


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


def select_units(corpus: CorpusTrace, start: int, end: int,
                 threshold: float = DEFAULT_THRESHOLD, quantity: str = "a") -> np.ndarray:
    """The units (sorted int array) whose `quantity` is ≥ threshold at every step start..end
    (token positions, 1-based, inclusive) and below it at steps start − 1 and end + 1 where
    those exist: LSTMVis's "on over the selection" pattern. corpus: the text's
    `corpus_trace` (a sentence is a small corpus)."""
    V = corpus[quantity]
    _check_span(start, end, corpus.N)
    return np.flatnonzero(on_pattern(V, start, end, threshold)).astype(np.int64)


def search_pattern(corpus: CorpusTrace, units, threshold: float = DEFAULT_THRESHOLD,
                   quantity: str = "a", top: int | None = None, ends: str = "all"
                   ) -> pd.DataFrame:
    """Every span of `corpus` where all `units` are on (≥ threshold) at every step and off
    (< threshold) at the step before and the step after (where those exist), most telling
    first.

    ends: "all" (every one of the units is off just outside the span, the pattern
    `select_units` selects by) or "any" (the span is a maximal run of all units on: at least
    one unit is off just outside; more, longer matches).

    Returns a DataFrame: start, end (1-based token positions, inclusive), score, length,
    specificity, others, char_start, char_end (offsets into the corpus text); `top` rows at
    most. specificity: how far above its usual value each unit is over the match, in
    standard deviations of that unit over the whole corpus, averaged over the units:
    mean_u (mean_{t in span} v_u<t> − μ_u) / σ_u (a match where the units peak scores high;
    one where they are barely over the threshold, low). others: how many units outside
    `units` show the same on-pattern over the span (a pattern the whole layer shares, such
    as "a space was read", says little about the chosen units).
    score = specificity × |units| / (|units| + others): the specificity, shared out among
    the units that switch on and off there. Order: score (to 2 decimals) high first, then
    longer spans, then earlier ones.
    """
    mode = ends
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
    cols = ["start", "end", "score", "length", "specificity", "others", "char_start",
            "char_end"]
    if starts.size == 0:
        return pd.DataFrame({c: np.array([], dtype=np.float64 if c in ("score", "specificity")
                                         else np.int64)
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
    specificity = _specificity(corpus, quantity, units, starts, ends)
    score = specificity * units.size / (units.size + others)
    order = np.lexsort((starts, -length, -np.round(score, 2)))
    if top is not None:
        order = order[: int(top)]
    return pd.DataFrame({
        "start": starts[order] + 1, "end": ends[order] + 1, "score": score[order],
        "length": length[order], "specificity": specificity[order], "others": others[order],
        "char_start": corpus.spans[starts[order], 0], "char_end": corpus.spans[ends[order], 1],
    })


def _specificity(corpus: CorpusTrace, quantity: str, units: np.ndarray, starts: np.ndarray,
                 ends: np.ndarray) -> np.ndarray:
    """Per span starts[i]..ends[i] (0-based, inclusive): mean over `units` of the z-score of
    the unit's mean value over the span, (mean − μ_u) / σ_u with the corpus's μ_u and σ_u."""
    mean, std = corpus.stats[quantity]
    V = corpus[quantity][units].astype(np.float64)                   # (|U|, N)
    z = (V - mean[units, None]) / np.maximum(std[units, None], 1e-12)
    cum = np.concatenate([np.zeros((len(units), 1)), np.cumsum(z, axis=1)], axis=1)
    span_mean = (cum[:, ends + 1] - cum[:, starts]) / (ends - starts + 1)   # (|U|, n_spans)
    return span_mean.mean(axis=0)


def matched_texts(corpus: CorpusTrace, matches: pd.DataFrame, k: int = 8,
                  min_count: int = 2) -> pd.DataFrame:
    """What the matches of `search_pattern` read, grouped by their text: columns text, matches
    (how many spans read exactly it) and score (their mean score). The k texts matched at
    least `min_count` times with the highest mean score (all texts when none repeats): a
    unit that tracks something nameable matches the same text again and again, each time
    well above its usual level."""
    if len(matches) == 0:
        return pd.DataFrame({"text": [], "matches": [], "score": []})
    texts = [corpus.text[a:b] for a, b in zip(matches.char_start, matches.char_end,
                                              strict=True)]
    g = pd.DataFrame({"text": texts, "score": matches.score.to_numpy(np.float64)}).groupby(
        "text", sort=False).score.agg(["size", "mean"]).reset_index()
    g = g.rename(columns={"size": "matches", "mean": "score"})
    if (g.matches >= min_count).any():
        g = g[g.matches >= min_count]
    return g.sort_values(["score", "matches"], ascending=[False, False],
                         kind="stable").head(k).reset_index(drop=True)


def word_spans(corpus: CorpusTrace) -> list[tuple[int, int]]:
    """The step spans (1-based, inclusive) of the words of a text, longest first (then in
    order): runs of letters and digits for a char model, each token with a letter or digit
    for a word model. Candidates a learner can name for `telling_span`."""
    text = corpus.text
    alnum = np.array([any(ch.isalnum() for ch in text[s:e]) for s, e in corpus.spans])
    if corpus.token_kind == "word":
        out = [(t + 1, t + 1) for t in np.flatnonzero(alnum)]
    else:
        edges = np.diff(np.concatenate([[False], alnum, [False]]).astype(np.int8))
        out = list(zip((np.flatnonzero(edges == 1) + 1).tolist(),
                       np.flatnonzero(edges == -1).tolist(), strict=True))
    return sorted(out, key=lambda se: (se[0] - se[1], se[0]))


def telling_span(V: np.ndarray, threshold: float = DEFAULT_THRESHOLD, max_length: int = 8,
                 candidates=()) -> tuple[int, int] | None:
    """A span of a sentence to start select-and-search on: the first of `candidates` (spans
    (start, end), e.g. the sentence's words from `word_spans`) over which at least one unit is
    on (`on_pattern`); else the longest span of at most `max_length` steps with a unit on,
    the earliest of those; None when no span of any length has a unit on. (start, end) are
    1-based, inclusive."""
    T = V.shape[1]
    for s, e in candidates:
        if 1 <= s <= e <= T and on_pattern(V, s, e, threshold).any():
            return int(s), int(e)
    for length in range(min(max_length, T), 0, -1):
        for s in range(1, T - length + 2):
            if on_pattern(V, s, s + length - 1, threshold).any():
                return s, s + length - 1
    return None


def nearest_on(V: np.ndarray, start: int, end: int, threshold: float, k: int = 5,
               grid: tuple[float, float, float] | None = None) -> dict:
    """What is closest to "on over the span" when no unit is (select_units found nothing).

    Unit j is on over start..end exactly for the thresholds θ with
    max(v_j<start-1>, v_j<end+1>) < θ ≤ min_{start ≤ t ≤ end} v_j<t>: an interval, empty when
    a neighbour step is at least as high as the span's lowest value. Returns "threshold": the
    θ nearest to `threshold` at which some unit is on (None when no unit can be), "units": the
    units on at that θ, "values": a DataFrame of those units with their lowest value over the
    span and their highest just outside it (columns unit, lowest, outside; outside is NaN for
    a span with no neighbour step), and "most": a DataFrame of the k units at or above
    `threshold` on the largest fraction of the span's steps, ties broken by the higher mean
    over the span (columns unit, fraction, mean). grid: (step, lowest, highest), the values
    a threshold slider can take (multiples of step between lowest and highest): θ is then the
    nearest of those at which some unit is on (None when none is)."""
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
        if grid is None:
            near = np.clip(float(threshold), lo, top[ok])
        else:
            # the multiples n·step in (nbr, top] and in [lowest, highest], nearest first
            step, g_lo, g_hi = (float(g) for g in grid)
            n0 = np.maximum(np.ceil(lo / step - 1e-9), np.ceil(g_lo / step - 1e-9))
            n1 = np.minimum(np.floor(top[ok] / step + 1e-9), np.floor(g_hi / step + 1e-9))
            near = np.round(np.clip(np.round(float(threshold) / step), n0, n1) * step, 10)
            fits = (n0 <= n1) & (near.astype(dt) > nbr[ok].astype(dt)) & (
                near.astype(dt) <= top[ok].astype(dt))
            near = np.where(fits, near, np.inf)
        if np.isfinite(near).any():
            best = float(near[np.argmin(np.abs(near - float(threshold)))])
    units = np.flatnonzero(on_pattern(V, start, end, best)) if best is not None else \
        np.array([], dtype=np.int64)
    fraction = (inside >= threshold).mean(axis=1)
    mean = inside.mean(axis=1, dtype=np.float64)
    order = np.lexsort((-mean, -fraction))[:k]
    order = order[fraction[order] > 0]
    outside = np.where(np.isfinite(nbr[units]), nbr[units], np.nan)
    return {"threshold": best, "units": units.astype(np.int64),
            "values": pd.DataFrame({"unit": units.astype(np.int64), "lowest": top[units],
                                    "outside": outside.astype(np.float64)}),
            "most": pd.DataFrame({"unit": order, "fraction": fraction[order],
                                  "mean": mean[order]})}
