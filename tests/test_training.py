"""Training in NumPy: schedules, optimizers, batches, the loop, clipping, checkpoints."""

import dataclasses
import math

import numpy as np
import pytest

from rnnviz.core.model import Model, RNNConfig
from rnnviz.text import EOS_ID, Vocab
from rnnviz.training import (
    SGD,
    Adam,
    Schedule,
    SequenceBatches,
    TextStreams,
    TrainConfig,
    load_checkpoint,
    save_checkpoint,
    train,
)
from rnnviz.training.batches import one_hot
from rnnviz.training.recipes import RECIPES, encode_chars, quick_recipe

CELLS = ["rnn", "gru", "lstm"]
TEXT = ("the cat sat on the mat.\n\nthe dog sat on the log.\n\n"
        "a cat and a dog sat on a mat and a log.\n\n") * 20


def char_setup(cell, seed=0, n_a=24, m=4, T=16, bidirectional=False):
    vocab = Vocab.build(TEXT, kind="char")
    ids = encode_chars(vocab, TEXT)
    starts = [0] + [i + 2 for i in range(len(TEXT) - 1) if TEXT[i:i + 2] == "\n\n"]
    rng = np.random.default_rng(seed)
    cfg = RNNConfig(cell=cell, n_x=len(vocab), n_a=n_a, n_y=len(vocab), dtype="float32",
                    bidirectional=bidirectional)
    model = Model.init(cfg, rng=rng)
    batches = TextStreams(ids, starts[:-1], EOS_ID, len(vocab), m, T, rng)
    return vocab, model, batches


# -- schedules and optimizers -----------------------------------------------------------------


def test_schedule_warmup_and_decays():
    s = Schedule(lr=1.0, total=101, warmup=10, decay="cosine", final_frac=0.1)
    assert s(0) == pytest.approx(0.1)
    assert s(9) == pytest.approx(1.0)
    assert s(10) == pytest.approx(1.0)
    assert s(100) == pytest.approx(0.1)
    assert s(55) == pytest.approx(0.1 + 0.9 * 0.5)                  # halfway: cos(π/2) = 0
    lin = Schedule(lr=2.0, total=11, decay="linear", final_frac=0.5)
    assert [lin(k) for k in (0, 5, 10)] == pytest.approx([2.0, 1.5, 1.0])
    exp = Schedule(lr=1.0, total=3, decay="exponential", final_frac=0.25)
    assert [exp(k) for k in range(3)] == pytest.approx([1.0, 0.5, 0.25])
    assert Schedule(lr=0.3, total=5, decay="constant")(4) == 0.3
    with pytest.raises(ValueError):
        Schedule(decay="step")


def test_adam_matches_the_formula():
    rng = np.random.default_rng(0)
    W0 = rng.standard_normal((3, 2))
    g1, g2 = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    params = {"W": W0.copy()}
    opt = Adam(params, beta1=0.9, beta2=0.99, eps=1e-8)
    opt.step(params, {"W": g1}, lr=0.1)
    opt.step(params, {"W": g2}, lr=0.1)
    m = 0.1 * 0.9 * g1 + 0.1 * g2
    v = 0.01 * 0.99 * g1 ** 2 + 0.01 * g2 ** 2
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.99 ** 2)
    W1 = W0 - 0.1 * g1 / (np.abs(g1) + 1e-8)                        # first step: ±α
    expected = W1 - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(params["W"], expected, rtol=1e-6, atol=1e-7)


def test_sgd_momentum_matches_the_formula():
    params = {"W": np.array([1.0, -2.0])}
    opt = SGD(params, momentum=0.5)
    g = np.array([0.2, 0.4])
    opt.step(params, {"W": g}, lr=0.1)                               # v = g
    opt.step(params, {"W": g}, lr=0.1)                               # v = 0.5 g + g
    np.testing.assert_allclose(params["W"], [1.0, -2.0] - 0.1 * (g + 1.5 * g))


# -- batches ----------------------------------------------------------------------------------


def test_text_streams_are_consecutive_chunks_that_start_at_documents():
    vocab, _, batches = char_setup("rnn", m=3, T=10)
    it = iter(batches)
    first, second = next(it), next(it)
    assert first.x.shape == (len(vocab), 3, 10) and first.y.shape == (3, 10)
    assert not first.carry and second.carry
    ids_in = first.x.argmax(axis=0)                                 # (m, T)
    # every stream starts by reading the start symbol, and then a document's first character
    assert np.all(ids_in[:, 0] == EOS_ID)
    docs = [d for d in TEXT.split("\n\n") if d]
    starts = {vocab.stoi[d[0]] for d in docs}
    assert set(first.y[:, 0].tolist()) <= starts
    # x<t+1> = y<t> within a chunk and across the chunk boundary (state carried)
    np.testing.assert_array_equal(ids_in[:, 1:], first.y[:, :-1])
    np.testing.assert_array_equal(second.x.argmax(axis=0)[:, 0], first.y[:, -1])
    # the streams read the text itself
    stream0 = vocab.decode(first.y[0]) + vocab.decode(second.y[0])
    assert stream0 in TEXT + TEXT


