"""The agreement task, the side-by-side trainer and Task B's char LM (rnnviz.training)."""

import numpy as np
import pytest

from rnnviz.core.functional import softmax
from rnnviz.training.agreement import (
    FILLERS,
    NOUNS,
    AgreementConfig,
    AgreementTask,
    accuracy_vs_distance,
    agreement_task,
    train_agreement,
)
from rnnviz.training.race import Race, da_norm_at_last_step
from rnnviz.training.text_lm import TextLMConfig, TextLMTask

SINGULAR = {s for s, _ in NOUNS}
PLURAL = {p for _, p in NOUNS}


def test_labels_follow_the_subjects_number_and_distances_are_exact():
    pairs = agreement_task(7, 400, np.random.default_rng(0))
    verbs = set()
    for sentence, verb in pairs:
        words = sentence.split()
        assert words[0] == "the" and len(words) == 7 + 2
        subject = words[1]
        assert verb == ("was" if subject in SINGULAR else "were")
        assert subject in SINGULAR | PLURAL
        # no attractors asked: the clause is filler words only
        assert all(w in FILLERS for w in words[2:])
        verbs.add(verb)
    assert verbs == {"was", "were"}


def test_a_distance_range_draws_each_length_in_it():
    lengths = {len(s.split()) - 2 for s, _ in agreement_task((3, 6), 500,
                                                             np.random.default_rng(1))}
    assert lengths == {3, 4, 5, 6}


@pytest.mark.parametrize("k", [1, 2, 3])
def test_attractors_are_nouns_of_the_other_number(k):
    for sentence, verb in agreement_task(10, 200, np.random.default_rng(k), attractors=k):
        words = sentence.split()
        nouns = [w for w in words[2:] if w in SINGULAR | PLURAL]
        assert len(nouns) == k
        other = PLURAL if words[1] in SINGULAR else SINGULAR
        assert all(n in other for n in nouns)
        assert verb == ("was" if words[1] in SINGULAR else "were")


def test_training_nouns_are_uninformative():
    # mixed=True: the intervening nouns agree with the subject about half of the time
    same = total = 0
    for sentence, _ in agreement_task(10, 600, np.random.default_rng(5), attractors=2,
                                      mixed=True):
        words = sentence.split()
        subject_plural = words[1] in PLURAL
        for w in words[2:]:
            if w in SINGULAR | PLURAL:
                total += 1
                same += (w in PLURAL) == subject_plural
    assert total == 1200 and 0.45 < same / total < 0.55


@pytest.mark.parametrize("bad", [dict(distance=0), dict(distance=101),
                                 dict(distance=(9, 3)), dict(distance=2, attractors=3),
                                 dict(distance=5, attractors=4)])
def test_bad_settings_are_refused_with_a_message(bad):
    with pytest.raises(ValueError, match="distance|attractors"):
        agreement_task(bad["distance"], 3, np.random.default_rng(0), bad.get("attractors", 0))


def test_every_cell_gets_the_same_batches_and_the_same_init_family():
    task = AgreementTask(AgreementConfig(distance=(4, 9), steps=5))
    a, b = task.batches(), task.batches()
    for _ in range(4):
        x, y = next(a), next(b)
        assert np.array_equal(x.x, y.x) and np.array_equal(x.y, y.y)
    lstm, gru = task.model("lstm"), task.model("gru")
    assert lstm.config.n_a == gru.config.n_a and lstm.config.dtype == gru.config.dtype


@pytest.mark.parametrize("objective", ["direct", "lm"])
def test_same_seed_same_losses(objective):
    one = train_agreement("gru", 5, objective=objective, steps=12, seed=3)
    two = train_agreement("gru", 5, objective=objective, steps=12, seed=3)
    other = train_agreement("gru", 5, objective=objective, steps=12, seed=4)
    assert np.array_equal(one.losses, two.losses)
    assert not np.array_equal(one.losses, other.losses)
    assert len(one.losses) == 12 and np.all(np.isfinite(one.losses))


