"""What the Training page decides about its data, computed in the package and checked here:
the example sentence, the sequence cap, the attractors that fit, the sweep's settings, the
pace, the best step, the snapshots, the downloads and the work a run does."""

import io
import json
import math

import numpy as np
import pytest
from _work_run import FakeRun

from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model
from rnnviz.training.agreement import (
    DISTANCES,
    FILLERS,
    NOUNS,
    AgreementConfig,
    AgreementTask,
    accuracy_vs_distance,
    agreement_task,
    fit_attractors,
    lm_loss_floor,
)
from rnnviz.training.checkpoint import npz_bytes, safetensors_bytes
from rnnviz.training.race import Race, pace
from rnnviz.training.runs import make_task, race_work, sweep_work
from rnnviz.training.text_lm import TextLMConfig, TextLMTask

SMALL = dict(n_a=8, m=8, n_eval=32)


def test_the_example_is_the_first_held_out_style_sentence_at_the_shortest_distance():
    cfg = AgreementConfig(distance=(7, 30), attractors=2)
    sentence, verb = cfg.example()
    assert (sentence, verb) == agreement_task(7, 1, np.random.default_rng(1), 2)[0]
    words = sentence.split()
    assert len(words) == 2 + 7 and verb == ("was" if words[1] in {s for s, _ in NOUNS}
                                             else "were")
    assert cfg.shortest == 7 and cfg.seq_len == 32
    assert AgreementConfig(distance=12).seq_len == 14 == 12 + len(["the", "cat"])
    assert TextLMConfig(T=48).seq_len == 48


@pytest.mark.parametrize(("asked", "distance", "fits"),
                         [(3, 1, 1), (3, 2, 2), (2, 20, 2), (3, (2, 40), 2), (0, 1, 0)])
def test_attractors_are_cut_to_the_shortest_clause(asked, distance, fits):
    assert fit_attractors(asked, distance) == fits
    AgreementConfig(distance=distance, attractors=fits)      # accepted as it is


def test_the_lm_loss_floor_is_the_entropy_of_the_uniform_fillers():
    assert lm_loss_floor() == pytest.approx(-sum(1 / len(FILLERS) * math.log(1 / len(FILLERS))
                                                 for _ in FILLERS))
    assert lm_loss_floor() == pytest.approx(math.log(26))


def test_the_sweep_repeats_the_run_with_its_own_settings():
    init = InitConfig(scheme="pytorch", forget_bias=0.5)
    cfg = AgreementConfig(distance=30, attractors=3, objective="lm", n_a=12, steps=40,
                          lr=3e-3, clip_norm=None, init=init, seed=7)
    s = cfg.sweep_settings()
    assert s == dict(attractors=3, objective="lm", n_a=12, steps=40, seed=7, lr=3e-3,
                     clip_norm=None, init=init)
    assert AgreementConfig(distance=30, attractors=3).sweep_settings()["attractors"] == \
        min(3, min(DISTANCES))


@pytest.mark.parametrize(("step", "steps", "elapsed", "cap", "rate", "left"), [
    (10, 100, 2.0, 60.0, 5.0, 18.0),          # 90 steps at 5/s
    (10, 100, 2.0, 7.5, 5.0, 7.5),            # the wall-time cap ends it sooner
    (100, 100, 4.0, 60.0, 25.0, 0.0),
    (0, 100, 0.0, 120.0, math.nan, 120.0),    # nothing measured yet: only the cap
    (0, 100, 1.0, 90.0, 0.0, 90.0),
])
def test_pace(step, steps, elapsed, cap, rate, left):
    r, t = pace(step, steps, elapsed, cap)
    assert (math.isnan(r) and math.isnan(rate)) or r == pytest.approx(rate)
    assert t == pytest.approx(left)


def small_race(steps=20, cells=("rnn", "lstm")):
    task = AgreementTask(AgreementConfig(distance=3, steps=steps, **SMALL))
    race = Race(task, list(cells), steps, task.config.train_config(), record_every=5,
                eval_every=5)
    race.run()
    return task, race


def test_best_is_each_cells_highest_evaluation_and_its_first_step():
    _, race = small_race()
    for c, r in race.runs.items():
        values = [e["accuracy"] for _, e in r.evals]
        k, v = race.best("accuracy")[c]
        assert v == max(values)
        assert k == r.evals[values.index(max(values))][0]
        assert [s for s, _ in r.evals] == [5, 10, 15, 20]
    # a hand-made history: learned at step 10, lost it by the end
    run = race.runs["rnn"]
    run.evals = [(5, {"accuracy": 0.5}), (10, {"accuracy": 1.0}), (15, {"accuracy": 1.0}),
                 (20, {"accuracy": 0.6})]
    assert race.best()["rnn"] == (10, 1.0)
    assert race.latest("accuracy")["rnn"] == 0.6


def test_a_snapshot_is_a_copy_of_the_races_numbers():
    _, race = small_race()
    snap = race.snapshot("accuracy")
    assert (snap["step"], snap["steps"], snap["metric"]) == (20, 20, "accuracy")
    for c, r in race.runs.items():
        np.testing.assert_array_equal(snap["losses"][c], r.losses)
        steps, values = snap["evals"][c]
        assert list(steps) == [5, 10, 15, 20]
        assert list(values) == [e["accuracy"] for _, e in r.evals]
        assert list(snap["da_steps"][c]) == [0, 5, 10, 15, 20]
        assert snap["da_norms"][c].shape == (5, 3 + 2)
    race.runs["rnn"].losses.append(123.0)            # the race goes on; the copy does not
    assert 123.0 not in snap["losses"]["rnn"]


