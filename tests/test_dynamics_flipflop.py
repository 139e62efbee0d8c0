"""The flip-flop task: data generator, training, and the shipped models' cards."""

import numpy as np
import pytest

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