def test_a_stopped_and_resumed_race_equals_an_uninterrupted_one():
    cfg = AgreementConfig(distance=6, steps=14)
    whole = Race(AgreementTask(cfg), ["rnn", "lstm"], cfg.steps, cfg.train_config())
    assert whole.run()
    parts = Race(AgreementTask(cfg), ["rnn", "lstm"], cfg.steps, cfg.train_config())
    assert not parts.run(callback=lambda p: p.step < 5)
    assert parts.step == 5
    assert parts.run()
    for cell in ("rnn", "lstm"):
        assert np.array_equal(whole.runs[cell].loss_array(), parts.runs[cell].loss_array())
        for k, v in whole.runs[cell].model.params.items():
            assert np.array_equal(v, parts.runs[cell].model.params[k])


def test_direct_supervision_learns_a_short_dependency():
    res = train_agreement("lstm", 3, steps=120, seed=0)
    assert res.accuracy >= 0.95
    assert res.losses[-10:].mean() < 0.2 < res.losses[:10].mean()


@pytest.mark.parametrize("objective", ["direct", "lm"])
def test_the_model_in_use_predicts_was_and_were(objective):
    res = train_agreement("rnn", 4, objective=objective, steps=30, seed=1)
    task = AgreementTask(res.config)
    p = res.model.predict("the cats which saw the")
    assert p.shape == (2,) and abs(p.sum() - 1) < 1e-6
    assert res.model.labels == ["was", "were"]
    # independently: the trained network's ŷ<T_x>, renormalised over {was, were}
    ids = task.vocab.encode("the cats which saw the")
    z = res.network.forward(task.vocab.one_hot(ids, dtype=np.float32)).rows["z_y"][-1, 0]
    if objective == "lm":
        z = z[[task.vocab.stoi["was"], task.vocab.stoi["were"]]]
    assert np.allclose(p, softmax(z.astype(np.float64), axis=0), atol=1e-5)
    # the reported accuracy is the fraction of held-out sentences whose verb wins
    correct = [int(np.argmax(res.model.predict(task.vocab.decode(ids))) == y)
               for ids, y in zip(task.eval_ids, task.eval_labels, strict=True)]
    assert res.accuracy == pytest.approx(np.mean(correct))


def test_text_lm_task_beats_uniform_and_has_a_baseline():
    text = "the cat sat on the mat. the dog sat on the log. " * 20
    task = TextLMTask(text, TextLMConfig(n_a=16, steps=40, T=16))
    race = Race(task, ["lstm"], 40, task.config.train_config())
    race.run()
    uniform = np.log2(task.n_x)
    bpc = race.latest("bpc")["lstm"]
    assert bpc < 0.8 * uniform
    assert 0 < task.baseline_bpc() < uniform
    assert set(task.sample(race.runs["lstm"].model, np.random.default_rng(0), 30)) \
        <= set(task.vocab.itos) | {"\N{REPLACEMENT CHARACTER}"}
    with pytest.raises(ValueError, match="at least"):
        TextLMTask("too short", TextLMConfig())


def test_the_gradient_probe_ends_with_the_heads_own_gradient():
    # at t = T_x: ∂L<T_x>/∂a<T_x> = W_y^T (ŷ<T_x> - y) / m, computed here by hand
    task = AgreementTask(AgreementConfig(distance=6))
    probe = task.probe_batch()
    for cell in ("rnn", "gru", "lstm"):
        model = task.model(cell)
        norms = da_norm_at_last_step(model, probe)
        assert norms.shape == (6 + 2,)
        a_T = model.forward(probe.x).rows["a"][-1].astype(np.float64)      # (m, n_a)
        p = model.params
        z = a_T @ p["Wy"].T.astype(np.float64) + p["by"][:, 0]
        y_hat = softmax(z, axis=1)
        m = len(probe.y)
        dz = (y_hat - np.eye(2)[probe.y]) / m
        assert norms[-1] == pytest.approx(np.linalg.norm(dz @ p["Wy"]), rel=1e-4)


def test_a_sweep_cut_short_keeps_only_whole_points():
    asked = {"n": 0}

    def should_stop():
        asked["n"] += 1
        return asked["n"] > 15            # the second point is stopped after a few steps

    out = accuracy_vs_distance(["rnn"], (3, 4, 5), should_stop=should_stop, steps=10)
    assert list(out["rnn"]) == [3]
    assert out["rnn"][3] == train_agreement("rnn", 3, steps=10).accuracy