def test_text_streams_epoch_covers_the_text():
    _, _, batches = char_setup("rnn", m=2, T=8)
    assert batches.chunks_per_epoch == (len(TEXT) // 2) // 8
    it = iter(batches)
    epochs = [next(it).epoch for _ in range(batches.chunks_per_epoch + 1)]
    assert epochs[-2] == 0 and epochs[-1] == 1


def test_sequence_batches_group_equal_lengths_and_cover_an_epoch():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 5, size=n) for n in [3, 4, 3, 5, 4, 3, 3, 4]]
    labels = [np.arange(len(s)) % 2 for s in seqs]
    sb = SequenceBatches(seqs, labels, n_x=5, m=2, rng=rng)
    seen = []
    for idx in sb._batches():
        lengths = {len(seqs[i]) for i in idx}
        assert len(lengths) == 1 and len(idx) <= 2
        seen.extend(idx.tolist())
        b = sb.make(idx)
        np.testing.assert_array_equal(b.x.argmax(axis=0), np.stack([seqs[i] for i in idx]))
        assert b.y.shape == (len(idx), lengths.pop())
    assert sorted(seen) == list(range(len(seqs)))


def test_one_hot_layout_and_padding():
    x = one_hot(np.array([[2, -1], [0, 1]]), n_x=3)
    assert x.shape == (3, 2, 2) and x.dtype == np.float32
    assert x[2, 0, 0] == 1 and x[:, 0, 1].sum() == 0 and x[1, 1, 1] == 1


# -- the loop ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_training_lowers_the_loss_on_a_tiny_corpus(cell):
    _, model, batches = char_setup(cell)
    cfg = TrainConfig(steps=150, lr=1e-2, warmup=5, decay="cosine", clip_norm=5.0)
    result = train(model, batches, cfg)
    first = float(np.mean(result.losses[:5]))
    last = float(np.mean(result.losses[-10:]))
    assert first == pytest.approx(np.log(model.config.n_y), rel=0.15)   # uniform at the start
    assert last < 0.5 * first
    assert result.steps == 150 and result.skipped == 0
    assert result.loss_curve[-1][0] == 150


def test_training_is_deterministic_from_the_seed():
    runs = []
    for _ in range(2):
        _, model, batches = char_setup("gru", seed=3)
        train(model, batches, TrainConfig(steps=15, lr=5e-3))
        runs.append(model.params)
    for k in runs[0]:
        np.testing.assert_array_equal(runs[0][k], runs[1][k])
    _, other, batches = char_setup("gru", seed=4)
    train(other, batches, TrainConfig(steps=15, lr=5e-3))
    assert not np.array_equal(other.params["Wu"], runs[0]["Wu"])


def test_global_norm_clipping_bounds_the_sgd_step():
    _, model, batches = char_setup("rnn")
    before = {k: v.copy() for k, v in model.params.items()}
    norms = []
    cfg = TrainConfig(steps=1, optimizer="sgd", lr=1.0, decay="constant", clip_norm=0.01)
    train(model, batches, cfg, callback=lambda p: norms.append((p.grad_norm, p.clipped)))
    step = math.sqrt(sum(float(np.sum((model.params[k] - before[k]) ** 2)) for k in before))
    assert norms[0][0] > 0.01 and norms[0][1]
    assert step == pytest.approx(0.01, rel=1e-3)                     # SGD: ΔW = -α clip(g)


def test_value_clipping_bounds_every_entry():
    _, model, batches = char_setup("lstm")
    before = {k: v.copy() for k, v in model.params.items()}
    cfg = TrainConfig(steps=1, optimizer="sgd", lr=1.0, decay="constant", clip_norm=None,
                      clip_value=1e-4)
    train(model, batches, cfg)
    biggest = max(float(np.max(np.abs(model.params[k] - before[k]))) for k in before)
    assert biggest == pytest.approx(1e-4, rel=1e-3)


def test_carried_state_is_used_across_chunks():
    # A loop that carries the state computes the same loss as one forward over both chunks.
    vocab, model, batches = char_setup("lstm", m=2, T=12)
    it = iter(batches)
    b1, b2 = next(it), next(it)
    whole = model.forward(np.concatenate([b1.x, b2.x], axis=2))
    y = np.concatenate([b1.y, b2.y], axis=1)
    expected = model.loss(whole, y) * 2 / y.size
    losses = []
    train(model, [b1, b2], TrainConfig(steps=2, optimizer="sgd", lr=1e-12, decay="constant"),
          callback=lambda p: losses.append(p.loss))
    assert np.mean(losses) == pytest.approx(expected, rel=1e-5)


