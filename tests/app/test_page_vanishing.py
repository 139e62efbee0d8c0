"""AppTest: the Vanishing-gradients page, its curves and summary numbers, clipping."""

import numpy as np
import pytest
from _frame_support import expected_loaded, set_sentence
from _page_support import HOSTILE, chart, open_page, tables
from test_upload_panel import _run_page
from test_your_model_pages import _model

import rnnviz
from rnnviz import vanishing as V
from rnnviz.core import analysis as A
from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model, RNNConfig
from rnnviz.figures import vanishing as F
from rnnviz.models import random_vocab
from rnnviz_app.state import DEFAULT_SENTENCE, MAX_CHARS

PAGE = "pages/vanishing.py"


@pytest.fixture
def at(monkeypatch):
    at = open_page(monkeypatch, PAGE)
    assert not at.exception, at.exception
    return at


def curves(text, T=100, n_a=32, rho=0.9, activation="tanh", forget_bias=1.0, seed=0,
           trained=False):
    if trained:
        ms = {}
        for cell in F.ARCHS:
            m = rnnviz.load_pretrained(f"char-lm-{cell}").model
            cfg = RNNConfig(**{**m.config.__dict__, "dtype": "float64"})
            ms[F.NAMES[cell]] = Model(cfg, {k: np.array(v, np.float64)
                                           for k, v in m.params.items()})
        vocab = rnnviz.load_pretrained("char-lm-lstm").vocab
    else:
        vocab = random_vocab()
        init = InitConfig(scheme="orthogonal", spectral_radius=rho, forget_bias=forget_bias)
        ms = {F.NAMES[c]: Model.init(RNNConfig(cell=c, n_x=len(vocab), n_a=n_a,
                                               n_y=len(vocab), dtype="float64",
                                               activation=activation if c == "rnn" else
                                               "tanh"),
                                     rng=np.random.default_rng(seed), init=init)
              for c in F.ARCHS}
    ids, target = A.repeat_ids(vocab.encode(text), T)
    return A.gradient_curves(ms, vocab.one_hot(ids, dtype=np.float64), target)


def summary(at):
    return {m.label.split(":")[0]: m.value for m in at.metric}


def check_against(at, **kw):
    expected = curves(DEFAULT_SENTENCE, **kw)
    s = chart(at, "vanishing.chart")
    lines = {d["name"]: d["y"] for d in s["data"] if d.get("name") in ("RNN", "GRU", "LSTM")}
    assert list(lines) == ["RNN", "GRU", "LSTM"]
    for name, c in expected.items():
        y = np.asarray(lines[name], dtype=float)
        ok = np.isfinite(c["norms"]) & (c["norms"] > 0)
        # the chart element sends values float32 when they fit (`rnnviz_app.charts.as_float32`)
        np.testing.assert_allclose(y[ok], c["norms"][ok], rtol=1e-6)
        k = A.vanishing_reach(c["norms"])
        assert summary(at)[name] == ("never" if k is None else f"{k} steps back")
    return expected


def test_default_render_matches_the_core(at):
    # The shipped (or stand-in) char LMs are the default; random weights are one click away.
    assert at.radio(key="vanishing.weights").value == "trained"
    check_against(at, trained=True)
    at.radio(key="vanishing.weights").set_value("random").run()
    assert not at.exception and not at.slider(key="vanishing.n_a").disabled
    check_against(at)


def test_every_control(at):
    at.radio(key="vanishing.weights").set_value("random").run()
    at.slider(key="vanishing.T").set_value(200).run()
    at.slider(key="vanishing.n_a").set_value(16).run()
    at.slider(key="vanishing.rho").set_value(0.5).run()
    at.radio(key="vanishing.activation").set_value("relu").run()
    at.slider(key="vanishing.forget_bias").set_value(3.0).run()
    assert not at.exception
    check_against(at, T=200, n_a=16, rho=0.5, activation="relu", forget_bias=3.0)
    at.radio(key="vanishing.measure").set_value("jacobian").run()
    assert not at.exception
    # the measure is named in the text above the chart (a title inside it met the legend)
    assert any("∂a\\<T_x\\>/∂a\\<t\\>" in m.value for m in at.markdown)
    assert "title" not in chart(at, "vanishing.chart")["layout"]


def test_trained_weights_disable_the_init_controls(at):
    assert at.slider(key="vanishing.n_a").disabled and at.slider(key="vanishing.rho").disabled
    at.slider(key="vanishing.T").set_value(300).run()
    assert not at.exception
    check_against(at, T=300, trained=True)


