"""Work for the run manager's tests (tests/app/test_jobs.py): module-level, so the worker
processes can unpickle it by name."""

import os
import time


def counting(budget=10**9, step_s=0.002, fail_at=None):
    """make_work: counts steps until `budget` (True) or a stop (False), publishing the count,
    its process id, nice value and scheduling policy; raises at step `fail_at`."""
    done = [0]

    def data():
        return {"step": done[0], "pid": os.getpid(), "nice": os.nice(0),
                "policy": os.sched_getscheduler(0) if hasattr(os, "sched_getscheduler") else None}

    def work(run):
        while done[0] < budget:
            if run.should_stop():
                run.publish(data(), force=True)
                return False
            done[0] += 1
            if done[0] == fail_at:
                raise RuntimeError("numbers went NaN")
            run.publish(data())
            time.sleep(step_s)
        run.publish(data(), force=True)
        return True

    return work
