"""Interventions on models in use: texts in (patch sources, reference corpora), predictions out."""

import numpy as np
import pytest

import rnnviz
from rnnviz.core.model import Model, RNNConfig
from rnnviz.models import Classifier, LanguageModel, Tagger
from rnnviz.models.interventions import default_reference
from rnnviz.text import SPECIALS, Vocab

VOCAB = Vocab([*SPECIALS, *"abcdefg "], kind="char")


def in_use(kind, cell="lstm", variant="course", layers=1, bidirectional=False, seed=0):
    n = len(VOCAB)
    many = kind != Classifier
    cfg = RNNConfig(cell=cell, variant=variant, n_x=n, n_a=6, n_y=n if kind == LanguageModel else 3,
                    head="many_to_many" if many else "many_to_one", layers=layers,
                    bidirectional=bidirectional)
    return kind("m", Model.init(cfg, rng=np.random.default_rng(seed)), VOCAB, {},
                source="random")


def test_a_patch_from_a_text_is_the_source_reading_at_that_step():
    lm = in_use(LanguageModel, "gru", "torch", layers=2)
    a_text, b_text, t = "abcabca", "gfedgfe", 3
    src = lm.trace(b_text)
    got = lm.trace(a_text, interventions=[rnnviz.Patch(b_text, "a", steps=[t], layer=2)])
    np.testing.assert_allclose(got["a"][:, 0, t - 1], src["a"][:, 0, t - 1], atol=1e-12)
    intact = lm.predict(a_text)
    patched = lm.predict(a_text, interventions=[rnnviz.Patch(b_text, steps=[t], layer=2)])
    np.testing.assert_allclose(patched[: t - 1], intact[: t - 1], atol=1e-12)   # before t
    assert not np.allclose(patched[t - 1], intact[t - 1])                       # from t on


def test_mean_ablation_on_a_reference_text_uses_unit_means():
    clf = in_use(Classifier, "lstm", layers=2)
    ref = "gfe dcba abc defg " * 3
    means = rnnviz.unit_means(clf, ref, "c", layer=1)
    got = clf.trace("abc de", interventions=[rnnviz.Clamp("c", [0, 5], "mean", layer=1)],
                    reference=ref)
    np.testing.assert_allclose(got.layer(1)["c"][[0, 5], 0, :],
                               np.repeat(means[[0, 5], None], 6, axis=1), atol=1e-12)
    by_value = clf.predict("abc de", interventions=[
        rnnviz.Clamp("c", [0, 5], means[[0, 5]], layer=1)])
    np.testing.assert_allclose(clf.predict("abc de", interventions=[
        rnnviz.Clamp("c", [0, 5], "mean", layer=1)], reference=ref), by_value, atol=1e-12)


def test_without_a_reference_a_model_that_is_not_shipped_uses_the_text_itself():
    tagger = in_use(Tagger, "rnn", bidirectional=True)
    text = "abc gfe"
    own = tagger.trace(text)["a_bwd"][:, 0, :].mean(axis=1)
    got = tagger.trace(text, interventions=[rnnviz.Clamp("a", [2], "mean", direction="bwd")])
    np.testing.assert_allclose(got["a_bwd"][2, 0, :], own[2], atol=1e-12)
    np.testing.assert_allclose(got["a_fwd"], tagger.trace(text)["a_fwd"], atol=1e-12)


def test_the_shipped_char_lms_default_reference_is_their_held_out_corpus():
    from rnnviz.units.corpora import heldout_corpus
    lm = rnnviz.load_pretrained("char-lm-rnn")
    assert default_reference(lm) == heldout_corpus("char_lm")[1]
    assert default_reference(in_use(LanguageModel)) is None


def test_the_intervened_flag_reaches_the_tidy_frame_of_a_reading():
    lm = in_use(LanguageModel, "lstm")
    r = lm.read("abcdef", interventions=[rnnviz.Clamp("gamma_f", [1, 2], 1.0, steps=[2, 3])])
    df = r.trace.to_dataframe(keys=["gamma_f", "c"])
    hit = df[df.intervened]
    assert set(hit.quantity) == {"gamma_f"} and len(hit) == 4
    np.testing.assert_array_equal(hit.value, 1.0)


@pytest.mark.parametrize("iv,message", [
    (rnnviz.Patch("ab", steps=[4]), "the source has 2 tokens: too short to patch step 4"),
    (rnnviz.Patch("", steps=[1]), "the patch source has no tokens"),
    (rnnviz.Clamp("gamma_r", [0]), "the LSTM cell has no 'gamma_r'"),
    (rnnviz.Clamp("a", [6]), r"units must be in 0..5 \(n_a = 6\)"),
    (rnnviz.Clamp("a", [0], steps=[9]), r"steps must be in 1..6 \(T_x = 6\)"),
])
def test_bad_interventions_on_a_model_in_use_say_what_is_wrong(iv, message):
    lm = in_use(LanguageModel, "lstm")
    with pytest.raises(ValueError, match=message):
        lm.predict("abcdef", interventions=[iv])
