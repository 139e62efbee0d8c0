"""The server-wide manager of training runs: training must never make the app unusable.

Every run works in its own thread, outside the script thread of the session that asked for
it. The manager (one per server process, held by `st.cache_resource` in `manager()`) admits

* at most one run per session (queued, running or paused: a new one replaces a paused one);
* at most `max_running` runs at a time server-wide (default 2; env `RNNVIZ_TRAINING_RUNS` or
  `[training] max_runs` in .streamlit/secrets.toml); the others wait in a first-come queue
  and each sees its position;
* hard caps (`Limits`): steps, n_a, sequence length, text size, and wall time per run: a run
  that has worked for `max_wall_s` seconds in total (across resumes) stops for good;
* a run stops when its session ends (`session_alive` false for `grace_s` seconds);
* a run's thread runs at a lower scheduling priority (nice + 10 on Linux) and pauses
  between steps for a quarter of the time it worked (`yield_fraction`), so the script
  threads of every session get the cores and the GIL.

A run's thread publishes what the page shows (a small dict of copied arrays) into the run
under a lock at most `publish_every` seconds apart; the page reads it in a fragment that
reruns on a timer (`@st.fragment(run_every=...)`), so only the live view is redrawn.

Only `manager()`, `session_id()` and the session check use Streamlit, so the caps and the
queue are tested with plain threads, without a script context.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

ENV_MAX_RUNS = "RNNVIZ_TRAINING_RUNS"
DEFAULT_MAX_RUNS = 2

# Statuses. "paused": stopped by its user, can resume; the others after "running" are final.
QUEUED, RUNNING, PAUSED, DONE, TIMED_OUT, ENDED, FAILED = (
    "queued", "running", "paused", "done", "time limit", "session ended", "failed")
ACTIVE = (QUEUED, RUNNING)
FINAL = (DONE, TIMED_OUT, ENDED, FAILED)


class RunRejected(ValueError):
    """A run the caps or the one-per-session rule do not allow; the message says why."""


@dataclass(frozen=True)
class Limits:
    """Hard caps of every run (the page's widgets cannot go past them either)."""

    max_steps: int = 2000            # optimizer steps per cell
    max_n_a: int = 256               # hidden units
    max_seq_len: int = 128           # T_x of a training sequence (words or characters)
    max_text_bytes: int = 1_000_000  # Task B: the text to learn (UTF-8 bytes)
    max_cells: int = 3
    max_wall_s: float = 120.0        # seconds of work per run, across resumes

    def check(self, *, steps: int, n_a: int, seq_len: int, cells: int = 1,
              text_bytes: int = 0) -> None:
        """RunRejected with a plain message when one value is past its cap."""
        problems = []
        if not 1 <= steps <= self.max_steps:
            problems.append(f"steps must be between 1 and {self.max_steps} (got {steps})")
        if not 1 <= n_a <= self.max_n_a:
            problems.append(f"n_a must be between 1 and {self.max_n_a} (got {n_a})")
        if not 1 <= seq_len <= self.max_seq_len:
            problems.append(f"sequences must be 1 to {self.max_seq_len} steps long "
                            f"(got {seq_len})")
        if not 1 <= cells <= self.max_cells:
            problems.append(f"choose 1 to {self.max_cells} cells (got {cells})")
        if text_bytes > self.max_text_bytes:
            problems.append(f"the text is {text_bytes:,} bytes; at most "
                            f"{self.max_text_bytes:,} can be trained on")
        if problems:
            raise RunRejected("; ".join(problems) + ".")


def max_runs_setting(secrets: dict | None = None) -> int:
    """K, the runs allowed at once: env RNNVIZ_TRAINING_RUNS, else secrets
    `[training] max_runs`, else 2. A value that is not a positive integer is an error."""
    raw = os.environ.get(ENV_MAX_RUNS)
    if raw is None and secrets:
        raw = (secrets.get("training") or {}).get("max_runs")
    if raw is None:
        return DEFAULT_MAX_RUNS
    try:
        k = int(raw)
    except (TypeError, ValueError):
        k = 0
    if k < 1:
        raise ValueError(f"{ENV_MAX_RUNS} / [training] max_runs must be a positive integer, "
                         f"got {raw!r}")
    return k


def _lower_priority(delta: int) -> None:
    """Raise this thread's nice value by `delta` (Linux: every thread is a task with its own
    priority), so the scheduler serves the sessions' script threads before training."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid)
                                                 + delta))
    except (AttributeError, OSError):    # not Linux, or not allowed: train at normal priority
        pass


class Run:
    """One training run. `work(run)` does the training in the run's thread: it must call
    `run.should_stop()` between steps and `run.publish(...)` with what the page shows, and
    return True when its budget is spent (False when it stopped early)."""

    def __init__(self, run_id: int, session: str, label: str,
                 work: Callable[[Run], bool], manager: JobManager):
        self.id, self.session, self.label = run_id, session, label
        self._work, self._manager = work, manager
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._data: dict = {}
        self.status = QUEUED
        self.error = ""
        self.worked_s = 0.0          # seconds of work so far (all resumes)
        self._started_at: float | None = None
        self.thread: threading.Thread | None = None
        self.last_published = 0.0
        self._last_check: float | None = None

    # -- called from the run's thread ----------------------------------------------------------

    def should_stop(self) -> bool:
        """True when the user stopped, the wall-time cap is reached or the session ended.

        Called between steps, it also pauses for `yield_fraction` of the time worked since
        the last call: the GIL and the cores go to the sessions' script threads meanwhile.
        """
        now = time.monotonic()
        if self._last_check is not None and self._manager.yield_fraction > 0:
            time.sleep(self._manager.yield_fraction * (now - self._last_check))
        self._last_check = time.monotonic()
        if self._stop.is_set():
            return True
        if self.worked_s + self._running_for() >= self._manager.limits.max_wall_s:
            self._final_reason = TIMED_OUT
            return True
        if not self._manager._session_is_alive(self.session):
            self._final_reason = ENDED
            return True
        return False

    def publish(self, data: dict, force: bool = False) -> None:
        """Store what the page shows (replace the whole dict; its arrays must be copies)."""
        now = time.monotonic()
        if not force and now - self.last_published < self._manager.publish_every:
            return
        self.last_published = now
        with self._lock:
            self._data = data

    def due(self) -> bool:
        """Whether `publish` would store now (lets the work skip building the dict)."""
        return time.monotonic() - self.last_published >= self._manager.publish_every

    def _running_for(self) -> float:
        return 0.0 if self._started_at is None else time.monotonic() - self._started_at

    # -- read by the page ----------------------------------------------------------------------

    def view(self) -> tuple[str, int, dict]:
        """(status, queue position (1 = next; 0 when not queued), the published data)."""
        with self._lock:
            data = self._data
        return self.status, self._manager.position(self), data

    @property
    def time_left_s(self) -> float:
        """Seconds of work left before the wall-time cap."""
        return max(0.0, self._manager.limits.max_wall_s - self.worked_s - self._running_for())

    # -- the thread ----------------------------------------------------------------------------

    def _main(self) -> None:
        _lower_priority(self._manager.nice)
        self._final_reason = None
        self._last_check = None
        self._started_at = time.monotonic()
        try:
            finished = bool(self._work(self))
            status = DONE if finished else (self._final_reason or PAUSED)
        except Exception as exc:          # shown on the page: the run failed, the app did not
            self.error = f"{type(exc).__name__}: {exc}"
            status = FAILED
        self.worked_s += self._running_for()
        self._started_at = None
        if status == PAUSED and self.worked_s >= self._manager.limits.max_wall_s:
            status = TIMED_OUT
        self._manager._finished(self, status)


class JobManager:
    """Admits, queues and starts runs (see the module docstring). Thread-safe."""

    def __init__(self, max_running: int = DEFAULT_MAX_RUNS, limits: Limits | None = None,
                 session_alive: Callable[[str], bool] | None = None, grace_s: float = 10.0,
                 publish_every: float = 0.25, nice: int = 10, yield_fraction: float = 0.25):
        if max_running < 1:
            raise ValueError("max_running must be >= 1")
        self.max_running = max_running
        self.limits = limits or Limits()
        self.publish_every = publish_every
        self.nice = nice                 # how much lower a run's thread is scheduled
        self.yield_fraction = yield_fraction   # pause / work between steps
        self._alive = session_alive
        self.grace_s = grace_s
        self._gone_since: dict[str, float] = {}
        self._lock = threading.RLock()
        self._queue: list[Run] = []
        self._running: list[Run] = []
        self._by_session: dict[str, Run] = {}
        self._ids = itertools.count(1)

    def _session_is_alive(self, session: str) -> bool:
        if self._alive is None or self._alive(session):
            self._gone_since.pop(session, None)
            return True
        first = self._gone_since.setdefault(session, time.monotonic())
        return time.monotonic() - first < self.grace_s

    # -- for the pages -------------------------------------------------------------------------

    def submit(self, session: str, label: str, work: Callable[[Run], bool]) -> Run:
        """Queue a new run for `session` (starts at once when a slot is free)."""
        with self._lock:
            old = self._by_session.get(session)
            if old is not None and old.status in ACTIVE:
                raise RunRejected("This session already has a run "
                                  f"({old.label}, {old.status}); stop it first.")
            run = Run(next(self._ids), session, label, work, self)
            self._by_session[session] = run
            self._queue.append(run)
            self._start_waiting()
            return run

    def stop(self, run: Run) -> None:
        """Ask a running run to stop after its current step (it becomes "paused"); a queued
        run leaves the queue at once."""
        with self._lock:
            if run in self._queue:
                self._queue.remove(run)
                run.status = PAUSED
                return
        run._stop.set()

    def resume(self, run: Run) -> None:
        """Queue a paused run again; it continues where it stopped."""
        with self._lock:
            if run.status != PAUSED:
                raise RunRejected(f"only a paused run can resume (this one is {run.status})")
            if run.worked_s >= self.limits.max_wall_s:
                run.status = TIMED_OUT
                raise RunRejected("this run has used its wall-time budget")
            if self._by_session.get(run.session) is not run:
                raise RunRejected("this run was replaced by a newer one")
            run._stop.clear()
            run.status = QUEUED
            self._queue.append(run)
            self._start_waiting()

    def discard(self, run: Run) -> None:
        """Stop `run` and forget it (the page's reset)."""
        self.stop(run)
        with self._lock:
            if self._by_session.get(run.session) is run:
                del self._by_session[run.session]

    def end_session(self, session: str) -> None:
        """Stop the session's run (its thread ends after the current step)."""
        with self._lock:
            run = self._by_session.pop(session, None)
        if run is not None:
            run._final_reason = ENDED
            self.stop(run)
            if run.status == PAUSED:
                run.status = ENDED

    def run_of(self, session: str) -> Run | None:
        with self._lock:
            return self._by_session.get(session)

    def position(self, run: Run) -> int:
        """1-based place in the queue (1 = starts next), 0 when not waiting."""
        with self._lock:
            return self._queue.index(run) + 1 if run in self._queue else 0

    def counts(self) -> tuple[int, int]:
        """(running, waiting) server-wide."""
        with self._lock:
            return len(self._running), len(self._queue)

    # -- internals -----------------------------------------------------------------------------

    def _start_waiting(self) -> None:
        with self._lock:
            while self._queue and len(self._running) < self.max_running:
                run = self._queue.pop(0)
                run.status = RUNNING
                self._running.append(run)
                run.thread = threading.Thread(target=run._main, name=f"rnnviz-run-{run.id}",
                                              daemon=True)
                run.thread.start()

    def _finished(self, run: Run, status: str) -> None:
        with self._lock:
            if run in self._running:
                self._running.remove(run)
            run.status = status
            if status in (ENDED,) and self._by_session.get(run.session) is run:
                del self._by_session[run.session]
            self._start_waiting()


# -- Streamlit side ----------------------------------------------------------------------------


def session_id() -> str:
    """The id of the session whose script is running."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def _streamlit_session_alive(session: str) -> bool:
    from streamlit import runtime

    if not runtime.exists():        # AppTest and bare scripts: no server, no sessions to end
        return True
    return runtime.get_instance().is_active_session(session)


@st.cache_resource(show_spinner=False)
def _shared_manager() -> JobManager:
    secrets = st.secrets.to_dict() if st.secrets.load_if_toml_exists() else None
    return JobManager(max_running=max_runs_setting(secrets),
                      session_alive=_streamlit_session_alive)


def manager() -> JobManager:
    """The one manager of this server process (shared by all sessions)."""
    return _shared_manager()