def test_the_npz_download_holds_the_parameters_config_and_card():
    task, race = small_race(cells=("gru",))
    model = race.runs["gru"].model
    cfg = task.config
    with np.load(io.BytesIO(npz_bytes(model, cfg, "agreement"))) as f:
        for k, v in model.params.items():
            np.testing.assert_array_equal(f[k], v)
        config = json.loads(str(f["_config"]))
        card = json.loads(str(f["_card"]))
    assert config["cell"] == "gru" and config["n_a"] == 8
    assert card["task"] == "agreement"
    assert card["settings"]["distance"] == 3 and card["settings"]["steps"] == 20
    assert card["init"] == {"scheme": "xavier", "scale": 1.0, "spectral_radius": None,
                            "forget_bias": 1.0}


def test_the_safetensors_download_is_torchs_layout_or_none_for_the_course_gru():
    from safetensors.numpy import load

    from rnnviz.core.torch_layout import to_torch

    task, race = small_race(cells=("lstm", "gru"))
    lstm = race.runs["lstm"].model
    tensors = load(safetensors_bytes(task.in_use(lstm.copy(), "t")))
    expected = to_torch(lstm.config, lstm.params, prefix="rnn.")
    for k in ("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0"):
        matches = [t for name, t in tensors.items() if name.endswith(k)]
        assert len(matches) == 1, k
    np.testing.assert_allclose(
        sum(v for name, v in tensors.items() if name.endswith("weight_hh_l0")),
        expected["rnn.weight_hh_l0"], rtol=1e-6)
    assert safetensors_bytes(task.in_use(race.runs["gru"].model.copy(), "g")) is None


def test_make_task_builds_the_kind_asked_and_refuses_a_mismatch():
    assert isinstance(make_task("agreement", AgreementConfig(**SMALL)), AgreementTask)
    text = "the cat sat on the mat. " * 20
    assert isinstance(make_task("text", TextLMConfig(n_a=8), text), TextLMTask)
    with pytest.raises(ValueError, match="no task"):
        make_task("text", AgreementConfig())
    with pytest.raises(ValueError, match="no task"):
        make_task("images", AgreementConfig())


def test_race_work_stopped_and_resumed_equals_one_run_and_publishes_what_the_page_draws():
    cfg = AgreementConfig(distance=3, steps=20, **SMALL)
    whole = FakeRun()
    assert race_work("agreement", cfg, ["rnn", "gru"])(whole) is True
    parted, work = FakeRun(stop_after=5), race_work("agreement", cfg, ["rnn", "gru"])
    assert work(parted) is False
    assert parted.published[-1]["step"] < 20
    parted.stop_after = None
    assert work(parted) is True
    a, b = whole.published[-1], parted.published[-1]
    assert a["step"] == b["step"] == 20 and a["metric"] == "accuracy"
    for c in ("rnn", "gru"):
        np.testing.assert_array_equal(a["losses"][c], b["losses"][c])
        np.testing.assert_array_equal(a["race"].runs[c].model.params["Wy"],
                                      b["race"].runs[c].model.params["Wy"])
    assert a["baseline"] is None and isinstance(a["task"], AgreementTask)


def test_race_work_on_a_text_keeps_the_last_samples_and_the_baseline():
    text = "the cat sat on the mat. the dog sat on the log. " * 8
    cfg = TextLMConfig(n_a=8, steps=40, T=16)
    run = FakeRun()
    assert race_work("text", cfg, ["lstm"], text, sample_every=5)(run) is True
    last = run.published[-1]
    assert last["metric"] == "bpc"
    assert [s for s, _ in last["samples"]] == [15, 20, 25, 30, 35, 40]
    # The baseline is the Kneser-Ney n-gram fitted on the run's own training split, scored on its
    # held-out characters: refit it here, independently of the task object.
    from rnnviz.data.ngram import CharNGram
    from rnnviz.text import SPECIALS
    from rnnviz.training.text_lm import EVAL_CHARS

    task = last["task"]
    chars = [t for t in task.vocab.itos if t not in SPECIALS]
    kn = CharNGram.fit(task.train_text, order=task.config.order, charset=chars)
    assert last["baseline"] == pytest.approx(kn.bits_per_char(task.valid_text[:EVAL_CHARS]))
    assert 0 < last["baseline"] < np.log2(len(chars))           # better than uniform


def test_sweep_work_gives_the_points_of_accuracy_vs_distance():
    cfg = AgreementConfig(distance=5, steps=20, n_a=8)
    run = FakeRun()
    assert sweep_work(["rnn"], cfg)(run) is True
    points = run.published[-1]["sweep"]["rnn"]
    assert sorted(points) == list(DISTANCES)
    direct = accuracy_vs_distance(["rnn"], DISTANCES[:2], **cfg.sweep_settings())["rnn"]
    assert points[5] == direct[5] and points[10] == direct[10]


def test_pytorch_init_reaches_the_tasks_models():
    cfg = AgreementConfig(distance=3, init=InitConfig(scheme="pytorch", forget_bias=0.0),
                          **SMALL)
    model = AgreementTask(cfg).model("lstm")
    assert isinstance(model, Model)
    k = 1 / np.sqrt(8)
    assert np.any(model.params["bf"] != 0) and np.abs(model.params["bf"]).max() <= 2 * k
    assert np.abs(model.params["Wf"]).max() <= k
