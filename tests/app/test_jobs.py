"""The run manager (rnnviz_app.jobs): caps, the queue, one run per session, stop/resume,
the wall-time cap, session end, dead workers. Real worker processes, no Streamlit script
context; the work is tests/app/_jobs_work.py (importable by name in the workers)."""

import os
import signal
import sys
import time
from functools import partial

import numpy as np
import pytest
from _jobs_work import counting

from rnnviz.training.agreement import AgreementConfig
from rnnviz.training.runs import race_work
from rnnviz_app import jobs


def wait_for(cond, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")


def step_of(run):
    return run.view()[2].get("step", 0)


@pytest.fixture
def managers():
    """Managers whose runs are all ended (workers killed) after the test."""
    made = []

    def make(**kw):
        made.append(jobs.JobManager(**kw))
        return made[-1]

    yield make
    for mgr in made:
        for run in list(mgr._running) + list(mgr._by_session.values()):
            mgr.discard(run)


def test_limits_refuse_values_past_the_caps_with_a_message():
    lim = jobs.Limits()
    lim.check(steps=400, n_a=32, seq_len=22, cells=3)
    for bad, word in [(dict(steps=lim.max_steps + 1), "steps"), (dict(n_a=257), "n_a"),
                      (dict(seq_len=lim.max_seq_len + 1), "long"), (dict(cells=4), "cells"),
                      (dict(text_bytes=1_000_001), "bytes"), (dict(steps=0), "steps")]:
        args = dict(steps=10, n_a=8, seq_len=5, cells=1) | bad
        with pytest.raises(jobs.RunRejected, match=word):
            lim.check(**args)
    assert lim.max_n_a == 256 and lim.max_wall_s <= 120


def test_the_number_of_runs_comes_from_env_or_secrets(monkeypatch):
    monkeypatch.delenv(jobs.ENV_MAX_RUNS, raising=False)
    assert jobs.max_runs_setting() == 2
    assert jobs.max_runs_setting({"training": {"max_runs": 3}}) == 3
    monkeypatch.setenv(jobs.ENV_MAX_RUNS, "5")
    assert jobs.max_runs_setting({"training": {"max_runs": 3}}) == 5
    monkeypatch.setenv(jobs.ENV_MAX_RUNS, "zero")
    with pytest.raises(ValueError, match="positive integer"):
        jobs.max_runs_setting()


def test_at_most_k_run_and_the_rest_queue_in_order(managers):
    mgr = managers(max_running=2)
    runs = [mgr.submit(f"s{i}", "t", partial(counting, budget=40, step_s=0.005))
            for i in range(4)]
    assert [r.status for r in runs] == ["running", "running", "queued", "queued"]
    assert [mgr.position(r) for r in runs] == [0, 0, 1, 2]
    assert mgr.counts() == (2, 2)
    assert runs[2].view()[:2] == ("queued", 1)
    wait_for(lambda: all(r.status == jobs.DONE for r in runs))
    assert [step_of(r) for r in runs] == [40] * 4
    assert mgr.counts() == (0, 0)
    wait_for(lambda: all(not r.process.is_alive() for r in runs))   # finished: worker ends


def test_one_run_per_session(managers):
    mgr = managers(max_running=2)
    first = mgr.submit("s", "t", counting)
    with pytest.raises(jobs.RunRejected, match="already has a run"):
        mgr.submit("s", "t", counting)
    wait_for(lambda: step_of(first) > 0)
    mgr.stop(first)
    wait_for(lambda: first.status == jobs.PAUSED)
    second = mgr.submit("s", "t", partial(counting, budget=2))   # a paused run is replaced
    wait_for(lambda: second.status == jobs.DONE)
    with pytest.raises(jobs.RunRejected, match="replaced"):
        mgr.resume(first)
    wait_for(lambda: not first.process.is_alive())         # and its idle worker is gone


def test_unpicklable_work_is_refused_with_a_message(managers):
    with pytest.raises(TypeError, match="picklable"):
        managers().submit("s", "t", lambda: (lambda run: True))


def test_runs_work_in_another_process_at_a_lower_priority(managers):
    run = managers(nice=10).submit("s", "t", partial(counting, budget=3))
    wait_for(lambda: run.status == jobs.DONE)
    data = run.view()[2]
    assert data["pid"] != os.getpid() and data["pid"] == run.process.pid
    assert data["nice"] == min(19, os.nice(0) + 10)
    if hasattr(os, "SCHED_IDLE"):            # Linux: only CPU time no one else wants
        assert data["policy"] == os.SCHED_IDLE


def test_stop_then_resume_continues_in_the_same_worker(managers):
    mgr = managers(max_running=1)
    run = mgr.submit("s", "t", partial(counting, budget=400))
    wait_for(lambda: step_of(run) >= 20)
    mgr.stop(run)
    wait_for(lambda: run.status == jobs.PAUSED)
    at_stop = step_of(run)
    assert 20 <= at_stop < 400 and mgr.counts() == (0, 0)   # a paused run frees its slot
    time.sleep(0.1)
    assert step_of(run) == at_stop and run.process.is_alive()   # idle, not gone
    pid = run.process.pid
    mgr.resume(run)
    wait_for(lambda: run.status == jobs.DONE)
    assert step_of(run) == 400 and run.view()[2]["pid"] == pid
    with pytest.raises(jobs.RunRejected, match="only a paused run"):
        mgr.resume(run)


def test_a_stopped_and_resumed_training_run_gives_the_uninterrupted_result(managers):
    cfg = AgreementConfig(distance=4, n_a=8, m=8, n_eval=16, steps=150, seed=3)
    make = partial(race_work, "agreement", cfg, ["rnn", "lstm"])
    mgr = managers(max_running=2)
    whole = mgr.submit("a", "whole", make)
    parts = mgr.submit("b", "parts", make)
    wait_for(lambda: 0 < step_of(parts))
    mgr.stop(parts)
    wait_for(lambda: parts.status == jobs.PAUSED)
    stopped_at = step_of(parts)
    mgr.resume(parts)
    wait_for(lambda: whole.status == parts.status == jobs.DONE, timeout=120)
    assert 0 < stopped_at < cfg.steps
    a, b = whole.view()[2], parts.view()[2]
    assert a["step"] == b["step"] == cfg.steps
    for cell in ("rnn", "lstm"):
        assert len(a["losses"][cell]) == cfg.steps
        np.testing.assert_array_equal(a["losses"][cell], b["losses"][cell])
        pa = a["race"].runs[cell].model.params        # the trained models came back
        pb = b["race"].runs[cell].model.params
        assert pa.keys() == pb.keys()
        for name in pa:
            np.testing.assert_array_equal(pa[name], pb[name])


def test_a_queued_run_can_be_stopped_before_it_starts(managers):
    mgr = managers(max_running=1)
    busy = mgr.submit("a", "t", counting)
    waiting = mgr.submit("b", "t", partial(counting, budget=1))
    mgr.stop(waiting)
    assert waiting.status == jobs.PAUSED and mgr.position(waiting) == 0
    wait_for(lambda: step_of(busy) > 0)
    mgr.discard(busy)
    wait_for(lambda: busy.status == jobs.PAUSED)
    assert mgr.run_of("a") is None and not busy.process.is_alive()
    assert mgr.counts() == (0, 0)


def test_the_wall_time_cap_ends_a_run_for_good(managers):
    mgr = managers(max_running=1, limits=jobs.Limits(max_wall_s=0.5))
    t0 = time.monotonic()
    run = mgr.submit("s", "t", counting)
    wait_for(lambda: run.status == jobs.TIMED_OUT)
    assert 0.5 <= time.monotonic() - t0 < 15
    assert step_of(run) > 0 and run.worked_s >= 0.5 and run.time_left_s == 0
    with pytest.raises(jobs.RunRejected):
        mgr.resume(run)


def test_the_wall_time_cap_counts_across_resumes(managers):
    # a cap of 4 s, not 1: on a loaded machine the idle-priority worker can take over a second
    # to see the stop, and the run then timed out before it paused
    cap = 4.0
    mgr = managers(max_running=1, limits=jobs.Limits(max_wall_s=cap))
    run = mgr.submit("s", "t", counting)
    wait_for(lambda: step_of(run) > 0)
    mgr.stop(run)
    wait_for(lambda: run.status == jobs.PAUSED)
    first = run.worked_s
    assert 0 < first < cap
    mgr.resume(run)
    t0 = time.monotonic()
    wait_for(lambda: run.status == jobs.TIMED_OUT)
    assert time.monotonic() - t0 < cap - first + 5      # only the rest of the budget
    assert run.worked_s >= cap


def test_a_run_stops_when_its_session_ends(managers):
    alive = {"s": True, "t": True, "p": True}
    mgr = managers(max_running=2, session_alive=lambda s: alive[s], grace_s=0.05)
    run = mgr.submit("s", "t", counting)
    wait_for(lambda: step_of(run) > 5)
    alive["s"] = False
    wait_for(lambda: run.status == jobs.ENDED)
    assert mgr.run_of("s") is None and not run.process.is_alive()
    # a paused run's idle worker goes too
    paused = mgr.submit("p", "t", counting)
    wait_for(lambda: step_of(paused) > 0)
    mgr.stop(paused)
    wait_for(lambda: paused.status == jobs.PAUSED)
    alive["p"] = False
    wait_for(lambda: paused.status == jobs.ENDED)
    assert not paused.process.is_alive()
    # end_session (an explicit close) also ends it
    other = mgr.submit("t", "t", counting)
    mgr.end_session("t")
    wait_for(lambda: other.status == jobs.ENDED)
    assert mgr.counts() == (0, 0)


def test_a_failing_run_frees_its_slot_and_says_why(managers):
    mgr = managers(max_running=1)
    bad = mgr.submit("a", "t", partial(counting, fail_at=3))
    good = mgr.submit("b", "t", partial(counting, budget=2))
    wait_for(lambda: good.status == jobs.DONE)
    assert bad.status == jobs.FAILED and "RuntimeError: numbers went NaN" in bad.error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals as on Linux")
def test_a_killed_worker_leaves_its_run_failed_with_a_message(managers):
    mgr = managers(max_running=1)
    run = mgr.submit("a", "t", counting)
    after = mgr.submit("b", "t", partial(counting, budget=2))
    wait_for(lambda: step_of(run) > 0)
    os.kill(run.process.pid, signal.SIGKILL)       # as the out-of-memory killer would
    wait_for(lambda: run.status == jobs.FAILED)
    assert "killed by signal 9" in run.error
    wait_for(lambda: after.status == jobs.DONE)     # the slot is free again
    # a paused run whose worker dies fails too (it could not resume)
    paused = mgr.submit("c", "t", counting)
    wait_for(lambda: step_of(paused) > 0)
    mgr.stop(paused)
    wait_for(lambda: paused.status == jobs.PAUSED)
    os.kill(paused.process.pid, signal.SIGKILL)
    wait_for(lambda: paused.status == jobs.FAILED)
    with pytest.raises(jobs.RunRejected, match="only a paused run"):
        mgr.resume(paused)


def test_the_flipflop_trains_in_a_worker_and_returns_models_with_their_accuracy(managers):
    """Task C goes through the same manager (worker process, caps, queue) as the others."""
    from rnnviz.training.flipflop import FlipFlopConfig, FlipFlopTask, accuracy

    cfg = FlipFlopConfig(n_a=6, steps=20, seed=4)
    run = managers(nice=10).submit("s", "flipflop", partial(race_work, "flipflop", cfg,
                                                             ["rnn", "lstm"]))
    wait_for(lambda: run.status == jobs.DONE, timeout=120)
    data = run.view()[2]
    assert data["step"] == 20 and data["metric"] == "accuracy"
    assert isinstance(data["task"], FlipFlopTask)
    for cell in ("rnn", "lstm"):
        model = data["race"].runs[cell].model
        acc = data["evals"][cell][1][-1]
        assert 0 <= acc <= 1
        assert acc == accuracy(model, np.random.default_rng([cfg.seed, 1]), cfg.bits)
