"""Number units and their ablation, on an agreement network built by hand to carry number."""

import numpy as np
import pytest

from rnnviz.core.model import Model, RNNConfig
from rnnviz.training.agreement import (
    NOUNS,
    AgreementConfig,
    AgreementResult,
    _held_out,
    _verb_states,
    ablation_effect,
    number_units,
    unit_means,
    vocab,
)
from rnnviz.training.agreement_seeds import seed_table, summarize

N_A = 12


def built_result(seed=0) -> AgreementResult:
    """An RNN where unit 0 holds the subject's number for ever (a = tanh(3 a + ±5 noun)),
    unit 1 holds it for a few words only (a leak of 0.5 and noise from every filler), and
    units 2.. are noise the head barely reads. Ablating unit 0 must break long L only."""
    v = vocab()
    rng = np.random.default_rng(seed)
    n_x = len(v)
    Wax = np.zeros((N_A, n_x))
    Waa = np.zeros((N_A, N_A))
    for sing, plur in NOUNS:
        Wax[0, v.stoi[sing]], Wax[0, v.stoi[plur]] = 5.0, -5.0
        Wax[1, v.stoi[sing]], Wax[1, v.stoi[plur]] = 2.0, -2.0
    fillers = [i for w, i in v.stoi.items() if w not in {x for p in NOUNS for x in p}]
    Wax[1, fillers] = rng.normal(0, 0.1, len(fillers))
    Wax[2:, :] = rng.normal(0, 1.0, (N_A - 2, n_x))
    Waa[0, 0], Waa[1, 1] = 3.0, 0.5
    Wy = np.zeros((2, N_A))
    Wy[:, 0], Wy[:, 1] = [20.0, -20.0], [20.0, -20.0]
    Wy[:, 2:] = rng.normal(0, 0.05, (2, N_A - 2))
    cfg = RNNConfig(cell="rnn", n_x=n_x, n_a=N_A, n_y=2, head="many_to_one")
    net = Model(cfg, {"Wax": Wax, "Waa": Waa, "ba": np.zeros((N_A, 1)), "Wy": Wy,
                      "by": np.zeros((2, 1))})
    return AgreementResult(cell="rnn", accuracy=1.0, losses=np.zeros(0), eval_curve=[],
                           model=None, network=net, time_s=0.0,
                           config=AgreementConfig(distance=20, n_a=N_A))


def test_the_built_number_unit_ranks_first():
    ranked = number_units(built_result(), k=3)
    assert ranked[0]["unit"] == 0
    assert ranked[0]["mean_singular"] > 0.9 and ranked[0]["mean_plural"] < -0.9
    assert abs(ranked[0]["d_prime"]) > 5 * abs(ranked[1]["d_prime"])


def test_ablating_the_number_unit_breaks_long_distances_and_random_units_do_not():
    rows = {r["distance"]: r for r in ablation_effect(built_result(), [0], distances=(2, 20),
                                                      n=200, draws=20)}
    long, short = rows[20], rows[2]
    assert long["intact"] == 1.0 and short["intact"] == 1.0
    assert long["ablated"] < 0.75                 # the short-lived unit 1 cannot bridge L = 20
    assert short["ablated"] > 0.95                # ... but it bridges two words
    assert long["random_mean"] > 0.97 and long["random_min"] > 0.9
    assert long["random_mean"] - long["ablated"] > 0.2


def test_mean_ablation_sets_the_unit_to_its_mean_at_every_step():
    res = built_result()
    mean = unit_means(res)
    assert mean["c"] is None                                  # an RNN has no c<t>
    ids, _ = _held_out(res.config, 6, 8, 0, stream=9)
    a = _verb_states(res.network, ids, [0, 3], mean)
    np.testing.assert_allclose(a[:, :, 0], mean["a"][0])
    np.testing.assert_allclose(a[:, :, 3], mean["a"][3])
    intact = _verb_states(res.network, ids)
    np.testing.assert_allclose(intact, res.network.forward(
        np.moveaxis(np.eye(res.network.config.n_x)[ids], 2, 0)).rows["a"], atol=1e-12)


