"""The shipped models: they load, keep the stable API, and their cards tell the truth."""

import numpy as np
import pytest

import rnnviz
from rnnviz.models import PRETRAINED_DIR
from rnnviz.text import Token, Vocab

EXPECTED = {
    "char-lm-rnn": "char_lm",
    "char-lm-gru": "char_lm",
    "char-lm-lstm": "char_lm",
    "ner-lstm": "tagger",
    "ner-bilstm": "tagger",
    "sentiment-lstm": "classifier",
    "char-lm-gru-2layer": "char_lm",
}
DEEP = "char-lm-gru-2layer"           # the stacked one: its own (smaller) budget
CHAR_LMS = [n for n, k in EXPECTED.items() if k == "char_lm" and n != DEEP]
TEDDY_NAME = "He said, Teddy Roosevelt was a great president."
TEDDY_BEAR = "He said, Teddy bears are on sale."


def test_every_shipped_model_is_listed():
    assert rnnviz.list_pretrained() == list(EXPECTED)


def test_a_shipped_models_kind_is_read_from_its_card():
    """The sidebar names a shipped model by the kind its card records, not by its name's
    prefix: the card's kind is the loaded model's class."""
    from rnnviz.models import shipped_kind
    assert {n: shipped_kind(n) for n in EXPECTED} == EXPECTED
    assert all(shipped_kind(n) == rnnviz.load_pretrained(n).kind for n in EXPECTED)
    with pytest.raises(KeyError, match="unknown pretrained model 'char-lm-xyz'"):
        shipped_kind("char-lm-xyz")


def test_the_shipped_files_stay_small():
    files = [PRETRAINED_DIR / f"{n}{ext}" for n in EXPECTED for ext in (".npz", ".json", ".md")]
    assert all(f.exists() for f in files)
    assert sum(f.stat().st_size for f in files) < 15 * 2 ** 20


@pytest.mark.parametrize("name", list(EXPECTED))
def test_loads_with_its_kind_card_and_read_only_weights(name):
    p = rnnviz.load_pretrained(name)
    assert rnnviz.load_pretrained(name) is p                       # cached per process
    assert p.name == name and p.kind == EXPECTED[name]
    assert isinstance(p.model, rnnviz.Model) and isinstance(p.vocab, Vocab)
    assert p.model.config.dtype == "float32" and p.model.config.n_x == len(p.vocab)
    for v in p.model.params.values():
        assert v.dtype == np.float32 and not v.flags.writeable
    with pytest.raises(ValueError):
        p.model.params["by"][0, 0] = 1.0
    assert p.model.copy().params["by"].flags.writeable             # copies are free to train
    card = p.card
    assert card["name"] == name and card["kind"] == p.kind
    assert card["command"] == f"python -m rnnviz.train {name}"
    assert card["vocab"] == p.vocab.to_dict()
    assert card["training_time_s"] > 0 and len(card["loss_curve"]) > 10
    assert card["environment"]["numpy"] and card["hyperparameters"]["seed"] == 0
    assert "quick" not in card
    assert card["command"] in p.card_markdown and "training time" in p.card_markdown
    # the loss curve goes down
    losses = [v for _, v in card["loss_curve"]]
    assert losses[-1] < 0.7 * losses[0]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_encode_and_trace_on_any_text(name):
    p = rnnviz.load_pretrained(name)
    text = "He said, Teddy bears are on sale \u00e9\U0001f600 \u4e2d!"
    x, tokens = p.encode(text)
    assert x.dtype == np.float32 and x.shape == (len(p.vocab), 1, len(tokens))
    assert np.all(x.sum(axis=0) == 1)
    assert all(isinstance(t, Token) and text[t.start:t.end] == t.text for t in tokens)
    trace = p.trace(text)
    assert trace.tokens == [t.text for t in tokens]
    assert trace["y_hat"].shape == (p.model.config.n_y, 1, len(tokens))
    assert not trace.nonfinite.any()
    x, tokens = p.encode("")
    assert x.shape[2] == 0 and tokens == []


# -- character language models ----------------------------------------------------------------


