"""The flip-flop task: data generator, training, and the shipped models' cards."""

import numpy as np
import pytest
from _work_run import FakeRun

import rnnviz
from rnnviz.training.flipflop import (
    SHIPPED,
    describe,
    flipflop_data,
    load_flipflop,
    train_flipflop,
)


def test_outputs_hold_the_last_pulse():
    x, y = flipflop_data(5, 80, np.random.default_rng(0), bits=3, p=0.1)
    assert set(np.unique(x)) <= {-1.0, 0.0, 1.0} and np.count_nonzero(x) > 20
    for k in range(3):
        for i in range(5):
            last = 0.0
            for t in range(80):
                if x[k, i, t] != 0:
                    last = x[k, i, t]
                assert y[k, i, t] == last


def test_generator_is_seeded():
    a = flipflop_data(2, 30, np.random.default_rng(4))
    b = flipflop_data(2, 30, np.random.default_rng(4))
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))


def test_short_training_beats_chance_and_lowers_the_loss():
    first = train_flipflop("gru", n_a=8, steps=1, seed=0)
    ff = train_flipflop("gru", n_a=8, steps=150, seed=0)
    assert ff.card["final_loss"] < 0.5 * first.card["final_loss"]
    assert ff.card["accuracy"] > 0.8


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_shipped_flipflop_models_remember(cell):
    ff = load_flipflop(cell)
    assert (SHIPPED / f"flipflop-{cell}.npz").stat().st_size < 1_000_000
    assert ff.card["accuracy"] > 0.99
    x, y = flipflop_data(4, 200, np.random.default_rng(5))
    yh = ff.model.forward(x).rows["z_y"]
    Y = np.transpose(y, (2, 1, 0))
    seen = np.maximum.accumulate(np.abs(Y), axis=0) > 0
    assert (np.sign(yh) == Y)[seen].mean() > 0.99


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_shipped_rnn_and_lstm_have_eight_stable_points_as_their_cards_say(cell):
    """One stable point per memory state (2³ = 8), saddles between them; the card's counts
    are reproduced by `describe` (the GRU's search takes minutes: its card is not re-run)."""
    ff = load_flipflop(cell)
    counts = describe(ff)
    assert counts == ff.card["fixed_points"]
    assert counts["stable"] == 8 and counts["saddle"] >= 1
    x, _ = flipflop_data(1, 300, np.random.default_rng(5))
    res = rnnviz.fixed_points(ff.model, None, n_init=64, states=ff.states(x))
    assert all(p.q < res.tol for p in res.points)


def test_the_flipflop_races_on_the_training_pages_work_and_reports_its_accuracy():
    from rnnviz.training.flipflop import FlipFlopConfig, FlipFlopTask, accuracy
    from rnnviz.training.runs import race_work

    cfg = FlipFlopConfig(n_a=8, steps=40, seed=1)
    run = FakeRun()
    assert race_work("flipflop", cfg, ["rnn", "gru"])(run) is True
    data = run.published[-1]
    assert data["step"] == 40 and data["metric"] == "accuracy"
    task = data["task"]
    assert isinstance(task, FlipFlopTask)
    for cell in ("rnn", "gru"):
        r = data["race"].runs[cell]
        losses = data["losses"][cell]
        assert len(losses) == 40 and losses[-5:].mean() < 0.85 * losses[:5].mean()
        k, last = r.evals[-1]
        assert k == 40
        # the reported accuracy is the accuracy of the returned model on the fixed set
        again = accuracy(r.model, np.random.default_rng([cfg.seed, 1]), cfg.bits)
        assert last["accuracy"] == again and 0.5 < again <= 1
        ff = task.trained(r.model, cell, last["accuracy"])
        assert ff.card["accuracy"] == again and ff.model is not r.model
        assert ff.states(flipflop_data(1, 20, np.random.default_rng(0))[0]).shape == (
            20, 8 * (2 if cell == "lstm" else 1))


def test_the_flipflop_race_stopped_and_resumed_equals_one_run():
    from rnnviz.training.flipflop import FlipFlopConfig
    from rnnviz.training.runs import race_work

    cfg = FlipFlopConfig(n_a=6, steps=16, seed=2)
    whole = FakeRun()
    race_work("flipflop", cfg, ["lstm"])(whole)
    parted, work = FakeRun(stop_after=4), race_work("flipflop", cfg, ["lstm"])
    assert work(parted) is False
    parted.stop_after = None
    assert work(parted) is True
    a, b = whole.published[-1], parted.published[-1]
    np.testing.assert_array_equal(a["losses"]["lstm"], b["losses"]["lstm"])
    np.testing.assert_array_equal(a["race"].runs["lstm"].model.params["Wy"],
                                  b["race"].runs["lstm"].model.params["Wy"])


def test_the_flipflop_gradient_at_the_last_step_is_the_readouts():
    """‖∂L<T_x>/∂a<T_x>‖ = ‖W_yᵀ (ŷ<T_x> − y<T_x>)‖ / m; earlier steps get it through BPTT."""
    from rnnviz.training.flipflop import FlipFlopConfig, FlipFlopTask, readout

    task = FlipFlopTask(FlipFlopConfig(n_a=5, seed=0))
    model = task.model("gru")
    b = task.probe_batch()
    norms = task.da_norm(model, b)
    _, yh = readout(model, b.x)
    m = b.x.shape[1]
    want = np.linalg.norm(model.params["Wy"].T @ (yh[-1] - b.y[:, :, -1].T).T / m)
    assert norms.shape == (b.x.shape[2],)
    assert norms[-1] == pytest.approx(want, rel=1e-10)
    assert np.all(norms[:-1] > 0)


def test_train_flipflop_is_the_step_it_shares_with_the_race():
    """train_flipflop's loop is `flipflop_step` (the shipped models' command is unchanged):
    three steps by hand equal three steps of train_flipflop."""
    from rnnviz.core.model import Model, RNNConfig
    from rnnviz.training.flipflop import flipflop_step
    from rnnviz.training.optim import Adam, Schedule

    ff = train_flipflop("rnn", n_a=6, steps=3, seed=7)
    rng = np.random.default_rng(7)
    model = Model.init(RNNConfig(cell="rnn", n_x=3, n_a=6, n_y=3, dtype="float64"), rng)
    opt, sched = Adam(model.params), Schedule(lr=1e-2, total=3, warmup=50)
    for k in range(3):
        loss, _ = flipflop_step(model, opt, *flipflop_data(32, 60, rng), sched(k))
    assert loss == ff.card["final_loss"]
    for name, v in model.params.items():
        np.testing.assert_array_equal(v, ff.model.params[name])
