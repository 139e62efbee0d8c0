"""AppTest: the sidebar's "Your model…" panel, and every page on an imported torch model.

AppTest cannot drive st.file_uploader, so the upload itself is tested in Chromium
(tests/e2e/test_upload.py); here: the panel's other widgets, its message when a file is
missing, and every page drawing imported models (stacked, bidirectional, torch's GRU, NaN
weights) put into the session the way the panel puts them (`add_session_model`'s name and
state keys).
"""

from __future__ import annotations

import numpy as np
import pytest
from _page_support import APP, all_text, chart, chart_keys, clear_caches, open_page, tables, texts
from streamlit.testing.v1 import AppTest

import rnnviz
from rnnviz.core.torch_layout import to_torch
from rnnviz.models.imported import TASKS
from rnnviz_app import sidebar
from rnnviz_app.loaders import session_name
from rnnviz_app.state import DEFAULT_SENTENCE, KEY_MODEL, KEY_SESSION_MODELS
from rnnviz_app.upload import (
    EXPORT_SNIPPET,
    KEY_LABELS,
    KEY_LOAD,
    KEY_OPENED,
    KEY_PANEL,
    KEY_START,
    KEY_TASK,
    KEY_TOKENIZER,
    KEY_VOCAB_FROM,
    KEY_VOCAB_TEXT,
    MAX_APP_PARAMS,
    TASK_NAMES,
    check_app_size,
    parse_labels,
)

# The pages that read the sidebar's model (Sampling and Training use their own models).
PAGES = ["activations", "forward", "backward", "bidirectional", "vanishing", "types", "units"]
CHARS = sorted(set(DEFAULT_SENTENCE)) + ["?"]


@pytest.fixture
def at(monkeypatch):
    """The Activations page with the panel opened (as a click on it does: the expander's
    state turns True and the app reruns)."""
    at = open_page(monkeypatch, "pages/activations.py")
    assert not at.exception, at.exception
    at.session_state[KEY_PANEL] = True
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_panel_draws_its_form_once_opened_and_keeps_it(monkeypatch):
    at = open_page(monkeypatch, "pages/activations.py")
    panel = [e for e in at.sidebar.expander if e.label == "Your model…"]
    assert len(panel) == 1
    assert list(panel[0].children.values()) == []           # never opened: the label alone
    assert not at.code and KEY_TASK not in [w.key for w in at.selectbox]
    at.session_state[KEY_PANEL] = True                      # opened
    at.run()
    assert at.session_state[KEY_OPENED]
    at.selectbox(key=KEY_TASK).set_value("tagger").run()
    at.session_state[KEY_PANEL] = False                     # closed again: the form stays,
    at.run()                                                # with what was chosen in it
    assert not at.exception
    assert at.selectbox(key=KEY_TASK).value == "tagger"


def test_the_panel_widgets(at):
    assert at.selectbox(key=KEY_TASK).options == [TASK_NAMES[t] for t in TASKS]
    assert at.radio(key=KEY_TOKENIZER).value == "char"
    assert at.text_input(key=KEY_START).value == ""                 # an LM's start token
    assert any("save_file(model.state_dict()" in c.value for c in at.code)
    assert "save_file(model.state_dict(), \"model.safetensors\")" in EXPORT_SNIPPET
    assert "The embedding is folded into W_ax" in all_text(at)
    # a tagger asks for labels instead of a start token
    at.selectbox(key=KEY_TASK).set_value("tagger").run()
    assert not at.exception
    assert [w.key for w in at.text_input] == [KEY_LABELS]
    # the vocabulary can be pasted instead of uploaded
    at.radio(key=KEY_VOCAB_FROM).set_value("paste").run()
    assert at.text_area(key=KEY_VOCAB_TEXT).value == ""


def test_load_without_a_file_says_so_and_keeps_the_model(at):
    before = at.session_state[KEY_MODEL]
    at.button(key=KEY_LOAD).click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "choose a weights file first" in errors[0]
    assert "The session keeps the model it had" in errors[0]
    assert at.session_state[KEY_MODEL] == before


