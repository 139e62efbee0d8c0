"""AppTest: the Units page reads the sidebar's model, whatever it is (issue 19 §3): the layer
picker of a stacked model, a model of this session of each task in the interpretable-units
table and the two-sentence comparison, on text the user pastes (the page starts there for
such a model, and says when a corpus does not suit the model), its readings cached by the
model's identity (two models with one name and one text never share a table)."""

from __future__ import annotations

import numpy as np
import pytest
from _frame_support import expected_loaded, sentence
from _page_support import (
    APP,
    chart,
    clear_caches,
    install,
    open_page,
    real_models_available,
    tables,
)
from streamlit.testing.v1 import AppTest
from test_upload_panel import CHARS
from test_your_model_pages import _model

import rnnviz
from rnnviz import units as U
from rnnviz.core.torch_layout import to_torch
from rnnviz_app import sidebar
from rnnviz_app.loaders import HELDOUT_CHARS, session_name
from rnnviz_app.state import DEFAULT_SENTENCE, KEY_MODEL, KEY_SESSION_MODELS
from rnnviz_app.units_view import COMPARE_TAB, KEY_TAB, PAINT_TAB, SEARCH_TAB

PAGE = "pages/units.py"
# Only characters of the session models' vocabulary (the default sentence's and "?").
PASTED = f"{DEFAULT_SENTENCE} {DEFAULT_SENTENCE.lower()} Return the list? " * 4


def open_tab(at, label):
    """Choose the page's tab `label` (a rerun, as a click on it): only that tab is built."""
    at.session_state[KEY_TAB] = label
    at.run()
    assert not at.exception, at.exception
    return at


def table(at):
    t = tables(at)[0]                        # the page's first table
    assert list(t.columns) == ["feature", "unit", "r"]
    return t


def direct_r(values, feature):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.corrcoef(np.asarray(values, np.float64), np.asarray(feature, np.float64))[0, 1]


def assert_table_is(at, corpus, quantity):
    """Every row's r is np.corrcoef of its unit and feature over `corpus` ("—": undefined)."""
    rows = table(at)
    assert len(rows) == 3 * len(corpus.features)
    for row in rows.itertuples():
        r = direct_r(corpus[quantity][row.unit], corpus.features[row.feature])
        if row.r == "—":
            assert np.isnan(r)
        else:
            assert float(row.r) == pytest.approx(r, abs=2e-3)


