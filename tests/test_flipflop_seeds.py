"""The flip-flop over several seeds (rnnviz.training.flipflop_seeds): the command on a tiny
configuration writes the shipped table's structure; the shipped table is consistent; the
words about the course story are computed from the numbers."""

import json

import numpy as np
import pytest

from rnnviz.training.flipflop_seeds import QUANTITIES, SHIPPED, main, seed_table, story

COUNTS = ("stable", "saddle", "marginal", "unstable", "slow")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("seeds") / "t.json"
    main(["--cells", "rnn", "lstm", "--seeds", "0", "1", "--steps", "5", "--n-a", "4",
          "--out", str(out)])
    return out


def test_the_command_on_a_tiny_configuration_writes_the_shipped_structure(tiny):
    small, shipped = json.loads(tiny.read_text()), json.loads(SHIPPED.read_text())
    assert small.keys() == shipped.keys() == {"settings", "command", "runs"}
    assert small["settings"].keys() == shipped["settings"].keys()
    assert small["settings"]["steps"] == 5 and small["settings"]["n_a"] == 4
    assert [(r["cell"], r["seed"]) for r in small["runs"]] == [
        ("rnn", 0), ("rnn", 1), ("lstm", 0), ("lstm", 1)]
    assert all(r.keys() == shipped["runs"][0].keys() for r in small["runs"])
    assert "--steps 5" in small["command"] and "flipflop_seeds" in small["command"]
    t = seed_table(tiny)
    assert t["cells"].keys() == {"rnn", "lstm"}
    assert all(per.keys() == set(QUANTITIES) for per in t["cells"].values())
    acc = [r["accuracy"] for r in small["runs"] if r["cell"] == "rnn"]
    assert t["cells"]["rnn"]["accuracy"]["mean"] == pytest.approx(np.mean(acc))


def test_the_same_seed_gives_the_same_row(tiny):
    from rnnviz.training.flipflop_seeds import one_run

    again = one_run("lstm", 1, 5, 4)
    row = next(r for r in json.loads(tiny.read_text())["runs"]
               if (r["cell"], r["seed"]) == ("lstm", 1))
    assert {k: v for k, v in again.items() if k != "wall_s"} == \
        {k: v for k, v in row.items() if k != "wall_s"}


def test_the_shipped_table_is_consistent():
    data = json.loads(SHIPPED.read_text())
    t = seed_table()
    assert set(t["cells"]) == {"rnn", "gru", "lstm"} and t["memories"] == 8
    assert len(data["settings"]["seeds"]) >= 5
    for cell, per in t["cells"].items():
        runs = [r for r in data["runs"] if r["cell"] == cell]
        assert sorted(r["seed"] for r in runs) == sorted(data["settings"]["seeds"])
        for r in runs:
            assert 0.0 <= r["accuracy"] <= 1.0
            assert all(isinstance(r[k], int) and r[k] >= 0 for k in COUNTS)
        assert per["stable"]["n"] >= 5
        assert per["stable"]["mean"] == pytest.approx(np.mean([r["stable"] for r in runs]))
        assert per["saddle"]["std"] == pytest.approx(np.std([r["saddle"] for r in runs],
                                                            ddof=1))
        assert t["one_per_memory"][cell] == sum(r["stable"] == 8 for r in runs)
    assert data["command"].startswith("OMP_NUM_THREADS=1") and "flipflop_seeds" in data["command"]


def _table(stable, acc=1.0):
    runs = [{"cell": "gru", "seed": i, "accuracy": acc, "final_loss": 0.0, "stable": s,
             "saddle": 3, "marginal": 0, "unstable": 0, "slow": 0}
            for i, s in enumerate(stable)]
    from rnnviz.training.flipflop_seeds import summarize
    per = {q: summarize([r[q] for r in runs]) for q in QUANTITIES}
    return {"settings": {"bits": 3}, "command": "", "memories": 8, "cells": {"gru": per},
            "one_per_memory": {"gru": sum(s == 8 for s in stable)}}


def test_the_story_says_plainly_where_it_does_not_hold():
    assert "the story holds** in all 5 seeds" in story(_table([8] * 5), "gru")
    text = story(_table([8, 8, 4, 7, 8]), "gru")
    assert "holds in only 3 of 5 seeds" in text and "from 4 to 8" in text
    card = {"seed": 0, "steps": 3000, "accuracy": 1.0,
            "fixed_points": {"stable": 1, "saddle": 17, "marginal": 0, "slow": 40}}
    shipped = story(_table([8] * 5), "gru", card)
    assert "1 stable point, 17 saddles" in shipped and "**not** the story's 8" in shipped
    card["fixed_points"]["stable"] = 8
    assert "as the story says" in story(_table([8] * 5), "gru", card)
