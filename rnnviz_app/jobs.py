"""The server-wide manager of training runs: training must never make the app unusable.

Every run works in its own worker PROCESS (`rnnviz.training.worker`), never in a thread of
the server: a run's NumPy work then holds neither the server's GIL nor more than one core.
Workers are forked from a "forkserver" (a fresh single-threaded process that preloads NumPy
and the training code once, started with one BLAS / OpenMP thread; never a fork of the
threaded server) and lower their own priority (nice + 10), so the sessions' script threads
are served first. The manager (one per server process, held by `st.cache_resource` in
`manager()`) admits

* at most one run per session (queued, running or paused: a new one replaces a paused one);
* at most `max_running` runs at a time server-wide (default 2; env `RNNVIZ_TRAINING_RUNS` or
  `[training] max_runs` in .streamlit/secrets.toml); the others wait in a first-come queue
  and each sees its position;
* hard caps (`Limits`): steps, n_a, sequence length, text size, and wall time per run: a run
  that has worked for `max_wall_s` seconds in total (across resumes) stops for good;
* a run stops (its worker is killed) when its session ends (`session_alive` false for
  `grace_s` seconds), also while it is paused.

A run is submitted as `make_work`, a picklable callable (a module-level function or a
`functools.partial` of one) that builds the work function `work(run) -> bool` inside the
worker (see `rnnviz.training.runs`). Stop keeps the worker alive and idle, resume continues
in it with the same state, so a stopped and resumed run gives the same result as one that
never stopped. The worker sends what the page shows (at most every `publish_every` seconds,
plus a forced last one that carries the trained models) over a Pipe; a supervisor thread per
run (blocked on the pipe, so it costs no CPU) stores it in the run under a lock, where the
page's fragment (`@st.fragment(run_every=...)`) reads it. A worker that dies (killed, out of
memory) leaves its run FAILED with a message; the page never waits for it.

Only `manager()`, `session_id()` and the session check use Streamlit, so the caps and the
queue are tested with plain processes, without a script context.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import forkserver

import streamlit as st

from rnnviz.training.worker import CHILD_THREADS, TIME_LIMIT, worker_main

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


_CONTEXT_LOCK = threading.Lock()


def _context():
    """The multiprocessing context of the workers: a forkserver that preloads the training
    code, started (once, or again if it died) with one BLAS / OpenMP thread in its
    environment. The server's own environment is restored at once."""
    ctx = multiprocessing.get_context("forkserver")
    with _CONTEXT_LOCK:
        ctx.set_forkserver_preload(["rnnviz.training.worker", "rnnviz.training.runs"])
        saved = {key: os.environ.get(key) for key in CHILD_THREADS}
        os.environ.update(CHILD_THREADS)
        try:
            forkserver.ensure_running()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return ctx


class Run:
    """One training run, seen from the server: its status, queue position and the data its
    worker published last (`view()`). `make_work()` builds the work in the worker."""

    def __init__(self, run_id: int, session: str, label: str, make_work: Callable,
                 manager: JobManager):
        self.id, self.session, self.label = run_id, session, label
        self._make_work, self._manager = make_work, manager
        self._lock = threading.Lock()        # the published data
        self._send_lock = threading.Lock()   # messages to the worker
        self._data: dict = {}
        self.status = QUEUED
        self.error = ""
        self.worked_s = 0.0          # seconds of work so far (all resumes)
        self.last_published = 0.0
        self._started_at: float | None = None
        self._left_at_go = 0.0
        self._conn = None
        self.process = None
        self._supervisor: threading.Thread | None = None
        self._kill_as: str | None = None    # the status a killed worker leaves the run in

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

    def _running_for(self) -> float:
        started = self._started_at
        return 0.0 if started is None else time.monotonic() - started

    # -- driven by the manager (under its lock) ------------------------------------------------

    def _go(self) -> None:
        """Start (or resume) the work: "go" with the seconds left; the first time, also the
        pipe and the supervisor thread that starts the worker."""
        self._left_at_go = self.time_left_s
        self._started_at = time.monotonic()
        if self._conn is None:
            self._conn, child_conn = multiprocessing.Pipe()
            self._send(("go", self._left_at_go))   # buffered until the worker reads it
            self._supervisor = threading.Thread(target=self._supervise, args=(child_conn,),
                                                name=f"rnnviz-run-{self.id}", daemon=True)
            self._supervisor.start()
        else:
            self._send(("go", self._left_at_go))

    def _send(self, message: tuple) -> None:
        with self._send_lock:
            try:
                self._conn.send(message)
            except (OSError, ValueError):      # the worker is gone; its supervisor says so
                pass

    def _kill(self, status: str) -> None:
        """End the worker now; the run ends as `status` (its supervisor finishes it)."""
        if self._kill_as is None:
            self._kill_as = status
        if self._conn is None:                 # never started: nothing to wait for
            self._manager._finished(self, status)
            return
        process = self.process
        if process is not None and process.is_alive():
            process.kill()

    # -- the supervisor thread -----------------------------------------------------------------

    def _supervise(self, child_conn) -> None:
        mgr = self._manager
        try:
            self.process = _context().Process(
                target=worker_main, name=f"rnnviz-run-{self.id}", daemon=True,
                args=(child_conn, self._make_work, mgr.nice, mgr.publish_every))
            self.process.start()
        except Exception as exc:               # shown on the page: the run failed, not the app
            self.error = f"the training process did not start ({type(exc).__name__}: {exc})"
            self._end(FAILED)
            return
        finally:
            child_conn.close()
        if self._kill_as is not None:          # killed while the worker was starting
            self.process.kill()
        while True:
            try:
                ready = self._conn.poll(0.25)
                message = self._conn.recv() if ready else None
            except (EOFError, OSError):
                break
            if message is None:
                self._watch()
                continue
            kind = message[0]
            if kind == "data":
                with self._lock:
                    self._data = message[1]
                self.last_published = time.monotonic()
            elif kind == "end":
                self._ended_work(finished=message[1], reason=message[2])
                if self.status in FINAL:
                    self._send(("quit",))
            elif kind == "failed":
                self.error = message[1]
                self._end(FAILED)
                break
        self.process.join(timeout=5)
        if self.status in FINAL and self._kill_as is None:
            return                             # done / time limit / failed: already ended
        if self._kill_as is not None:
            self._end(self._kill_as)
        else:
            code = self.process.exitcode
            how = (f"was killed by signal {-code}" if code is not None and code < 0
                   else f"exited with code {code}")
            self.error = f"the training process {how} before the run ended"
            self._end(FAILED)

    def _watch(self) -> None:
        """Every quarter second without a message: end the run of a closed session, and kill
        a worker that has run past its seconds (it checks them itself between steps)."""
        mgr = self._manager
        if self._kill_as is not None:
            return
        if not mgr._session_is_alive(self.session):
            self._kill(ENDED)
        elif (self.status == RUNNING and self._started_at is not None
              and self._running_for() > self._left_at_go + mgr.overrun_s):
            self.error = f"a step took longer than {mgr.overrun_s:.0f} s past the time limit"
            self._kill(TIMED_OUT)

    def _ended_work(self, finished: bool, reason: str) -> None:
        """The worker finished a "go": the budget is spent, it was stopped or its seconds
        are used."""
        if finished:
            status = DONE
        elif reason == TIME_LIMIT:
            status = TIMED_OUT
        else:
            status = PAUSED
        self._end(status)

    def _end(self, status: str) -> None:
        if self._started_at is not None:
            self.worked_s += self._running_for()
            self._started_at = None
        if status == PAUSED and self.worked_s >= self._manager.limits.max_wall_s:
            status = TIMED_OUT
        self._manager._finished(self, status)


