"""Figures of the Training page: what they plot is the run's own numbers."""

import numpy as np
import pytest
from _fig_spec import spec

from rnnviz.figures import training as F


def test_smooth_is_a_bias_corrected_moving_average():
    x = np.array([1.0, 3.0, np.nan, 2.0])
    b = 0.9
    # by hand: weights (1-b) b^k over the finite values, normalised
    expected_2 = ((1 - b) * b * 1 + (1 - b) * 3) / ((1 - b) * b + (1 - b))
    out = F.smooth(x, b)
    assert out[0] == pytest.approx(1.0) and out[1] == pytest.approx(expected_2)
    assert out[2] == pytest.approx(expected_2)            # a NaN step keeps the average


def test_loss_figure_plots_every_cell_raw_and_smoothed():
    losses = {"rnn": np.linspace(0.7, 0.1, 50), "lstm": np.linspace(0.7, 0.3, 50)}
    d = spec(F.loss_figure(losses))
    named = {t["name"]: t for t in d["data"]}
    assert set(named) == {"RNN", "RNN (per batch)", "LSTM", "LSTM (per batch)"}
    assert np.allclose(named["RNN (per batch)"]["y"], losses["rnn"], atol=1e-6)
    assert np.allclose(named["LSTM"]["y"], F.smooth(losses["lstm"]), atol=1e-6)
    assert list(named["RNN"]["x"][[0, -1]]) == [1, 50]
    long = spec(F.loss_figure({"gru": np.ones(5000)}))
    assert len(long["data"][0]["x"]) <= F.MAX_POINTS


def test_metric_figure_in_percent_with_chance_or_the_baseline():
    evals = {"gru": (np.array([10, 20]), np.array([0.5, 0.75]))}
    d = spec(F.metric_figure(evals, "accuracy"))
    assert list(d["data"][0]["y"]) == [50, 75]
    assert d["layout"]["shapes"][0]["y0"] == 50
    b = spec(F.metric_figure({"gru": (np.array([10]), np.array([3.2]))}, "bpc", baseline=2.5))
    assert b["data"][0]["y"][0] == pytest.approx(3.2) and b["layout"]["shapes"][0]["y0"] == 2.5
    with pytest.raises(ValueError):
        F.metric_figure(evals, "perplexity")


def test_gradient_heatmaps_share_one_log_scale():
    norms = {"rnn": np.array([[1e-6, 1e-3, 1.0]] * 2), "lstm": np.array([[1e-2, 1e-1, 1.0]] * 2)}
    steps = {"rnn": np.array([0, 10]), "lstm": np.array([0, 10])}
    d = spec(F.da_heatmap_figure(steps, norms))
    z = [np.asarray(t["z"]) for t in d["data"]]
    assert np.allclose(z[0], np.log10(norms["rnn"])) and np.allclose(z[1], np.log10(norms["lstm"]))
    assert {t["zmin"] for t in d["data"]} == {-6} and {t["zmax"] for t in d["data"]} == {0}
    now = spec(F.da_now_figure({c: v[-1] for c, v in norms.items()}, 10))
    assert np.allclose(now["data"][0]["y"], norms["rnn"][-1])
    assert now["layout"]["yaxis"]["type"] == "log"


def test_sweep_figure_plots_accuracy_against_distance():
    d = spec(F.sweep_figure({"rnn": {40: 0.5, 5: 1.0, 10: 1.0}}))
    assert list(d["data"][0]["x"]) == [5, 10, 40]
    assert list(d["data"][0]["y"]) == [100, 100, 50]


@pytest.mark.parametrize("final, words", [
    ({"rnn": 1.0, "gru": 0.99, "lstm": 1.0}, "do not separate them"),
    ({"rnn": 0.5, "gru": 0.47, "lstm": 0.55}, "No cell got past chance"),
    ({"rnn": 1.0, "gru": 0.5, "lstm": 0.8}, "RNN learned it"),
])
def test_the_words_come_from_the_numbers(final, words):
    text = F.describe_race(final)
    assert words in text
    for cell, v in final.items():
        assert f"{F.NAMES[cell]} {100 * v:.0f}%" in text
    mixed = F.describe_race({"rnn": 1.0, "gru": 0.5, "lstm": 0.8})
    assert "GRU stayed at chance" in mixed and "LSTM only partly" in mixed


def test_bpc_words_compare_with_the_baseline():
    assert "RNN beat it" in F.describe_race({"rnn": 2.0, "gru": 3.0}, "bpc", baseline=2.5)
    assert "no cell beats it" in F.describe_race({"rnn": 3.0}, "bpc", baseline=2.5)


def test_a_cell_that_learned_and_lost_it_is_named():
    text = F.describe_race({"lstm": 0.5, "rnn": 1.0}, best={"lstm": (60, 0.96), "rnn": (400, 1.0)})
    assert "LSTM reached 96% at step 60, then fell back to 50%" in text
    assert "RNN reached" not in text


def test_describe_flipflop_says_who_holds_the_bits_from_the_numbers():
    text = F.describe_flipflop({"rnn": 0.995, "gru": 0.52, "lstm": 0.8})
    assert "RNN 99.5%, GRU 52.0%, LSTM 80.0%" in text
    assert "RNN holds all three bits" in text
    assert "LSTM only partly" in text and "GRU stayed near chance" in text
    assert "RNN and LSTM hold all three bits" in F.describe_flipflop({"rnn": 1.0, "lstm": 0.99})
    assert F.describe_flipflop({}) == ""
