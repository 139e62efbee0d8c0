"""Interpretable units: Pearson r between each unit's value and each feature of the token
read (Karpathy et al.), and the tables the Units page reads from it."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from rnnviz.units.corpus_reading import CorpusTrace, _as_corpus, trace_keys
from rnnviz.units.features import FEATURE_NOTES, regex_feature


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