def test_callback_can_stop_and_sees_progress():
    _, model, batches = char_setup("rnn")
    seen = []

    def cb(p):
        seen.append((p.step, p.steps, p.fraction, p.lr))
        return p.step < 3

    result = train(model, batches, TrainConfig(steps=50), callback=cb)
    assert result.stopped and result.steps == 3 and [s[0] for s in seen] == [1, 2, 3]
    assert seen[0][1] == 50 and seen[2][2] == pytest.approx(3 / 50)


def test_bidirectional_tagger_learns_a_rule_that_needs_the_next_word():
    # label 1 at a word iff the NEXT word is 3: only the backward direction can see it
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 4, size=6) for _ in range(64)]
    labels = [np.append(s[1:] == 3, 0).astype(int) for s in seqs]
    cfg = RNNConfig(cell="lstm", n_x=4, n_a=8, n_y=2, bidirectional=True, dtype="float32")
    model = Model.init(cfg, rng=rng)
    sb = SequenceBatches(seqs, labels, n_x=4, m=16, rng=rng)
    result = train(model, sb, TrainConfig(steps=150, lr=2e-2))
    assert np.mean(result.losses[-10:]) < 0.25 * np.mean(result.losses[:3])
    pred = model.forward(one_hot(np.stack(seqs), 4))["y_hat"].argmax(axis=0)
    assert np.mean(pred == np.stack(labels)) > 0.97


def test_many_to_one_loss_at_the_last_step():
    rng = np.random.default_rng(1)
    seqs = [rng.integers(0, 3, size=5) for _ in range(48)]
    labels = [int(s[0]) for s in seqs]                      # remember the first token
    cfg = RNNConfig(cell="lstm", n_x=3, n_a=8, n_y=3, head="many_to_one", dtype="float32")
    model = Model.init(cfg, rng=rng)
    result = train(model, SequenceBatches(seqs, labels, 3, 16, rng),
                   TrainConfig(steps=150, lr=2e-2, loss_at="last"))
    assert np.mean(result.losses[-10:]) < 0.2 * np.mean(result.losses[:3])


# -- checkpoints ------------------------------------------------------------------------------


@pytest.mark.parametrize("bidirectional", [False, True])
def test_checkpoint_round_trip_is_exact(tmp_path, bidirectional):
    vocab, model, batches = char_setup("lstm", bidirectional=bidirectional)
    card = {"kind": "tagger", "vocab": vocab.to_dict(), "metrics": {"x": 0.5},
            "loss_curve": [[1, 2.5]]}
    path = save_checkpoint(tmp_path, "m", model, card, "# card\n")
    loaded, meta = load_checkpoint(path)
    assert loaded.config == model.config
    for k, v in model.params.items():
        assert loaded.params[k].dtype == v.dtype == np.float32
        np.testing.assert_array_equal(loaded.params[k], v)
    assert {k: meta[k] for k in card} == card
    assert Vocab.from_dict(meta["vocab"]) == vocab
    assert (tmp_path / "m.md").read_text() == "# card\n"
    with np.load(path, allow_pickle=False) as z:                   # plain arrays, no pickles
        assert set(z.files) == set(model.params)


def test_quick_recipes_keep_the_shipped_code_path():
    for name, recipe in RECIPES.items():
        q = quick_recipe(recipe)
        assert q.cell == recipe.cell and q.kind == recipe.kind
        assert q.bidirectional == recipe.bidirectional and q.train.steps < 50
        assert dataclasses.replace(q.train, steps=recipe.train.steps,
                                   warmup=recipe.train.warmup) == recipe.train
        assert recipe.command == f"python -m rnnviz.train {name}"


def test_word_dropout_replaces_inputs_with_unk_only():
    rng = np.random.default_rng(0)
    seqs = [np.full(50, 3) for _ in range(40)]
    sb = SequenceBatches(seqs, [np.zeros(50, int)] * 40, n_x=5, m=40, rng=rng,
                         unk_dropout=0.2, unk_id=0)
    batch = next(iter(sb))
    ids = batch.x.argmax(axis=0)
    assert set(np.unique(ids).tolist()) == {0, 3}
    assert np.mean(ids == 0) == pytest.approx(0.2, abs=0.03)
    assert np.all(batch.y == 0) and all(np.all(s == 3) for s in seqs)   # data untouched


def test_progress_bar_and_cli_arguments():
    import io

    from rnnviz.train import ProgressBar, main
    from rnnviz.training.loop import Progress

    out = io.StringIO()
    bar = ProgressBar("demo", stream=out, width=10)
    for k in (1, 2, 50, 100):
        bar(Progress(step=k, steps=100, loss=2.0, smooth_loss=1.5, lr=1e-3, grad_norm=0.5,
                     clipped=False, epoch=0, elapsed=k * 0.1, tokens=k))
    lines = out.getvalue().splitlines()
    assert len(lines) == 4 and lines[-1].startswith("demo [##########] 100% step 100/100")
    assert "loss 1.5000" in lines[0] and "ETA" in lines[0]
    with pytest.raises(SystemExit):
        main(["no-such-model"])
