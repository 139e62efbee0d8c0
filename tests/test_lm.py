"""Scoring and sampling of character language models (small random models, fast)."""

import numpy as np
import pytest

from rnnviz.core.functional import softmax
from rnnviz.core.model import Model, RNNConfig
from rnnviz.lm import UNK_CHAR, bits_per_char, sampling_distribution, stream_log_probs
from rnnviz.models import Classifier, LanguageModel, Tagger
from rnnviz.text import EOS_ID, UNK_ID, Vocab

CELLS = ["rnn", "gru", "lstm"]


def make_lm(cell="lstm", dtype="float64", seed=0, scale=3.0):
    """A random char LM; a large output scale gives peaked, distinct distributions."""
    vocab = Vocab.build("abcdefgh ij.\n", kind="char")
    cfg = RNNConfig(cell=cell, n_x=len(vocab), n_a=12, n_y=len(vocab), dtype=dtype)
    model = Model.init(cfg, rng=np.random.default_rng(seed))
    model.params["Wy"] *= scale
    return LanguageModel("test-lm", model, vocab, {"kind": "char_lm"})


@pytest.fixture(params=CELLS)
def lm(request):
    return make_lm(request.param)


# -- scoring ----------------------------------------------------------------------------------


def test_log_probs_sum_to_the_sequence_log_probability(lm):
    text = "a bad cafe.\nhigh"
    lp = lm.log_probs(text)
    assert lp.shape == (len(text),) and np.all(lp < 0)
    # independently, from the trace: P(x<1>) from the primed start, then ŷ<t-1>[x<t>]
    trace = lm.trace(text)
    ids = lm.vocab.encode(text)
    y = trace["y_hat"][:, 0, :]                                    # (|V|, T_x)
    seq = np.log(lm.start[0][ids[0]]) + sum(np.log(y[ids[t], t - 1]) for t in range(1, len(ids)))
    assert lp.sum() == pytest.approx(seq, rel=1e-10)
    s = lm.score(text)
    assert s["log_prob"] == pytest.approx(seq, rel=1e-10)
    assert s["bits_per_char"] == pytest.approx(-seq / np.log(2) / len(text))
    assert s["perplexity"] == pytest.approx(2 ** s["bits_per_char"])
    np.testing.assert_array_equal(s["per_char"], lp)


def test_the_start_state_reads_the_start_symbol_from_zero(lm):
    x = np.zeros((lm.model.config.n_x, 1, 1))
    x[EOS_ID] = 1
    trace = lm.model.forward(x)                                    # from a<0> = 0
    np.testing.assert_allclose(lm.start[0], trace["y_hat"][:, 0, 0])
    assert lm.log_probs("c")[0] == pytest.approx(np.log(trace["y_hat"][lm.vocab.stoi["c"], 0, 0]))


def test_a_token_outside_the_vocabulary_is_an_error_not_the_last_row(lm):
    """-1 is what an imported vocabulary without an unknown token gives an unseen token;
    as an index it would read (and score) the vocabulary's last row."""
    ids = np.array(lm.vocab.encode("abc"))
    with pytest.raises(ValueError, match=r"1 token\(s\) are not in the model's vocabulary"):
        stream_log_probs(lm.model, np.array([ids[0], -1, ids[2]]))
    with pytest.raises(ValueError, match="not in the model's vocabulary"):
        stream_log_probs(lm.model, np.array([lm.model.config.n_x]))
    with pytest.raises(ValueError, match="not in the model's vocabulary"):
        stream_log_probs(lm.model, ids, start_id=-1)        # read first: the same rule
    assert np.isfinite(stream_log_probs(lm.model, ids)).all()


def test_chunked_scoring_equals_one_pass(lm):
    ids = lm.vocab.encode("abc def ghij. " * 7)
    one = stream_log_probs(lm.model, ids, chunk=10_000)
    np.testing.assert_allclose(stream_log_probs(lm.model, ids, chunk=7), one, rtol=1e-12)