def test_exploding_settings_warn(at):
    at.radio(key="vanishing.weights").set_value("random").run()
    at.slider(key="vanishing.rho").set_value(3.0).run()
    at.radio(key="vanishing.activation").set_value("relu").run()
    at.slider(key="vanishing.T").set_value(500).run()
    assert not at.exception
    assert any("overflowed" in w.value or "Exploding" in w.value for w in at.warning)
    at.radio(key="vanishing.activation").set_value("tanh").run()
    assert any("Exploding gradients" in w.value for w in at.warning)
    s = chart(at, "vanishing.chart")
    for d in s["data"]:
        if d.get("name") in ("RNN", "GRU", "LSTM"):
            y = np.asarray(d["y"], dtype=float)
            assert not np.isinf(y).any()


@pytest.mark.parametrize(("method", "threshold"), [("none", 1.0), ("value", 0.01),
                                                   ("norm", 0.1)])
def test_clipping(at, method, threshold):
    at.radio(key="vanishing.weights").set_value("random").run()
    at.radio(key="vanishing.clip").set_value(method).run()
    at.select_slider(key="vanishing.threshold").set_value(threshold).run()
    assert not at.exception
    table = tables(at)[0]
    expected = curves(DEFAULT_SENTENCE)
    loaded = expected_loaded(at)
    expected[f"sidebar: {loaded.name}"] = V.model_curve(loaded, DEFAULT_SENTENCE, 100)
    assert list(table["architecture"]) == list(expected)
    for _, row in table.iterrows():
        c = A.clip_summary(expected[row["architecture"]]["grads"], method, threshold)
        assert row["after"] == pytest.approx(c["norm_after"], rel=1e-9)
        if method == "norm":
            assert row["after"] <= threshold * (1 + 1e-9)
            assert row["cosine"] == pytest.approx(1.0)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_sentences(at, name):
    text = HOSTILE[name]
    set_sentence(at, text)
    assert not at.exception, at.exception
    if name == "empty":
        assert any("Type a sentence" in i.value for i in at.info)
        return
    expected = curves(text[:MAX_CHARS], trained=True)
    k = A.vanishing_reach(expected["LSTM"]["norms"])
    assert summary(at)["LSTM"] == ("never" if k is None else f"{k} steps back")


@pytest.mark.parametrize("measure", ["loss", "jacobian"])
def test_the_sidebars_model_is_drawn_beside_the_three(at, measure):
    # The default sidebar model is the shipped char-lm-lstm: on the trained weights its dashed
    # curve is the LSTM's (same T_x, same measure, a<0> = 0).
    at.radio(key="vanishing.measure").set_value(measure).run()
    assert not at.exception
    loaded = expected_loaded(at)
    lines = {d["name"]: d for d in chart(at, "vanishing.chart")["data"]}
    mine = lines[f"sidebar: {loaded.name}"]
    assert mine["line"]["dash"] == "dash"
    want = V.model_curve(loaded, DEFAULT_SENTENCE, 100, measure)["norms"]
    np.testing.assert_allclose(np.asarray(mine["y"], dtype=float), want, rtol=1e-6)
    if loaded.name == "char-lm-lstm" and measure == "loss":
        lstm = curves(DEFAULT_SENTENCE, trained=True)["LSTM"]["norms"]
        np.testing.assert_allclose(want, lstm, rtol=1e-9)
    k = A.vanishing_reach(want)
    assert summary(at)["sidebar's model"] == ("never" if k is None else f"{k} steps back")


@pytest.mark.parametrize("task", ["lm", "tagger", "classifier"])
def test_your_models_curve_for_every_task(monkeypatch, task):
    """An uploaded model of each task (the taggers and classifiers are bidirectional): its
    curve on its own tokens, the loss at T_x only, a→ for a bidirectional one."""
    model = _model(task)
    at, _ = _run_page(monkeypatch, model, "vanishing")
    assert not at.exception, [e.value for e in at.exception]
    lines = {d["name"]: d for d in chart(at, "vanishing.chart")["data"]}
    want = V.model_curve(model, DEFAULT_SENTENCE, 100)
    np.testing.assert_allclose(np.asarray(lines[f"sidebar: {model.name}"]["y"], dtype=float),
                               want["norms"], rtol=1e-6)
    # the loss at T_x: a language model's next token, else the class ranked second
    x, nxt = V.repeated_x(model.vocab, model.vocab.encode(DEFAULT_SENTENCE), 100)
    y = model.network("float64").forward(x)["y_hat"][:, 0, -1]
    target = nxt if task == "lm" else int(np.argsort(-y)[1])
    assert want["loss"] == pytest.approx(-np.log(y[target]), rel=1e-9)
    captions = " ".join(c.value for c in at.caption)
    assert "dashed curve is the sidebar's model" in captions
    assert ("forward sweep a→" in captions) == model.config.bidirectional
