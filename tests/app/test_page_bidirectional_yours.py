"""AppTest: the Bidirectional page shows the sidebar's own model (issue 19 §3): a
bidirectional upload's a→/a←, score split and sensitivity, beside a unidirectional upload
of the same vocabulary and task when one is loaded; a unidirectional upload gets a plain
sentence and the shipped pair. Expected numbers come from the package."""

from __future__ import annotations

import numpy as np
import pytest
from _page_support import APP, chart, chart_keys, clear_caches, install, real_models_available
from streamlit.testing.v1 import AppTest
from test_upload_panel import CHARS, _run_page
from test_your_model_pages import _model

import rnnviz
from rnnviz.core.analysis import direction_split, sensitivity_matrix
from rnnviz.core.torch_layout import to_torch
from rnnviz_app import sidebar
from rnnviz_app.loaders import session_name
from rnnviz_app.state import DEFAULT_SENTENCE, KEY_MODEL, KEY_SESSION_MODELS

YOURS = {"bidirectional.your_directions", "bidirectional.your_sweep",
         "bidirectional.your_sensitivity"}


def _uni(task):
    """A unidirectional model with `_model(task)`'s vocabulary, task and labels."""
    cfg = rnnviz.RNNConfig(cell="gru", n_x=len(CHARS), n_a=5, n_y=3, variant="torch")
    sd = to_torch(cfg, rnnviz.Model.init(cfg, rng=np.random.default_rng(7)).params,
                  prefix="rnn.", head="fc.")
    return rnnviz.import_torch(sd, vocab=CHARS, task=task, name=f"uni-{task}",
                               labels=["negative", "neutral", "positive"])


def _run_two(monkeypatch, shown, other):
    if not real_models_available():
        install(monkeypatch)
    clear_caches()
    at = AppTest.from_file(str(APP), default_timeout=120)
    models = {session_name(m): m.freeze() for m in (other, shown)}
    at.session_state[KEY_SESSION_MODELS] = models
    at.session_state[KEY_MODEL] = session_name(shown)
    monkeypatch.setattr(sidebar, "session_models", lambda: models)
    at.switch_page("pages/bidirectional.py")
    at.run()
    return at


@pytest.mark.parametrize("task", ["tagger", "classifier"])
def test_a_bidirectional_upload_is_shown(monkeypatch, task):
    model = _model(task)
    at, _ = _run_page(monkeypatch, model, "bidirectional")
    assert not at.exception, [e.value for e in at.exception]
    assert f"Your model: {model.label}" in [h.value for h in at.header]
    assert YOURS <= set(chart_keys(at))
    tr = model.trace(DEFAULT_SENTENCE)
    a_fwd, a_bwd = tr["a_fwd"][:, 0, :], tr["a_bwd"][:, 0, :]
    fig = chart(at, "bidirectional.your_directions")
    np.testing.assert_allclose(fig["data"][0]["z"], a_fwd, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(fig["data"][1]["z"], a_bwd, rtol=1e-5, atol=1e-7)
    # the split of the chosen class's score (default class 1), then of class 2
    for k in (1, 2):
        if k == 2:
            at.selectbox(key="bidirectional.your_class").set_value(2).run()
            fig = chart(at, "bidirectional.your_directions")
        W = model.model.params
        split = direction_split(W["Wy"], W["by"], a_fwd, a_bwd, cls=k)
        bars = {d["name"]: d["y"] for d in fig["data"] if d["type"] == "bar"}
        np.testing.assert_allclose(bars["from a←<t>"], split["bwd"], rtol=1e-4, atol=1e-6)
        assert model.output_labels[k] in fig["layout"]["annotations"][2]["text"]
    S = sensitivity_matrix(model.model, model.read(DEFAULT_SENTENCE).steps.x)
    sens = chart(at, "bidirectional.your_sensitivity")
    assert len(sens["data"]) == 1
    np.testing.assert_allclose(sens["data"][0]["z"], S / S.max(axis=1, keepdims=True),
                               rtol=1e-4, atol=1e-6)
    assert any("upload one with the same vocabulary" in i.value for i in at.info)
    # the shipped pair still follows
    assert "bidirectional.sensitivity" in chart_keys(at)


def test_a_unidirectional_counterpart_is_drawn_beside_it(monkeypatch):
    model, other = _model("classifier"), _uni("classifier")
    at = _run_two(monkeypatch, model, other)
    assert not at.exception, [e.value for e in at.exception]
    sens = chart(at, "bidirectional.your_sensitivity")
    assert len(sens["data"]) == 2
    S_uni = np.asarray(sens["data"][0]["customdata"], dtype=float)
    assert np.all(np.triu(S_uni, k=1) == 0)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[f"{other.label} (unidirectional): largest share right of the diagonal"] \
        == "0.00"
    assert float(metrics[f"{model.label} (bidirectional): largest share right of the "
                         "diagonal"]) > 0


def test_a_unidirectional_upload_is_told_the_page_needs_a_bidirectional_one(monkeypatch):
    at, _ = _run_page(monkeypatch, _model("lm"), "bidirectional")
    assert not at.exception, [e.value for e in at.exception]
    assert any("This page needs a bidirectional model" in i.value for i in at.info)
    assert not YOURS & set(chart_keys(at))
    assert "bidirectional.sensitivity" in chart_keys(at)       # the shipped pair