def test_models_above_the_app_limit_get_a_clear_message():
    model = _imported("lstm3-lm")
    n = model.model.n_params
    check_app_size(model, max_params=n)                       # at the limit: taken
    with pytest.raises(ValueError, match=f"the network has {n:,} parameters once the "
                                         "embedding is folded into W_ax"):
        check_app_size(model, max_params=n - 1)
    assert MAX_APP_PARAMS >= 28_759_824       # the 2-layer n_a = 512, 10k-word LSTM fits


def test_parse_labels():
    assert parse_labels("") is None
    assert parse_labels(" neg, pos ,") == ["neg", "pos"]
    assert parse_labels("B-PER\nI-PER, x\nO") == ["B-PER", "I-PER, x", "O"]


def _imported(case: str):
    """Imported models built from torch-layout arrays (no torch needed): the core's own
    exporter writes them from random rnnviz networks of the kind users bring."""
    rng = np.random.default_rng(0)
    cell, layers, bi, task = {"gru2bi-tagger": ("gru", 2, True, "tagger"),
                              "lstm3-lm": ("lstm", 3, False, "lm"),
                              "rnn2bi-classifier": ("rnn", 2, True, "classifier"),
                              "nan-lstm-lm": ("lstm", 1, False, "lm")}[case]
    n_y = len(CHARS) if task == "lm" else 3
    cfg = rnnviz.RNNConfig(cell=cell, n_x=len(CHARS), n_a=7, n_y=n_y, layers=layers,
                           bidirectional=bi, variant="torch" if cell == "gru" else "course")
    net = rnnviz.Model.init(cfg, rng=rng)
    sd = to_torch(cfg, net.params, prefix="rnn.", head="fc.")
    if case.startswith("nan"):
        sd["rnn.weight_hh_l0"][3, 2] = np.nan
    return rnnviz.import_torch(sd, vocab=CHARS, task=task, name=case,
                               labels=None if task == "lm" else ["x", "y", "z"])


def _run_page(monkeypatch, model, page):
    """One run of `page` with `model` selected the way the panel selects it."""
    from _page_support import install, real_models_available

    if not real_models_available():
        install(monkeypatch)
    clear_caches()
    at = AppTest.from_file(str(APP), default_timeout=120)
    name = session_name(model)
    models = {name: model.freeze()}
    at.session_state[KEY_SESSION_MODELS] = models
    at.session_state[KEY_MODEL] = name
    # AppTest formats the model picker's value outside the session (where session_models()
    # is empty) when it sends the widgets' state of a second run: give it the same models.
    monkeypatch.setattr(sidebar, "session_models", lambda: models)
    at.switch_page(f"pages/{page}.py")
    at.run()
    return at, name


# Every page that reads the sidebar's model, each on models that exercise it (stacked,
# bidirectional, torch's GRU, every task), 13 runs instead of all 21 pairs.
CASES = [(case, page) for case, pages in {
    "gru2bi-tagger": ["activations", "bidirectional", "backward", "units"],
    "lstm3-lm": ["activations", "forward", "backward", "vanishing", "types"],
    "rnn2bi-classifier": ["activations", "backward", "forward", "bidirectional"],
}.items() for page in pages]
assert {page for _, page in CASES} == set(PAGES)