def test_unknown_characters_get_the_unk_probability(lm):
    text = "a\u00e9b\U0001f600"                                     # é and an emoji: unknown
    lp = lm.log_probs(text)
    trace = lm.trace(text)
    assert trace.tokens == list(text)
    y = trace["y_hat"][:, 0, :]
    assert lp[1] == pytest.approx(np.log(y[UNK_ID, 0]))
    assert lp[3] == pytest.approx(np.log(y[UNK_ID, 2]))
    # and it is the same as scoring any other unknown character there
    np.testing.assert_allclose(lm.log_probs("a\u4e2db\u00df"), lp)


def test_empty_and_odd_inputs_never_break_scoring(lm):
    x, tokens = lm.encode("")
    assert x.shape == (lm.model.config.n_x, 1, 0) and tokens == []
    assert lm.log_probs("").shape == (0,)
    s = lm.score("")
    assert s["log_prob"] == 0 and np.isnan(s["bits_per_char"])
    with pytest.raises(ValueError, match="no tokens"):
        lm.trace("")
    x, tokens = lm.encode("\x00\t\U0010ffff")
    assert x.shape[2] == 3 and np.all(x[UNK_ID, 0, :] == 1)
    assert bits_per_char(np.array([])) != bits_per_char(np.array([]))   # NaN


def test_encode_offsets_point_into_the_text(lm):
    text = "ab\u00e9 c"
    x, tokens = lm.encode(text)
    assert x.dtype == np.float64 and x.sum() == len(text)
    assert all(text[t.start:t.end] == t.text for t in tokens)


# -- sampling ---------------------------------------------------------------------------------


def test_sampling_is_deterministic_for_a_seed(lm):
    a = lm.sample("ab", length=40, temperature=1.0, rng=np.random.default_rng(7))
    b = lm.sample("ab", length=40, temperature=1.0, rng=np.random.default_rng(7))
    c = lm.sample("ab", length=40, temperature=1.0, rng=np.random.default_rng(8))
    assert a.text == b.text and a.text != c.text
    assert [s.token_id for s in a.steps] == [s.token_id for s in b.steps]
    assert lm.sample(length=20, rng=5).text == lm.sample(length=20, rng=5).text
    assert a.prefix == "ab" and a.text.startswith("ab") and len(a.generated) == 40
    assert len(a.steps) == 40 and "".join(s.char for s in a.steps) == a.generated