def test_a_stacked_model_has_a_layer_picker_and_each_layer_its_units(monkeypatch):
    at = open_page(monkeypatch, PAGE)
    at.selectbox(key=KEY_MODEL).set_value("char-lm-gru-2layer").run()
    at.radio(key="units.corpus").set_value("sentence").run()
    assert not at.exception, at.exception
    layer = at.radio(key="units.layer")
    assert layer.options == ["1", "2 (top)"] and layer.value == 2
    assert at.selectbox(key="units.quantity").value == "c"             # a GRU's c<t> = a<t>
    layer.set_value(1).run()
    assert not at.exception, at.exception
    quantity = at.selectbox(key="units.quantity")
    assert quantity.value == "c@1" and all("^[1]" in k for k in quantity.options)  # labels
    model, text = expected_loaded(at), sentence(at)
    corpus = U.corpus_trace(model, text, ("c@1", "a@1"))
    trace = model.trace(text)
    np.testing.assert_allclose(corpus["c@1"], trace.layer(1)["c"][:, 0, :], atol=1e-5)
    assert_table_is(at, corpus, "c@1")
    # the two sentences compare layer 1's a^[1]<t>
    open_tab(at, COMPARE_TAB)
    a, b = U.PRESETS[at.selectbox(key="units.preset").value]
    want = U.compare_texts(model, a, b, "a@1").distance
    got = np.asarray(chart(at, "units.compare")["data"][0]["y"], dtype=np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    # "What if unit k is switched off?" opens the What-if page on the same layer and unit
    open_tab(at, PAINT_TAB)
    unit = at.session_state["units.unit"]
    at.button(key="units.whatif").click().run()
    assert not at.exception, at.exception
    assert at.session_state["whatif.layer"] == 1
    assert at.multiselect(key="whatif.units").value == [unit]


def _session_app(monkeypatch, models: dict, selected: str) -> AppTest:
    if not real_models_available():
        install(monkeypatch)
    clear_caches()
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state[KEY_SESSION_MODELS] = models
    at.session_state[KEY_MODEL] = selected
    monkeypatch.setattr(sidebar, "session_models", lambda: models)
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("task", ["classifier", "tagger", "lm"])
def test_your_model_reads_your_text_in_the_table_and_the_comparison(monkeypatch, task):
    model = _model(task).freeze()
    name = session_name(model)
    at = _session_app(monkeypatch, {name: model}, name)
    # a model of this session starts on "my own text"; until some is pasted, the page asks
    # for it (not an error: nothing went wrong) and reads the held-out text of the model's
    # kind, which this model's small vocabulary does not cover: the page says so, with the
    # share
    assert at.session_state["units.corpus"] == "own"
    assert not at.error
    assert any("Upload or paste a text your model should read" in i.value for i in at.info)
    _, held = U.heldout_corpus(model.kind)
    share = U.unknown_share(model, U.corpus_trace(model, held[:HELDOUT_CHARS], ("a",)))
    assert share > 0.02
    assert any(f"{share:.0%} of its tokens" in w.value for w in at.warning)
    at.text_area(key="units.paste").input(PASTED).run()
    assert not at.exception and not at.error
    assert not any("does not suit" in w.value for w in at.warning)
    q = at.session_state["units.quantity"]
    assert q == ("c" if task == "lm" else "a")               # an LSTM LM: its memory c<t>
    corpus = U.corpus_trace(model, PASTED, (q,))
    assert U.unknown_share(model, corpus) == 0
    assert_table_is(at, corpus, q)
    # a feature that never changes in this text has no r: a dash, and the page says why
    constant = U.constant_features(U.unit_scores(corpus, q))
    assert "inside_quotes" in constant
    assert any("never change" in c.value and "inside_quotes" in c.value for c in at.caption)
    # select and search starts on a word of the sentence where one of its units is on
    open_tab(at, SEARCH_TAB)
    sent = U.corpus_trace(model, DEFAULT_SENTENCE, (q,))
    found = U.telling_span(sent[q], U.DEFAULT_THRESHOLD, candidates=U.word_spans(sent))
    if found is not None:
        assert tuple(at.slider(key="units.span").value) == found
        assert U.select_units(sent, *found, U.DEFAULT_THRESHOLD, q).size >= 1
    else:            # these small random taggers and classifiers: no unit reaches 0.3 anywhere
        assert any("No unit is on over exactly this span" in i.value for i in at.info)
    open_tab(at, COMPARE_TAB)
    a, b = U.PRESETS[at.selectbox(key="units.preset").value]
    want = U.compare_texts(model, a, b, "a").distance
    got = np.asarray(chart(at, "units.compare")["data"][0]["y"], dtype=np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6, equal_nan=True)


def _classifier(seed: int):
    """A session classifier named "my-classifier" whatever its weights (seeded)."""
    vocab = CHARS
    cfg = rnnviz.RNNConfig(cell="lstm", n_x=len(vocab), n_a=5, n_y=2, layers=1)
    sd = to_torch(cfg, rnnviz.Model.init(cfg, rng=np.random.default_rng(seed)).params,
                  prefix="rnn.", head="fc.")
    return rnnviz.import_torch(sd, vocab=vocab, task="classifier", name="my-classifier",
                               labels=["negative", "positive"]).freeze()


def test_two_visitors_with_one_model_name_and_one_text_keep_their_own_readings(monkeypatch):
    """The cache keys name the model's identity (weights included), never its name: two
    visitors of one server (two AppTests, the caches kept between them) each upload a model
    called "my-classifier" and paste the same text; each table is its own model's."""
    one, two = _classifier(1), _classifier(2)
    assert one.name == two.name and session_name(one) != session_name(two)
    tables = []
    for i, model in enumerate((one, two)):
        name = session_name(model)
        if i == 0:
            at = _session_app(monkeypatch, {name: model}, name)      # clears the caches once
        else:
            at = AppTest.from_file(str(APP), default_timeout=120)
            at.session_state[KEY_SESSION_MODELS] = {name: model}
            at.session_state[KEY_MODEL] = name
            monkeypatch.setattr(sidebar, "session_models", lambda m={name: model}: m)
            at.switch_page(PAGE)
            at.run()
        at.text_area(key="units.paste").input(PASTED).run()
        assert not at.exception, at.exception
        assert_table_is(at, U.corpus_trace(model, PASTED, ("a",)), "a")
        tables.append(table(at))
    assert not tables[0].equals(tables[1])