@pytest.mark.parametrize("name", CHAR_LMS)
def test_char_lm_api(name):
    p = rnnviz.load_pretrained(name)
    text = "Return the value of the attribute."
    lp = p.log_probs(text)
    assert lp.shape == (len(text),) and np.all(lp < 0)
    trace = p.trace(text)
    # ŷ<t> after reading character t predicts character t+1
    ids = p.vocab.encode(text)
    y = trace["y_hat"][:, 0, :]
    np.testing.assert_allclose(lp[1:], np.log(y[ids[1:], np.arange(len(text) - 1)]), rtol=1e-4,
                               atol=1e-5)
    s = p.score(text)
    assert s["bits_per_char"] < 3.0 < p.score("zqxj vkpw yfgb hqjz")["bits_per_char"]
    sample = p.sample("", length=80, temperature=0.7, rng=np.random.default_rng(0))
    again = p.sample("", length=80, temperature=0.7, rng=np.random.default_rng(0))
    assert sample.text == again.text and len(sample.steps) == 80
    step = sample.steps[0]
    assert step.probs.shape == (len(p.vocab),) and step.a.shape == (p.model.config.n_a,)
    # the card's sample is reproducible from its seed
    card_sample = p.card["sample"]
    assert p.sample(card_sample["prefix"], length=len(card_sample["text"]),
                    temperature=card_sample["temperature"],
                    rng=card_sample["seed"]).text == card_sample["text"]


def test_char_lms_share_a_budget_and_the_gated_ones_beat_the_baseline():
    cards = {n: rnnviz.load_pretrained(n).card for n in CHAR_LMS}
    # the same budget; only the peak learning rate is tuned per cell (card: lr_trials)
    budget = {"m", "T_x", "steps", "warmup", "decay", "final_lr_frac", "clip_norm", "seed",
              "optimizer"}
    first = cards["char-lm-rnn"]
    for card in cards.values():
        assert card["sizes"]["n_a"] == first["sizes"]["n_a"]
        assert {k: card["hyperparameters"][k] for k in budget} == \
            {k: first["hyperparameters"][k] for k in budget}
        assert card["baseline"]["valid_bpc"] == first["baseline"]["valid_bpc"]
        assert card["metrics"]["valid_chars"] == card["data"]["valid_chars"]   # whole split
    kn = first["baseline"]["valid_bpc"]
    for name in ("char-lm-gru", "char-lm-lstm"):
        assert cards[name]["metrics"]["valid_bpc"] <= kn - 0.1


def test_char_lm_card_metric_is_recomputed_from_the_valid_split():
    from rnnviz.data import corpus
    from rnnviz.training.checkpoint import sha256_text
    p = rnnviz.load_pretrained("char-lm-lstm")
    m = p.card["metrics"]
    prefix = corpus.read_heldout(PRETRAINED_DIR)[:m["valid_prefix_chars"]]
    assert sha256_text(prefix) == m["valid_prefix_sha256"]
    assert p.score(prefix)["bits_per_char"] == pytest.approx(m["valid_prefix_bpc"], abs=1e-5)


def test_the_shipped_held_out_text_is_the_split_every_char_lm_card_names(tmp_path):
    from rnnviz import units
    from rnnviz.data import corpus
    from rnnviz.training.checkpoint import sha256_text
    text = corpus.read_heldout(PRETRAINED_DIR)
    for name in ("char-lm-rnn", "char-lm-gru", "char-lm-lstm"):
        data = rnnviz.load_pretrained(name).card["data"]
        assert sha256_text(text) == data["valid_sha256"]
        assert len(text) == data["valid_chars"]
    assert units.heldout_corpus("char_lm")[1] == text          # what the Units page reads
    assert corpus.read_heldout(tmp_path) is None
    if sha256_text(corpus.load_corpus("valid")) == sha256_text(text):  # this Python's stdlib
        written = corpus.write_heldout(tmp_path)
        assert written.read_bytes() == (PRETRAINED_DIR / corpus.HELDOUT_FILE).read_bytes()


# -- taggers ----------------------------------------------------------------------------------


def test_unidirectional_tagger_sees_only_the_left_context():
    uni = rnnviz.load_pretrained("ner-lstm")
    a, b = uni.tag(TEDDY_NAME), uni.tag(TEDDY_BEAR)
    assert a[3][0] == b[3][0] == "Teddy"
    # same words before "Teddy", so the same a<t> and the same P(name) in both sentences
    assert a[3][1] == b[3][1]
    assert uni.card["metrics"]["test"]["ambiguous_accuracy"] == pytest.approx(0.5, abs=0.1)


