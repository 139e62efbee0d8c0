"""AppTest: what pages show of a session model of each task (issue 19 §3): Types of RNNs names
and draws its type; Activations uses its real unknown token and per-task wording; Sampling
scores an LM without a start token from its second token; the upload panel offers the
readout of a classifier with its torch code, and a classifier's readout is what the pages
read."""

from __future__ import annotations

import numpy as np
import pytest
from _page_support import all_text, chart, chart_keys
from test_upload_panel import CHARS, _run_page

import rnnviz
from rnnviz.core.torch_layout import to_torch
from rnnviz_app.state import DEFAULT_SENTENCE
from rnnviz_app.your_model import rnn_type

TASK_KINDS = {"lm": "char_lm", "tagger": "tagger", "classifier": "classifier"}


def _model(task, readout="h_n", unk=False):
    rng = np.random.default_rng(1)
    vocab = CHARS + (["<unk>"] if unk else [])
    n_y = len(vocab) if task == "lm" else 3
    cfg = rnnviz.RNNConfig(cell="lstm", n_x=len(vocab), n_a=6, n_y=n_y, layers=1,
                           bidirectional=task != "lm")
    sd = to_torch(cfg, rnnviz.Model.init(cfg, rng=rng).params, prefix="rnn.", head="fc.")
    return rnnviz.import_torch(sd, vocab=vocab, task=task, name=f"my-{task}",
                               labels=None if task == "lm" else ["negative", "neutral",
                                                                 "positive"],
                               readout=readout if task == "classifier" else None)


@pytest.mark.parametrize("task", ["lm", "tagger", "classifier"])
def test_types_of_rnns_says_which_type_your_model_is(monkeypatch, task):
    model = _model(task)
    at, _ = _run_page(monkeypatch, model, "types")
    assert not at.exception, [e.value for e in at.exception]
    headers = [h.value for h in at.header]
    want = "many-to-one" if task == "classifier" else "many-to-many, T_x = T_y"
    assert any(h.startswith("Your model: " + want) for h in headers), headers
    assert "types.your_model" in chart_keys(at)
    fig = chart(at, "types.your_model")
    kind, xs, ys = rnn_type(model, model.read(DEFAULT_SENTENCE))
    assert kind == ("many_to_one" if task == "classifier" else "many_to_many")
    assert len(xs) == len(DEFAULT_SENTENCE) and len(ys) == (1 if task == "classifier"
                                                             else len(xs))
    texts = " ".join(str(t) for tr in fig["data"] for t in (tr.get("text") or [])
                     if isinstance(t, str))
    assert ys[-1].split(" (")[0] in texts


def test_types_shows_no_section_for_a_shipped_model(monkeypatch):
    from _page_support import APP, install, real_models_available
    from streamlit.testing.v1 import AppTest

    if not real_models_available():
        install(monkeypatch)
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("pages/types.py")
    at.run()
    assert not at.exception
    assert not any(h.value.startswith("Your model") for h in at.header)


@pytest.mark.parametrize(("unk", "reads_as"), [(True, "<unk> (index"), (False, "x<t> = 0")])
def test_activations_names_the_real_unknown_token(monkeypatch, unk, reads_as):
    model = _model("tagger", unk=unk)
    at, _ = _run_page(monkeypatch, model, "activations")
    assert not at.exception, [e.value for e in at.exception]
    text = all_text(at).replace("\\", "")
    assert f"reads as **{reads_as}" in text
    assert "lights up row 0" not in text


@pytest.mark.parametrize("task", ["tagger", "classifier"])
def test_activations_top_k_legend_is_not_language_model_wording(monkeypatch, task):
    at, _ = _run_page(monkeypatch, _model(task), "activations")
    assert not at.exception
    names = [tr.get("name") for tr in chart(at, "activations.topk")["data"]]
    assert "the true next token" not in names


@pytest.mark.parametrize(("task", "words", "target"), [
    ("tagger", "tag of each token", "the token's target tag"),
    ("classifier", "class of the text read so far", "the target class"),
    ("lm", "next character", "the true next token")])
def test_activations_top_k_speaks_the_words_of_its_task(monkeypatch, task, words, target):
    at, _ = _run_page(monkeypatch, _model(task, unk=True), "activations")
    assert not at.exception
    text = all_text(at).replace("\\", "")
    assert f"Top-5 of ŷ<t>: the {words}, at each step" in text
    assert f"An orange frame marks {target} when it is among the five." in text
    assert "�" not in text
    if task == "lm":              # its own unknown token, as text; it has no end token
        assert "**<unk>** is the vocabulary's unknown token" in text
        assert "the end of the text" not in text
    else:
        assert "next token" not in text and "next character" not in text
        # The class names fit their cells: "negative" (8 letters at 11 px) is 62.6 px
        # wide, so 265 // 62.6 = 4 steps are on screen (drag sideways for the rest).
        fig = chart(at, "activations.topk")
        assert fig["layout"]["xaxis"]["range"] == [0.5, 4.5]


def test_sampling_scores_an_lm_without_a_start_token_from_token_2(monkeypatch):
    model = _model("lm")
    assert model.first_scored == 2
    at, _ = _run_page(monkeypatch, model, "sampling")
    assert not at.exception, [e.value for e in at.exception]
    assert any("tokens 2..T" in i.value for i in at.info)
    metrics = {m.label: m.value for m in at.metric}
    lp = model.score(DEFAULT_SENTENCE)["log_prob"]
    assert metrics["log P(sentence)"] == f"{lp:.2f} nats"
    # The pair to compare has letters outside its vocabulary (no unknown token): the page
    # says so instead of failing.
    assert not set("The apple and pair salad") <= set(CHARS)
    (warning,) = [w.value for w in at.warning if "cannot score this" in w.value]
    assert "not in the model's vocabulary" in warning
    assert "sampling.compare_chart" not in chart_keys(at)


@pytest.mark.parametrize("readout", ["h_n", "last", "mean"])
def test_a_classifiers_readout_is_what_the_pages_read(monkeypatch, readout):
    model = _model("classifier", readout)
    at, _ = _run_page(monkeypatch, model, "activations")
    assert not at.exception
    z = chart(at, "activations.topk")["data"][0]["z"]
    top = np.sort(model.predict(DEFAULT_SENTENCE))[::-1]
    np.testing.assert_allclose(np.asarray(z)[:, -1], top[:len(z)], atol=1e-6)


def test_the_panel_names_a_file_type_it_does_not_read():
    from rnnviz_app.upload import check_weights_name

    check_weights_name("model.safetensors")                      # accepted: no error
    with pytest.raises(ValueError, match="model.h5 is a Keras file"):
        check_weights_name("model.h5")
    with pytest.raises(ValueError, match=r"notes\.bin: \.bin is not accepted; the weights "
                                         r"must be one of \.safetensors, \.npz"):
        check_weights_name("notes.bin")


def test_the_panels_download_is_one_file_that_brings_the_model_back():
    import io

    from rnnviz_app.upload import export_bytes

    model = _model("classifier", "mean")

    class Upload(io.BytesIO):
        name, size = "mine.rnnviz.safetensors", 0

    again = rnnviz.import_torch(Upload(export_bytes(model)))
    assert (again.config.readout, again.labels, again.warnings) == (
        "mean", ["negative", "neutral", "positive"], ())
    np.testing.assert_allclose(again.predict(DEFAULT_SENTENCE), model.predict(DEFAULT_SENTENCE),
                               atol=1e-7)
