"""Interpretable units: Pearson r between each unit's value and each feature of the token
read (Karpathy et al.), and the tables the Units page reads from it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from rnnviz.units.corpus_reading import CorpusTrace, trace_keys
from rnnviz.units.features import regex_feature


def feature_matrix(corpus: CorpusTrace, names: Sequence[str] | None = None,
                   patterns: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
    """Feature name -> (N,) values over the corpus: the built-in features `names` (None: all
    of them, [] none), then one feature per regular expression of `patterns` ({name: regex},
    1 on the tokens inside a match). The dict `unit_scores` takes."""
    names = list(corpus.features) if names is None else list(names)
    unknown = [n for n in names if n not in corpus.features]
    if unknown:
        raise ValueError(f"unknown feature {unknown[0]!r}; built-in features: "
                         f"{list(corpus.features)}")
    out = {n: corpus.features[n] for n in names}
    for name, pattern in (patterns or {}).items():
        out[name] = regex_feature(corpus.text, corpus.spans, pattern)
    return out


def unit_scores(corpus: CorpusTrace, quantity: str = "a",
                features: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Pearson r between each unit's `quantity` at step t and each feature at step t.

    corpus: `corpus_trace(model, text, (quantity,))`. features: {name: (N,) values}, one
    value per step (`feature_matrix` builds it from built-in names and regexes); None: the
    built-in features. Returns a DataFrame with columns feature, unit, score (r), sorted by
    |r| within each feature (features in the order given). A unit or a feature that never
    changes has no correlation: its score is NaN and it comes last.
    r = Σ_t (f_t − f̄)(v_t − v̄) / (N σ_f σ_v), all units at once as one matrix product.
    """
    V = corpus[quantity]                                               # (n, N)
    mean_v, std_v = corpus.stats[quantity]
    feats = dict(corpus.features) if features is None else dict(features)
    names = list(feats)
    for f in names:
        if np.shape(feats[f]) != (corpus.N,):
            raise ValueError(f"feature {f!r} has {np.size(feats[f])} values; the text has "
                             f"{corpus.N} steps")
    F = np.stack([np.asarray(feats[f], dtype=np.float64) for f in names]) if names else \
        np.zeros((0, corpus.N))                                        # (k, N)
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


def best_units(corpora: Mapping[str, CorpusTrace], quantities: Mapping[str, str],
               features: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Each model's best unit per feature: columns model, quantity, feature, unit, score.

    corpora: {name: that model's `corpus_trace` of the corpus}; quantities: {name: the trace
    key read} (e.g. c<t> for the LSTM, a<t> for the others). The table of the Units page and
    of benchmarks/units.py.
    """
    frames = []
    for name, corpus in corpora.items():
        q = quantities[name]
        best = top_units(unit_scores(corpus, q, features))
        best.insert(0, "quantity", q)
        best.insert(0, "model", name)
        frames.append(best)
    return pd.concat(frames, ignore_index=True)


def default_quantity(model) -> str:
    """The quantity whose units are read by default: a char LM's c<t> where its cell has one
    (the LSTM's memory; a GRU's c<t> is its a<t>), else a<t>."""
    return "c" if model.kind == "char_lm" and "c" in trace_keys(model) else "a"


def top_units_table(scores: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The k best units per feature of a `unit_scores` table, to read: columns feature, unit
    and r (Pearson r as text, "+0.830"; "—" where r is undefined: the feature or the unit
    never changes over the corpus). What each feature is: `FEATURE_NOTES`."""
    top = top_units(scores, k)
    r = [("—" if not np.isfinite(v) else f"{v:+.3f}") for v in top.score.to_numpy(np.float64)]
    return pd.DataFrame({"feature": top.feature.to_numpy(), "unit": top.unit.to_numpy(),
                         "r": r})


def constant_features(scores: pd.DataFrame) -> list[str]:
    """The features of a `unit_scores` table with no r for any unit: they never change over
    the corpus (a tagger's sentences without a quote: inside_quotes is 0 everywhere)."""
    undefined = scores.score.isna().groupby(scores.feature, sort=False).all()
    return [str(f) for f, v in undefined.items() if v]


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