def test_bidirectional_tagger_resolves_the_ambiguous_word():
    bi = rnnviz.load_pretrained("ner-bilstm")
    name, bear = bi.tag(TEDDY_NAME), bi.tag(TEDDY_BEAR)
    assert name[3][1] > 0.9 and name[4][1] > 0.9                   # Teddy Roosevelt
    assert bear[3][1] < 0.1 and bear[4][1] < 0.1                   # Teddy bears
    assert all(p < 0.5 for w, p in name if w in {"He", "said", ",", "was", "president"})
    test = bi.card["metrics"]["test"]
    assert test["ambiguous_accuracy"] >= 0.95 and test["accuracy"] >= 0.97


# -- classifier -------------------------------------------------------------------------------


def test_classifier_predicts_star_ratings():
    p = rnnviz.load_pretrained("sentiment-lstm")
    assert p.labels == ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
    probs = p.predict("There is nothing to like in this movie.")
    assert probs.shape == (5,) and probs.sum() == pytest.approx(1) and probs.argmax() == 0
    assert p.predict("The acting was not bad at all and the music was superb.").argmax() == 4
    assert p.predict("").sum() == pytest.approx(1)


def _predict_batched(p, texts: list[str]) -> np.ndarray:
    """(len(texts), n_y): `p.predict(text)` for each text, with the texts of equal length T_x
    read in one forward pass (x stacked along m, each from `p.encode`; ŷ<T_x> per column)."""
    xs = [p.encode(text)[0] for text in texts]
    out = np.empty((len(texts), p.config.n_y))
    for T_x in {x.shape[2] for x in xs}:
        idx = [i for i, x in enumerate(xs) if x.shape[2] == T_x]
        trace = p.model.forward(np.concatenate([xs[i] for i in idx], axis=1), state0=p.state0)
        out[idx] = np.asarray(trace["y_hat"][:, :, -1], dtype=np.float64).T
    return out


def test_classifier_card_accuracy_is_recomputed_from_the_test_split():
    from rnnviz.data import sentiment
    from rnnviz.training.checkpoint import sha256_text
    p = rnnviz.load_pretrained("sentiment-lstm")
    # Each split is drawn from its own stream, so only the test split need be drawn; the digest
    # checks that it is the card's.
    sizes = (0, 0, p.card["data"]["sizes"]["test"])
    test = sentiment.split(seed=p.card["data"]["seed"], sizes=sizes).test
    assert sha256_text("\n".join(r.text for r in test)) == p.card["data"]["test_sha256"]
    probs = _predict_batched(p, [r.text for r in test])
    # The batches give `predict`'s numbers (every 250th review, read one by one).
    for i in range(0, len(test), 250):
        np.testing.assert_allclose(probs[i], p.predict(test[i].text), rtol=0, atol=1e-6)
    pred = [int(row.argmax()) for row in probs]
    accuracy = sentiment.accuracy(pred, [r.label for r in test])
    assert accuracy == pytest.approx(p.card["metrics"]["test"]["accuracy"], abs=1 / len(test))


def test_the_shipped_deep_char_lm_has_two_layers_and_its_card_is_recomputed():
    """Issue 23, item 8: a shipped 2-layer model (trained by `python -m rnnviz.train
    char-lm-gru-2layer`), so every page's layer picker has one; its card's held-out bpc is
    recomputed from the shipped held-out text."""
    from rnnviz.data import corpus
    from rnnviz.training.checkpoint import sha256_text
    p = rnnviz.load_pretrained(DEEP)
    assert p.model.config.layers == 2 and p.card["sizes"]["layers"] == 2
    assert p.card["command"] == f"python -m rnnviz.train {DEEP}"
    trace = p.trace("Return the value.")
    assert trace.T_x == len("Return the value.")
    m = p.card["metrics"]
    text = corpus.read_heldout(PRETRAINED_DIR)
    assert sha256_text(text) == p.card["data"]["valid_sha256"]
    prefix = text[:m["valid_prefix_chars"]]
    assert p.score(prefix)["bits_per_char"] == pytest.approx(m["valid_prefix_bpc"], abs=1e-5)
    # it learned the language: far below the 5-gram's cost of an unseen string
    assert m["valid_bpc"] < p.card["baseline"]["valid_bpc"] + 0.5
    assert p.score("Return the value of the attribute.")["bits_per_char"] < 3.5
