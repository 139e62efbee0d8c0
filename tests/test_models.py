"""Models in use: one family, one route from text to trace to backward (rnnviz.models)."""

import numpy as np
import pytest

import rnnviz
from rnnviz.core.model import Model, RNNConfig
from rnnviz.models import (
    Classifier,
    LanguageModel,
    ModelSpec,
    Tagger,
    comparison_models,
    load,
    random_model,
    random_vocab,
)
from rnnviz.text import Vocab

WORDS = Vocab.build("the cat cats was were full teddy bears roosevelt said he", kind="word",
                    lowercase=True)


def _net(n_y, head="many_to_many", cell="lstm", bidirectional=False, seed=0):
    cfg = RNNConfig(cell=cell, n_x=len(WORDS), n_a=6, n_y=n_y, head=head,
                    bidirectional=bidirectional, dtype="float64")
    return Model.init(cfg, rng=np.random.default_rng(seed))


@pytest.fixture
def count_forwards(monkeypatch):
    calls = []
    original = Model.forward

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Model, "forward", counted)
    return calls


def test_a_tagger_reads_a_text_with_one_forward_pass_and_its_own_targets(count_forwards):
    tagger = Tagger("t", _net(2, bidirectional=True), WORDS, {})
    reading = tagger.read("He said Teddy Roosevelt was full")
    assert len(count_forwards) == 1
    y_hat = reading.trace["y_hat"][:, 0, :]
    np.testing.assert_array_equal(reading.steps.targets, y_hat.argmax(axis=0))
    assert reading.steps.labels == ("He", "said", "Teddy", "Roosevelt", "was", "full")
    assert reading.steps.spans[2] == (8, 13)
    assert tagger.output_labels == ["other", "name"]
    # the backward pass reuses that trace: no further forward pass
    result = tagger.backward(tagger.read("He said Teddy Roosevelt was full", for_loss=True))
    assert len(count_forwards) == 2
    np.testing.assert_array_equal(result.y[0], reading.steps.targets)


def test_a_classifier_targets_its_own_guess_at_the_last_step():
    clf = Classifier("c", _net(3, head="many_to_one"), WORDS, {"labels": ["neg", "mid", "pos"]})
    reading = clf.read("the cats were full")
    assert reading.steps.targets[:-1].tolist() == [-1, -1, -1]
    assert reading.steps.targets[-1] == int(np.argmax(reading.trace["y_hat"][:, 0, -1]))
    assert clf.labels == ["neg", "mid", "pos"]
    np.testing.assert_allclose(clf.predict("the cats were full"),
                               reading.trace["y_hat"][:, 0, -1])
    res = clf.backward(clf.read("the cats were full", for_loss=True), at="all")
    assert res.at == "last" and res.y.tolist() == [reading.steps.targets[-1]]


def test_a_char_lm_loss_reads_the_text_without_its_last_token():
    lm = random_model("gru", n_a=8, seed=3, dtype="float64")
    full = lm.read("hello")
    loss = lm.read("hello", for_loss=True)
    assert full.steps.T_x == 5 and loss.steps.T_x == 4
    assert loss.steps.targets.tolist() == lm.vocab.encode("ello").tolist()
    assert full.steps.targets.tolist() == [*lm.vocab.encode("ello").tolist(), -1]
    # the loss trace is the first four steps of the full one
    np.testing.assert_allclose(loss.trace["a"], full.trace["a"][:, :, :4])
    with pytest.raises(ValueError, match="two tokens"):
        lm.read("h", for_loss=True)
    with pytest.raises(ValueError, match="no tokens"):
        lm.read("")


def test_predict_is_the_softmax_at_every_step_for_lms_and_taggers():
    lm = random_model("lstm", n_a=8, seed=1, dtype="float64")
    p = lm.predict("abc")
    assert p.shape == (3, len(lm.vocab))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p, lm.trace("abc")["y_hat"][:, 0, :].T)


def test_a_random_model_starts_from_zero_and_a_shipped_lm_from_its_start_symbol():
    lm = random_model("rnn", n_a=5, seed=0)
    assert lm.state0 is None and lm.source == "random"
    shipped = rnnviz.load_pretrained("char-lm-rnn")
    assert shipped.state0 is not None and shipped.source == "shipped"
    x = np.zeros((shipped.config.n_x, 1, 1), dtype=shipped.config.dtype)
    x[1, 0, 0] = 1                                          # <EOS> from a<0> = 0
    np.testing.assert_allclose(shipped.state0.a, shipped.model.forward(x).final_state.a)


