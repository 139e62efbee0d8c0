"""The run manager (rnnviz_app.jobs): caps, the queue, one run per session, stop/resume,
the wall-time cap, session end. Plain threads, no Streamlit script context."""

import os
import sys
import threading
import time

import pytest

from rnnviz_app import jobs


def wait_for(cond, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.005)
    raise AssertionError("condition not reached in time")


class Steps:
    """A work function that counts steps until its budget, a stop, or `gate` is closed."""

    def __init__(self, budget=10**9, gate: threading.Event | None = None):
        self.budget, self.gate, self.done = budget, gate, 0

    def __call__(self, run: jobs.Run) -> bool:
        while self.done < self.budget:
            if run.should_stop():
                return False
            if self.gate is not None and not self.gate.wait(timeout=0.005):
                continue
            self.done += 1
            run.publish({"step": self.done})
            time.sleep(0.001)
        run.publish({"step": self.done}, force=True)
        return True


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


def test_at_most_k_run_and_the_rest_queue_in_order():
    gate = threading.Event()
    mgr = jobs.JobManager(max_running=2)
    runs = [mgr.submit(f"s{i}", "t", Steps(budget=3, gate=gate)) for i in range(4)]
    assert [r.status for r in runs] == ["running", "running", "queued", "queued"]
    assert [mgr.position(r) for r in runs] == [0, 0, 1, 2]
    assert mgr.counts() == (2, 2)
    assert runs[2].view()[:2] == ("queued", 1)
    gate.set()
    wait_for(lambda: all(r.status == jobs.DONE for r in runs))
    assert all(r.view()[2] == {"step": 3} for r in runs)
    assert mgr.counts() == (0, 0)


def test_one_run_per_session():
    gate = threading.Event()
    mgr = jobs.JobManager(max_running=2)
    first = mgr.submit("s", "t", Steps(gate=gate))
    with pytest.raises(jobs.RunRejected, match="already has a run"):
        mgr.submit("s", "t", Steps())
    mgr.stop(first)
    wait_for(lambda: first.status == jobs.PAUSED)
    second = mgr.submit("s", "t", Steps(budget=2))      # a paused run can be replaced
    wait_for(lambda: second.status == jobs.DONE)
    with pytest.raises(jobs.RunRejected, match="replaced"):
        mgr.resume(first)


def test_stop_then_resume_continues_the_same_work():
    work = Steps(budget=400)
    mgr = jobs.JobManager(max_running=1)
    run = mgr.submit("s", "t", work)
    wait_for(lambda: work.done >= 20)
    mgr.stop(run)
    wait_for(lambda: run.status == jobs.PAUSED)
    at_stop = work.done
    assert 20 <= at_stop < 400
    time.sleep(0.05)
    assert work.done == at_stop                         # nothing runs while paused
    mgr.resume(run)
    wait_for(lambda: run.status == jobs.DONE)
    assert work.done == 400
    with pytest.raises(jobs.RunRejected, match="only a paused run"):
        mgr.resume(run)


def test_a_queued_run_can_be_stopped_before_it_starts():
    gate = threading.Event()
    mgr = jobs.JobManager(max_running=1)
    busy = mgr.submit("a", "t", Steps(gate=gate))
    waiting = mgr.submit("b", "t", Steps(budget=1))
    mgr.stop(waiting)
    assert waiting.status == jobs.PAUSED and mgr.position(waiting) == 0
    mgr.discard(busy)
    wait_for(lambda: busy.status == jobs.PAUSED)
    assert mgr.run_of("a") is None


def test_the_wall_time_cap_ends_a_run_for_good():
    mgr = jobs.JobManager(max_running=1, limits=jobs.Limits(max_wall_s=0.3))
    t0 = time.monotonic()
    run = mgr.submit("s", "t", Steps())
    wait_for(lambda: run.status == jobs.TIMED_OUT)
    assert 0.3 <= time.monotonic() - t0 < 3
    assert run.worked_s >= 0.3 and run.time_left_s == 0
    with pytest.raises(jobs.RunRejected):
        mgr.resume(run)


def test_a_run_stops_when_its_session_ends():
    alive = {"s": True}
    mgr = jobs.JobManager(max_running=1, session_alive=lambda s: alive[s], grace_s=0.05)
    work = Steps()
    run = mgr.submit("s", "t", work)
    wait_for(lambda: work.done > 5)
    alive["s"] = False
    wait_for(lambda: run.status == jobs.ENDED)
    assert mgr.run_of("s") is None and mgr.counts() == (0, 0)
    # end_session (an explicit close) also stops it
    alive["t"] = True
    other = mgr.submit("t", "t", Steps())
    mgr.end_session("t")
    wait_for(lambda: other.status == jobs.ENDED)


def test_a_failing_run_frees_its_slot_and_says_why():
    def boom(run):
        raise RuntimeError("numbers went NaN")

    mgr = jobs.JobManager(max_running=1)
    bad = mgr.submit("a", "t", boom)
    good = mgr.submit("b", "t", Steps(budget=2))
    wait_for(lambda: good.status == jobs.DONE)
    assert bad.status == jobs.FAILED and "numbers went NaN" in bad.error


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_runs_work_at_a_lower_priority_than_the_sessions():
    seen = {}

    def work(run):
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        return True

    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    run = jobs.JobManager(nice=10).submit("s", "t", work)
    wait_for(lambda: run.status == jobs.DONE)
    assert seen["nice"] == min(19, mine + 10)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine


def test_a_run_pauses_between_steps_for_its_yield_fraction():
    def work(run):
        busy = 0.0
        for _ in range(20):
            run.should_stop()
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < 0.01:     # 10 ms of work per step
                pass
            busy += time.perf_counter() - t0
        run.publish({"busy": busy}, force=True)
        return True

    run = jobs.JobManager(yield_fraction=0.5).submit("s", "t", work)
    wait_for(lambda: run.status == jobs.DONE)
    busy = run.view()[2]["busy"]
    # 19 pauses of half the time worked since the previous check (>= 10 ms each)
    assert run.worked_s >= busy + 0.5 * 19 * 0.01
