"""A model's identity (`ModelInUse.identity`) covers everything that changes a reading.

The app's shared reading cache keys a session model by it (`rnnviz_app.loaders.session_name`);
two visitors who upload the same weights with another tokenizer or start token once got each
other's readings. Each test below changes one part and checks the identity changes, and that
the reading it stands for changes too (so the part matters and the test could fail).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import rnnviz
from rnnviz.core.model import Model, RNNConfig
from rnnviz.core.torch_layout import to_torch
from rnnviz.models import Classifier, LanguageModel
from rnnviz.models.identity import identity
from rnnviz.text import SPECIALS, Vocab

CHARS = list("abcdefghijklmnopqrstuvwxyz .,TN")
WORDS = ["the", "a", "cat", "cats", "is", "are", "not", "NOT", ".", "t", "h", "e", " "]
TEXT = "the cat is NOT here."


N = len(CHARS)


def _sd(cell="lstm", n_x=N, n_y=N, layers=1, bi=False, seed=0, head="many_to_many"):
    cfg = RNNConfig(cell=cell, n_x=n_x, n_a=5, n_y=n_y, layers=layers, bidirectional=bi,
                    head=head, variant="torch" if cell == "gru" else "course")
    net = Model.init(cfg, rng=np.random.default_rng(seed))
    return to_torch(cfg, net.params, prefix="rnn.", head="fc.")


def _lm(**kw):
    args = dict(vocab=CHARS, task="lm", tokenizer="char", name="m")
    args.update(kw)
    return rnnviz.import_torch(_sd(), **args)


def test_the_same_parts_give_the_same_identity():
    assert _lm().identity == _lm().identity
    assert len(_lm().identity) == 64


@pytest.mark.parametrize("change", [
    {"tokenizer": "word"},
    {"start": "T"},
    {"start": "N"},
    {"vocab": CHARS[::-1]},
])
def test_each_import_setting_changes_the_identity_and_the_reading(change):
    base, other = _lm(), _lm(**change)
    assert base.identity != other.identity
    a, b = base.read(TEXT).trace["y_hat"], other.read(TEXT).trace["y_hat"]
    assert a.shape != b.shape or not np.allclose(a, b)


def test_weights_change_the_identity():
    a = _lm()
    b = rnnviz.import_torch(_sd(seed=1), vocab=CHARS, task="lm", name="m")
    assert a.identity != b.identity
    sd = _sd()
    sd["rnn.weight_hh_l0"][0, 0] += 1e-6           # one weight, by a rounding error
    assert rnnviz.import_torch(sd, vocab=CHARS, task="lm", name="m").identity != a.identity


def test_case_handling_changes_the_identity():
    net = Model.init(RNNConfig(n_x=len(SPECIALS) + 3, n_a=4, n_y=len(SPECIALS) + 3),
                     rng=np.random.default_rng(0))
    itos = [*SPECIALS, "not", "good", "."]
    lower = LanguageModel("m", net, Vocab(itos, kind="word", lowercase=True), start_id=None)
    exact = LanguageModel("m", net, Vocab(itos, kind="word", lowercase=False), start_id=None)
    assert lower.identity != exact.identity
    assert not np.allclose(lower.read("NOT good .").steps.ids, exact.read("NOT good .").steps.ids)


def test_task_and_labels_change_the_identity():
    sd = _sd(n_y=3, head="many_to_many")
    tagger = rnnviz.import_torch(sd, vocab=CHARS, task="tagger", labels=["x", "y", "z"], name="m")
    other = rnnviz.import_torch(sd, vocab=CHARS, task="tagger", labels=["z", "y", "x"], name="m")
    clf = rnnviz.import_torch(sd, vocab=CHARS, task="classifier", labels=["x", "y", "z"],
                              name="m")
    assert len({tagger.identity, other.identity, clf.identity}) == 3


def test_readout_changes_the_identity():
    vocab = Vocab([*SPECIALS, *CHARS], kind="char")
    cfg = RNNConfig(n_x=len(vocab), n_a=4, n_y=2, head="many_to_one", bidirectional=True)
    net = Model.init(cfg, rng=np.random.default_rng(0))
    step = Classifier("m", net, vocab)
    h_n = Classifier("m", Model(dataclasses.replace(net.config, readout="h_n"), net.params), vocab)
    assert step.identity != h_n.identity
    assert not np.allclose(step.predict(TEXT), h_n.predict(TEXT))


def test_variant_and_layers_change_the_identity():
    cfg = RNNConfig(cell="gru", n_x=len(CHARS) + 2, n_a=4, n_y=len(CHARS) + 2)
    net = Model.init(cfg, rng=np.random.default_rng(0))
    vocab = Vocab([*SPECIALS, *CHARS], kind="char")
    course = LanguageModel("m", net, vocab, start_id=None)
    params = {**net.params, "bca": np.zeros((4, 1))}     # torch's GRU has one more bias, b_hn
    torch_gru = LanguageModel("m", Model(dataclasses.replace(cfg, variant="torch"), params), vocab,
                       start_id=None)
    assert course.identity != torch_gru.identity
    assert not np.allclose(course.read(TEXT).trace["a"], torch_gru.read(TEXT).trace["a"])
    two = Model.init(dataclasses.replace(cfg, layers=2), rng=np.random.default_rng(0))
    assert LanguageModel("m", two, vocab, start_id=None).identity != course.identity


def test_identity_is_memoised_and_a_new_attribute_is_in_it():
    m = _lm()
    first = m.identity
    assert m.identity is first                         # computed once
    fresh = _lm()
    fresh.some_new_setting = "x"                      # nobody listed it anywhere
    assert identity(fresh) != first


def test_reading_a_frozen_model_leaves_its_identity_as_it_was():
    """What a reading keeps for the next one (the packed weights of `Model.packed`) is kept
    beside the model, not in it: the digest of a model read before equals a fresh one's."""
    read = _lm().freeze()
    read.read(TEXT)
    assert identity(read) == identity(_lm().freeze())