def test_sample_steps_replay_through_the_trace(lm):
    sample = lm.sample("", length=25, temperature=1.0, rng=np.random.default_rng(1))
    trace = lm.trace(sample.text)
    y = trace["y_hat"][:, 0, :]
    a = trace["a"][:, 0, :]
    np.testing.assert_allclose(sample.steps[0].y_hat, lm.start[0], rtol=1e-6)
    np.testing.assert_allclose(sample.steps[0].a, lm.start[1].a[:, 0], rtol=1e-6)
    for t, step in enumerate(sample.steps[1:], start=1):
        np.testing.assert_allclose(step.y_hat, y[:, t - 1], rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(step.a, a[:, t - 1], rtol=1e-6, atol=1e-12)
        assert step.probs.sum() == pytest.approx(1)


def test_temperature_to_zero_gives_the_argmax_path(lm):
    for temperature in (0.0, 1e-6):
        sample = lm.sample("a", length=30, temperature=temperature,
                           rng=np.random.default_rng(3))
        for step in sample.steps:
            banned = step.y_hat.copy()
            banned[EOS_ID] = -1
            assert step.token_id == int(np.argmax(banned))
            assert step.probs[step.token_id] == pytest.approx(1.0)
    greedy = [lm.sample("a", 30, temperature=t, rng=s).text for t, s in ((0, 1), (1e-6, 2))]
    assert greedy[0] == greedy[1]


@pytest.mark.parametrize("k", [1, 3])
def test_top_k_is_respected(lm, k):
    sample = lm.sample("", length=60, temperature=2.0, top_k=k, rng=np.random.default_rng(0))
    for step in sample.steps:
        allowed = step.y_hat.copy()
        allowed[EOS_ID] = -1                          # <EOS> is never sampled
        order = np.argsort(-allowed, kind="stable")
        assert step.token_id in order[:k]
        assert np.count_nonzero(step.probs) <= k
    chosen = {s.token_id for s in sample.steps}
    assert k == 1 or len(chosen) > 1                  # k > 1 really samples


def test_sampling_distribution():
    y = np.array([0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(sampling_distribution(y, 1.0), y)
    np.testing.assert_allclose(sampling_distribution(y, 0.5), y ** 2 / np.sum(y ** 2))
    np.testing.assert_allclose(sampling_distribution(y, 1.0, top_k=2), [0, 0, 3 / 7, 4 / 7])
    np.testing.assert_allclose(sampling_distribution(y, 1.0, banned=(3,)), [1 / 6, 2 / 6, 3 / 6, 0])
    np.testing.assert_allclose(sampling_distribution(y, 0.0), [0, 0, 0, 1])
    np.testing.assert_allclose(sampling_distribution(y, 1e-9), [0, 0, 0, 1])
    with pytest.raises(ValueError):
        sampling_distribution(y, -1.0)
    with pytest.raises(ValueError):
        sampling_distribution(y, 1.0, top_k=0)


def test_sampled_unk_is_written_as_the_replacement_character():
    base = make_lm("rnn")
    base.model.params["by"][UNK_ID] = 50.0                         # always <UNK>
    lm = LanguageModel("unk", base.model, base.vocab, {})
    sample = lm.sample("", 5, temperature=1.0, rng=0)
    assert sample.generated == UNK_CHAR * 5


# -- taggers and classifiers ------------------------------------------------------------------


def test_tagger_and_classifier_on_random_models():
    vocab = Vocab.build("he said teddy bears are on sale .", kind="word")
    rng = np.random.default_rng(0)
    tagger = Tagger("t", Model.init(RNNConfig(cell="lstm", n_x=len(vocab), n_a=6, n_y=2,
                                              bidirectional=True), rng=rng), vocab, {})
    tags = tagger.tag("He said, Teddy bears are on sale!")
    assert [w for w, _ in tags] == ["He", "said", ",", "Teddy", "bears", "are", "on", "sale",
                                    "!"]
    assert all(0 <= p <= 1 for _, p in tags)
    assert tagger.tag("") == [] and tagger.tag("   ") == []
    clf = Classifier("c", Model.init(RNNConfig(cell="lstm", n_x=len(vocab), n_a=6, n_y=5,
                                               head="many_to_one"), rng=rng), vocab,
                     {"labels": ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]})
    p = clf.predict("teddy bears are on sale")
    assert p.shape == (5,) and p.sum() == pytest.approx(1)
    trace = clf.trace("teddy bears are on sale")
    np.testing.assert_allclose(p, trace["y_hat"][:, 0, -1], rtol=1e-12)
    np.testing.assert_allclose(clf.predict(""), softmax(clf.model.params["by"][:, 0]))
    assert clf.labels[0] == "1 star"


def test_sample_arrays_line_up_with_the_steps():
    lm = make_lm("gru")
    s = lm.sample("ab", length=7, temperature=0.9, rng=3)
    arr = s.arrays()
    assert arr["ids"].tolist() == [st.token_id for st in s.steps]
    assert "".join(arr["chars"]) == s.generated
    assert arr["probs"].shape == (7, len(lm.vocab)) and arr["a"].shape == (12, 7)
    np.testing.assert_allclose(arr["p_chosen"],
                               [st.probs[st.token_id] for st in s.steps], rtol=1e-6)
    np.testing.assert_allclose(arr["a"][:, 2], s.steps[2].a, rtol=1e-6)


def test_entropy_in_bits():
    from rnnviz.lm import entropy_bits

    assert entropy_bits([0.5, 0.5, 0.0]) == pytest.approx(1.0)
    assert entropy_bits(np.full(8, 1 / 8)) == pytest.approx(3.0)
    assert entropy_bits([1.0, 0.0]) == 0.0


@pytest.mark.parametrize(("temperature", "top_k", "level"), [
    (0.0, 0, "info"), (0.7, 1, "info"), (0.1, 0, "info"), (1.8, 5, "warning"), (0.7, 0, None)])
def test_sampling_advice(temperature, top_k, level):
    from rnnviz.lm import sampling_advice

    advice = sampling_advice(temperature, top_k)
    assert (advice[0] if advice else None) == level
