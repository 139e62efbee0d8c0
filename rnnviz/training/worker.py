"""The worker-process side of a training run (the server side is `rnnviz_app.jobs`).

A run's work (`work(run) -> bool`, as built by `rnnviz.training.runs`) executes in a process
of its own, started from a "forkserver" (never a fork of the threaded server), at a lower
scheduling priority (nice, and Linux's SCHED_IDLE policy) and with one BLAS / OpenMP
thread, so a run takes at most one core and never the server's GIL.

The protocol on the run's Pipe (every message a tuple):

* server -> worker: ``("go", seconds_left)`` train until the work's budget is spent, a stop
  or `seconds_left` seconds of work; ``("stop",)`` stop after the current step (ignored when
  not training); ``("quit",)`` end the process.
* worker -> server: ``("data", dict)`` what the page shows (at most every `publish_every`
  seconds unless forced); ``("end", finished, reason)`` after a "go": `finished` True when the
  budget is spent, else `reason` is "stopped" or "time limit"; ``("failed", message)`` when
  the work raised (the process then ends).

The worker keeps the work object between "go"s, so a stopped run resumes in the same
process with its weights, optimizer state and random generators as they were: the same seed
gives the same result as an uninterrupted run.
"""

from __future__ import annotations

import os
import time

# One BLAS / OpenMP thread per run: the server starts the forkserver with these in its
# environment, before NumPy is imported there, and every worker forked from it inherits them.
CHILD_THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

STOPPED, TIME_LIMIT = "stopped", "time limit"
# Keys of a run's data the page reads only after the run (see `rnnviz.training.runs`).
FINAL_ONLY = ("race", "task")


class WorkerRun:
    """The `run` a work function sees inside the worker: `should_stop`, `publish`, `due`."""

    def __init__(self, conn, publish_every: float):
        self._conn = conn
        self.publish_every = publish_every
        self.last_published = 0.0
        self.reason = ""
        self._deadline = 0.0

    def start(self, seconds_left: float) -> None:
        self.reason = ""
        self._deadline = time.monotonic() + seconds_left

    def should_stop(self) -> bool:
        """True when the server asked to stop or this "go" has used its seconds."""
        while self._conn.poll():
            if self._conn.recv()[0] in ("stop", "quit"):
                self.reason = STOPPED
        if not self.reason and time.monotonic() >= self._deadline:
            self.reason = TIME_LIMIT
        return bool(self.reason)

    def due(self) -> bool:
        return time.monotonic() - self.last_published >= self.publish_every

    def publish(self, data: dict, force: bool = False) -> None:
        """Send `data` to the server; unforced ones (the live view's, up to 4 a second)
        without the `FINAL_ONLY` objects (the race with its networks and optimizers, the
        task): unpickling those in the server would hold its GIL for nothing."""
        if not force and not self.due():
            return
        self.last_published = time.monotonic()
        if not force:
            data = {k: v for k, v in data.items() if k not in FINAL_ONLY}
        self._conn.send(("data", data))


def worker_main(conn, make_work, nice: int, publish_every: float) -> None:
    """The worker process: build the work with `make_work()`, then serve "go"s until "quit"
    (or until the server's end of the pipe closes)."""
    if nice:
        try:
            os.nice(nice)
        except OSError:          # not allowed: train at the inherited priority
            pass
        # Linux: SCHED_IDLE runs the worker only on CPU time no one else wants (a weight of 3
        # against nice 10's 110 and nice 0's 1024), so two runs slow another visitor's page
        # less; alone on the machine a run is as fast as before.
        if hasattr(os, "SCHED_IDLE"):
            try:
                os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            except OSError:
                pass
    run = WorkerRun(conn, publish_every)
    try:
        work = make_work()
        while True:
            try:
                message = conn.recv()
            except EOFError:
                return
            if message[0] == "quit":
                return
            if message[0] != "go":
                continue                         # a "stop" that came after the run ended
            run.start(float(message[1]))
            finished = bool(work(run))
            conn.send(("end", finished, "" if finished else run.reason or STOPPED))
    except (EOFError, BrokenPipeError):
        return
    except BaseException as exc:   # noqa: BLE001 - reported to the page, the process ends
        try:
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        except (OSError, ValueError):
            pass