def test_an_lstm_unit_is_ablated_in_a_and_c():
    cfg = AgreementConfig(distance=5, n_a=6)
    net = Model.init(RNNConfig(cell="lstm", n_x=len(vocab()), n_a=6, n_y=2,
                               head="many_to_one"), rng=np.random.default_rng(0))
    res = AgreementResult("lstm", 0.5, np.zeros(0), [], None, net, 0.0, cfg)
    mean = unit_means(res)
    ids, _ = _held_out(cfg, 5, 4, 0, stream=9)
    A, C = _verb_states(net, ids, [2], mean, with_c=True)
    np.testing.assert_allclose(A[:, :, 2], mean["a"][2])
    np.testing.assert_allclose(C[:, :, 2], mean["c"][2])
    A0, C0 = _verb_states(net, ids, with_c=True)
    assert not np.allclose(C[:, :, 0], C0[:, :, 0])           # the others feel it


def test_bad_units_are_refused():
    with pytest.raises(ValueError, match="0..11"):
        ablation_effect(built_result(), [12])
    with pytest.raises(ValueError, match="non-empty"):
        ablation_effect(built_result(), [])


def test_seed_summary_and_the_shipped_table():
    s = summarize([0.5, 1.0, 0.75])
    assert s["mean"] == pytest.approx(0.75) and s["std"] == pytest.approx(0.25)
    assert (s["min"], s["max"], s["n"]) == (0.5, 1.0, 3)
    table = seed_table()
    assert set(table["cells"]) == {"rnn", "gru", "lstm"}
    assert "agreement_seeds" in table["command"]
    for byL in table["cells"].values():
        for cell in byL.values():
            assert cell["n"] >= 5 and 0 <= cell["min"] <= cell["mean"] <= cell["max"] <= 1


def test_the_shipped_table_reaches_l_80_and_its_command_says_so():
    table = seed_table()
    for cell, byL in table["cells"].items():
        assert sorted(byL) == [5, 10, 20, 40, 80], cell
    assert table["command"].endswith("--distances 5 10 20 40 80")
    assert table["settings"]["distances"] == [5, 10, 20, 40, 80]


def test_added_runs_join_the_table_and_replace_their_own_seed():
    from rnnviz.training.agreement_seeds import merge

    settings = {"objective": "direct", "steps": 400, "seeds": [0, 1], "distances": [5]}
    old = {"settings": settings, "command": "x", "runs": [
        {"cell": "rnn", "L": 5, "seed": s, "accuracy": 1.0} for s in (0, 1)]}
    new = {"settings": dict(settings, seeds=[1, 2], distances=[80]), "command": "y", "runs": [
        {"cell": "rnn", "L": 5, "seed": 1, "accuracy": 0.5},
        {"cell": "rnn", "L": 80, "seed": 2, "accuracy": 0.6}]}
    got = merge(old, new)
    assert [(r["L"], r["seed"], r["accuracy"]) for r in got["runs"]] == [
        (5, 0, 1.0), (5, 1, 0.5), (80, 2, 0.6)]
    assert got["settings"]["distances"] == [5, 80] and got["settings"]["seeds"] == [0, 1, 2]
    assert got["command"].endswith("--distances 5 80 --seeds 0 1 2 --cells rnn")
    with pytest.raises(ValueError, match="different settings"):
        merge(old, {**new, "settings": dict(new["settings"], steps=100)})


def test_the_reference_of_an_agreement_model_is_held_out_sentences_of_its_task():
    from rnnviz.training.agreement import reference_text, vocab

    card = {"distance": 10, "attractors": 1, "seed": 0}
    text = reference_text(card, n=50)
    v = vocab()
    words = text.split()
    assert all(w in v.stoi for w in words)                      # every word is the task's
    assert words.count("was") + words.count("were") == 50      # one verb per sentence
    assert reference_text(card, n=50) == text                  # its own seeded stream
    assert reference_text(dict(card, seed=1), n=50) != text
