"""The shipped char LMs' units over the held-out text (rnnviz.units.heldout_summary): the
shipped file is of the shipped models and text and equals a fresh reading; a file of other
models, another text or other lengths is not read; the app reads the file, and reads the
models afresh when the file is not theirs."""

import json

import numpy as np
import pandas as pd
import pytest

from rnnviz import units as U
from rnnviz.models import TRAINED_LMS, random_model
from rnnviz.units import heldout_summary as H

TEXT = ('Return (a copy) of the "list".\nThe function f(x) adds `x` to 42 items.\n\n'
        'Raise ValueError (when it is empty).\n') * 4


def small_models(seed=0):
    return {f"tiny-{cell}": random_model(cell=cell, n_a=6, seed=seed + i, dtype="float64")
            for i, cell in enumerate(("rnn", "gru", "lstm"))}


def same(a: H.HeldoutSummary, b: H.HeldoutSummary, steps: float = 0.0) -> None:
    """Equal; `steps`: the saturation fractions may differ by this share of steps (float32
    gate values within rounding of 0.1 or 0.9 fall either side from one BLAS run to the
    next: seen, one step of 20,000 in one unit)."""
    pd.testing.assert_frame_equal(a.best, b.best, check_exact=False, atol=1e-6, rtol=0)
    assert a.saturation.keys() == b.saturation.keys()
    for name in a.saturation:
        pd.testing.assert_frame_equal(a.saturation[name], b.saturation[name],
                                      check_exact=False, atol=steps + 1e-12, rtol=0)
    assert a.scores.keys() == b.scores.keys() == a.saturation.keys()
    for name in a.scores:
        pd.testing.assert_frame_equal(a.scores[name], b.scores[name], check_exact=False,
                                      atol=1e-6, rtol=0)
    assert a.corpora == b.corpora
    assert a.digest == b.digest


@pytest.fixture(scope="module")
def shipped():
    models, text = H.shipped_inputs()
    return models, text, H.read_summary(models, text)


def test_the_shipped_file_is_of_the_shipped_models_and_text(shipped):
    models, text, summary = shipped
    assert summary is not None, f"rebuild it: {H.COMMAND}"
    assert sorted(models) == sorted(TRAINED_LMS.values())
    assert json.loads(H.SHIPPED.read_text())["command"] == H.COMMAND


def test_the_shipped_file_equals_a_fresh_reading(shipped):
    """Catches a change in the code that reads it (scores, saturation, the corpus trace)."""
    models, text, summary = shipped
    same(summary, H.compute_summary(models, text), steps=3 / H.SATURATION_CHARS)
    best = summary.best
    assert list(best.columns) == ["model", "quantity", "feature", "unit", "score"]
    assert best.unit.dtype == np.int64 and best.score.dtype == np.float64
    assert set(best.model) == set(models) and best.score.abs().max() <= 1
    lstm = summary.saturation["char-lm-lstm"]
    assert sorted(lstm.quantity.unique()) == ["gamma_f", "gamma_o", "gamma_u"]
    assert len(lstm) == 3 * 256 and ((lstm.below + lstm.above) <= 1 + 1e-12).all()
    scores = summary.scores["char-lm-lstm"]
    assert list(scores.columns) == ["feature", "unit", "score"]
    assert scores.unit.dtype == np.int64 and scores.score.dtype == np.float64
    assert len(scores) == 256 * scores.feature.nunique() and scores.score.abs().max() <= 1
    facts = summary.corpora["char-lm-lstm"]
    assert facts.N == H.HELDOUT_CHARS and facts.method == "streams" and facts.streams > 1


def test_a_summary_reads_back_only_for_its_models_text_and_lengths(tmp_path):
    models = small_models()
    fresh = H.compute_summary(models, TEXT, heldout_chars=300, saturation_chars=200)
    # by hand: the best units of 300 characters, the saturation of 200
    q = {n: U.default_quantity(m) for n, m in models.items()}
    best = U.best_units({n: U.corpus_trace(m, TEXT[:300], (q[n],)) for n, m in models.items()}, q)
    pd.testing.assert_frame_equal(fresh.best, best)
    m = models["tiny-gru"]
    pd.testing.assert_frame_equal(
        fresh.saturation["tiny-gru"],
        U.gate_saturation(m, U.corpus_trace(m, TEXT[:200], U.saturation_keys(m))))
    # ... and the first tab's inputs: every unit's scores and the facts of the 300 characters
    for n, model in models.items():
        corpus = U.corpus_trace(model, TEXT[:300], (q[n],))
        pd.testing.assert_frame_equal(fresh.scores[n], U.unit_scores(corpus, q[n]))
        assert fresh.corpora[n] == U.CorpusFacts(300, "exact", 1, 0, 0.0)
        assert len(fresh.scores[n]) == 6 * len(corpus.features)

    path = H.write_summary(fresh, tmp_path / "s.json")
    same(H.read_summary(models, TEXT, path, 300, 200), fresh)
    assert H.read_summary(models, TEXT + "!", path, 300, 200) is None         # another text
    assert H.read_summary(models, TEXT, path, 300, 100) is None               # other lengths
    assert H.read_summary(models, TEXT, path, 200, 200) is None
    other = {**models, "tiny-gru": random_model(cell="gru", n_a=6, seed=99, dtype="float64")}
    assert H.read_summary(other, TEXT, path, 300, 200) is None                # other weights
    renamed = {("x" + n): m for n, m in models.items()}
    assert H.read_summary(renamed, TEXT, path, 300, 200) is None              # other names
    assert H.read_summary(models, TEXT, tmp_path / "missing.json", 300, 200) is None
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "format": H.FORMAT + 1}))
    assert H.read_summary(models, TEXT, path, 300, 200) is None               # another format
    path.write_text(json.dumps(data)[:500])
    assert H.read_summary(models, TEXT, path, 300, 200) is None               # half written
    for part in ("best", "scores", "corpora"):
        path.write_text(json.dumps({k: v for k, v in data.items() if k != part}))
        assert H.read_summary(models, TEXT, path, 300, 200) is None           # a part missing
    path.write_text("[]")
    assert H.read_summary(models, TEXT, path, 300, 200) is None               # not a summary
    path.write_text(json.dumps(data))
    same(H.read_summary(models, TEXT, path, 300, 200), fresh)                 # and back


def test_the_app_reads_the_file_and_reads_afresh_when_it_is_not_the_models(monkeypatch,
                                                                             tmp_path, shipped):
    from rnnviz_app import loaders as L

    models, text, summary = shipped
    for f in (L.get_heldout_summary, L._units_comparison):
        f.clear()
    pd.testing.assert_frame_equal(L.get_best_units(), summary.best)
    assert L.get_heldout_summary().digest == summary.digest

    # a file of other models (a retrained char LM): the app reads the models itself
    stale = H.HeldoutSummary(summary.best.assign(unit=0), summary.saturation, "0" * 64,
                             summary.scores, summary.corpora)
    monkeypatch.setattr(H, "SHIPPED", H.write_summary(stale, tmp_path / "stale.json"))
    for f in (L.get_heldout_summary, L._units_comparison):
        f.clear()
    try:
        assert L.get_heldout_summary() is None
        pd.testing.assert_frame_equal(L.get_best_units(), summary.best,
                                      check_exact=False, atol=1e-6, rtol=0)
        assert not (L.get_best_units().unit == 0).all()
    finally:
        for f in (L.get_heldout_summary, L._units_comparison):
            f.clear()