class JobManager:
    """Admits, queues and starts runs (see the module docstring). Thread-safe."""

    def __init__(self, max_running: int = DEFAULT_MAX_RUNS, limits: Limits | None = None,
                 session_alive: Callable[[str], bool] | None = None, grace_s: float = 10.0,
                 publish_every: float = 0.25, nice: int = 10, overrun_s: float = 10.0):
        if max_running < 1:
            raise ValueError("max_running must be >= 1")
        self.max_running = max_running
        self.limits = limits or Limits()
        self.publish_every = publish_every
        self.nice = nice                 # how much lower a worker is scheduled
        self.overrun_s = overrun_s       # a worker this far past its time is killed
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

    def submit(self, session: str, label: str, make_work: Callable) -> Run:
        """Queue a new run for `session` (starts at once when a slot is free). `make_work`
        must pickle (a module-level function or a `functools.partial` of one): it is called
        in the worker and returns the work function."""
        try:
            pickle.dumps(make_work)
        except Exception as exc:
            raise TypeError("a run's make_work must be picklable (a module-level function "
                            f"or a functools.partial of one): {exc}") from exc
        with self._lock:
            old = self._by_session.get(session)
            if old is not None and old.status in ACTIVE:
                raise RunRejected("This session already has a run "
                                  f"({old.label}, {old.status}); stop it first.")
            run = Run(next(self._ids), session, label, make_work, self)
            self._by_session[session] = run
            self._queue.append(run)
            self._start_waiting()
        if old is not None and old.status == PAUSED:
            old._kill(PAUSED)                  # replaced: its idle worker goes
        return run

    def stop(self, run: Run) -> None:
        """Ask a running run to stop after its current step (it becomes "paused", its worker
        waits); a queued run leaves the queue at once."""
        with self._lock:
            if run in self._queue:
                self._queue.remove(run)
                run.status = PAUSED
                return
            if run.status == RUNNING:
                run._send(("stop",))

    def resume(self, run: Run) -> None:
        """Queue a paused run again; it continues where it stopped, in the same worker."""
        with self._lock:
            if run.status != PAUSED:
                raise RunRejected(f"only a paused run can resume (this one is {run.status})")
            if run.worked_s >= self.limits.max_wall_s:
                run.status = TIMED_OUT
                raise RunRejected("this run has used its wall-time budget")
            if self._by_session.get(run.session) is not run or run._kill_as is not None:
                raise RunRejected("this run was replaced by a newer one")
            run.status = QUEUED
            self._queue.append(run)
            self._start_waiting()

    def discard(self, run: Run) -> None:
        """Stop `run`, end its worker and forget it (the page's reset)."""
        with self._lock:
            if run in self._queue:
                self._queue.remove(run)
            if self._by_session.get(run.session) is run:
                del self._by_session[run.session]
        if run.status not in FINAL:
            run._kill(PAUSED)

    def end_session(self, session: str) -> None:
        """End the session's run and its worker."""
        with self._lock:
            run = self._by_session.pop(session, None)
            if run is not None and run in self._queue:
                self._queue.remove(run)
        if run is not None and run.status not in FINAL:
            run._kill(ENDED)

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
                run._go()

    def _finished(self, run: Run, status: str) -> None:
        with self._lock:
            if run in self._running:
                self._running.remove(run)
            if run in self._queue:
                self._queue.remove(run)
            run.status = status
            if status == ENDED and self._by_session.get(run.session) is run:
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