@pytest.mark.parametrize(("case", "page_name"), CASES)
def test_every_page_draws_an_imported_model(monkeypatch, case, page_name):
    page = page_name
    model = _imported(case)
    at, name = _run_page(monkeypatch, model, page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[KEY_MODEL] == name
    assert f"{case}: " in at.selectbox(key=KEY_MODEL).options[-2]     # before "random"
    if page == "activations":
        trace = model.trace(DEFAULT_SENTENCE)
        keys = ["a_fwd", "a_bwd"] if model.config.bidirectional else ["a"]
        if any(t.key == "activations.stack" for t in at.toggle):   # tabs: stack them all
            at.toggle(key="activations.stack").set_value(True).run()
        assert {f"activations.heatmap.{k}" for k in keys} <= set(chart_keys(at))
        for k in keys:
            z = chart(at, f"activations.heatmap.{k}")["data"][0]["z"]
            np.testing.assert_allclose(z, trace[k][:, 0, :], rtol=1e-5, atol=1e-6)


def test_nan_weights_are_flagged_on_every_page(monkeypatch):
    model = _imported("nan-lstm-lm")
    assert len(model.warnings) == 1
    for page in ("activations", "units", "whatif", "forward", "backward", "vanishing",
                 "bidirectional", "sampling", "types", "dynamics"):
        at, _ = _run_page(monkeypatch, model, page)
        assert not at.exception, (page, at.exception)
        assert any("rnn.weight_hh_l0 has 1 NaN value" in w.value for w in at.warning), page
    # Dynamics: the steps whose Jacobian is NaN are left blank and said so, not a traceback
    assert any(w.value.startswith("The step Jacobians overflowed") for w in at.warning)


def test_stacked_models_get_a_layer_picker(monkeypatch):
    model = _imported("lstm3-lm")
    at, _ = _run_page(monkeypatch, model, "activations")
    picker = at.radio(key="activations.layer")
    assert picker.options == ["1", "2", "3 (top)"] and picker.value == 3
    trace = model.trace(DEFAULT_SENTENCE)
    for layer in (3, 1):
        at.radio(key="activations.layer").set_value(layer).run()
        assert not at.exception
        z = chart(at, "activations.heatmap.a")["data"][0]["z"]
        np.testing.assert_allclose(z, trace.layer(layer)["a"][:, 0, :], rtol=1e-5, atol=1e-6)
    assert not np.allclose(trace.layer(1)["a"], trace.layer(3)["a"])
    at, _ = _run_page(monkeypatch, model, "forward")
    at.radio(key="forward.layer").set_value(2).run()
    assert not at.exception
    assert any(r"\text{layer }2\text{ reads }a^{[1]<t>}" in m.value for m in at.markdown)


def test_a_one_layer_model_has_no_layer_picker(monkeypatch):
    at, _ = _run_page(monkeypatch, _imported("nan-lstm-lm"), "activations")
    assert not [r for r in at.radio if r.key == "activations.layer"]


def test_the_sampling_page_samples_an_imported_lm(monkeypatch):
    model = _imported("lstm3-lm")
    at, name = _run_page(monkeypatch, model, "sampling")
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="sampling.model").value == name              # the sidebar's LM
    expected = model.sample("Return the ", length=200, temperature=0.7, rng=0)
    assert texts(at)[0] == expected.text
    assert any("without a start token" in i.value for i in at.info)   # no P(first token)
    # with a start token it scores sentences too
    primed = rnnviz.import_torch(
        to_torch(model.config, model.model.params, prefix="rnn.", head="fc."), vocab=CHARS,
        task="lm", start="?", name="primed")
    at, name = _run_page(monkeypatch, primed, "sampling")
    assert not at.exception, [e.value for e in at.exception]
    score = primed.score(DEFAULT_SENTENCE)
    assert any(m.value == f"{score['log_prob']:.2f} nats" for m in at.metric)


def test_an_unknown_token_of_an_imported_vocabulary_reads_no_input(monkeypatch):
    model = _imported("lstm3-lm")                   # its vocabulary has no unknown token
    at, _ = _run_page(monkeypatch, model, "activations")
    at.text_area(key="sidebar.sentence").set_value("Return ~ list").run()
    assert not at.exception
    assert any("1 token(s) are not in the vocabulary and read as x\\<t\\> = 0" in c.value
               for c in at.caption)
    assert not model.read("Return ~ list").steps.x[:, 0, 7].any()


def test_a_big_model_checks_its_gradient_only_on_demand(monkeypatch):
    """Finite differences on a float64 copy of millions of parameters take tens of seconds:
    above GRADCHECK_AUTO_PARAMS the Backward page waits for the toggle."""
    import numpy as np

    from rnnviz.core.model import Model, RNNConfig
    from rnnviz.models import LanguageModel, random_vocab

    vocab = random_vocab()
    cfg = RNNConfig(cell="rnn", n_x=len(vocab), n_a=1400, n_y=len(vocab), dtype="float32")
    big = LanguageModel("big", Model.init(cfg, rng=np.random.default_rng(0)), vocab, {},
                 start_id=None, source="imported")
    assert big.model.n_params > 2_000_000
    at, _ = _run_page(monkeypatch, big, "backward")
    assert not at.exception, at.exception
    assert at.toggle(key="backward.run_gradcheck").value is False
    assert not [d for d in tables(at) if "relative error" in d.columns]
    at.toggle(key="backward.run_gradcheck").set_value(True).run()
    assert not at.exception, at.exception
    assert [d for d in tables(at) if "relative error" in d.columns]