def test_specs_name_models_and_normalise_away_unused_fields():
    spec = ModelSpec(name="char-lm-gru", cell="rnn", n_a=999)
    assert spec.normalized() == ModelSpec(name="char-lm-gru")
    r = ModelSpec(cell="gru", n_a=10_000, seed=-4, init_scale=9).normalized()
    assert (r.n_a, r.seed, r.init_scale) == (128, 0, 3.0)
    a, b = load(ModelSpec(cell="gru", n_a=7, seed=5)), load(ModelSpec(cell="gru", n_a=7, seed=5))
    for k in a.model.params:
        np.testing.assert_array_equal(a.model.params[k], b.model.params[k])
    assert load(ModelSpec("char-lm-gru")) is rnnviz.load_pretrained("char-lm-gru")
    with pytest.raises(KeyError):
        load(ModelSpec("session:abc"))


def test_shipped_models_are_read_only_and_network_gives_a_writable_float64_copy():
    p = rnnviz.load_pretrained("char-lm-lstm")
    with pytest.raises(ValueError):
        p.model.params["Wy"][0, 0] = 1.0
    net = p.network("float64")
    assert net.config.dtype == "float64" and net.params["Wy"].dtype == np.float64
    net.params["Wy"][0, 0] += 1.0                            # writable, and a copy
    assert p.model.params["Wy"][0, 0] != net.params["Wy"][0, 0]


def test_check_gradients_agrees_with_finite_differences():
    tagger = Tagger("t", _net(2, cell="gru"), WORDS, {})
    res = tagger.backward(tagger.read("the cat was full", for_loss=True))
    rows, loss = tagger.check_gradients(res, n_steps=3)
    assert {r["param"] for r in rows} == {"Wu", "Wr", "Wc", "Wy", "by"}
    assert all(r["rel_error"] < 1e-6 for r in rows if abs(r["analytic"]) > 1e-8)
    net = tagger.network()
    x = res.steps.x[:, :, :3].astype(np.float64)
    assert loss == pytest.approx(net.loss(net.forward(x), res.y[:, :3]))


def test_the_check_key_covers_what_the_gradient_check_reads():
    """`gradcheck.check_key`: equal for two sentences of a char LM that agree on their first 21
    characters (20 steps read characters 1..20, their targets are 2..21), with equal checks;
    different when character 21 (step 20's target) differs, or the loss's `at`."""
    from rnnviz.models.gradcheck import check_key

    lm = rnnviz.load_pretrained("char-lm-gru")
    base = "The cat sat on the ma"                          # 21 characters

    def check(text, at="all"):
        res = lm.backward(lm.read(text, for_loss=True), at=at)
        return check_key(res, 20), lm.check_gradients(res, n_steps=20)

    k1, (rows1, loss1) = check(base + "t, and purred.")
    k2, (rows2, loss2) = check(base + "t!")
    assert k1 == k2 and loss1 == loss2
    assert [(r["param"], r["index"], r["numeric"]) for r in rows1] == \
        [(r["param"], r["index"], r["numeric"]) for r in rows2]
    k3, (_, loss3) = check(base[:-1] + "x" + "t, and purred.")      # character 21 differs
    assert k3 != k1 and loss3 != loss1
    assert check(base + "t, and purred.", at="last")[0] != k1


def test_a_vocabulary_that_does_not_fit_the_network_is_refused():
    with pytest.raises(ValueError, match="n_x"):
        LanguageModel("x", _net(len(WORDS)), random_vocab())


def test_comparison_models_share_vocabulary_size_and_seed():
    models = comparison_models("random", n_a=6, rho=0.5, forget_bias=2.0, seed=4)
    assert list(models) == ["rnn", "gru", "lstm"]
    for cell, (net, vocab) in models.items():
        assert net.config.cell == cell and net.config.n_a == 6 and net.config.dtype == "float64"
        assert len(vocab) == net.config.n_x
        W = net.params["Waa"] if cell == "rnn" else net.params["Wc"][:, :6]
        assert np.max(np.abs(np.linalg.eigvals(W))) == pytest.approx(0.5)
    assert np.all(models["lstm"][0].params["bf"] == 2.0)
    trained = comparison_models("trained")
    assert trained["lstm"][0].config.n_a == rnnviz.load_pretrained("char-lm-lstm").config.n_a
