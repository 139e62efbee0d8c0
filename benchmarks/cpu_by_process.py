"""CPU seconds used by each kind of process on this machine over a window: Chromium, the
Streamlit server, the benchmark's driver, the rest. Run it beside another benchmark to see who
used the cores, e.g. during the 8-session load test:

    python benchmarks/cpu_by_process.py 110 > /tmp/cpu.json &
    python benchmarks/load.py --seconds 60

Every 0.5 s it reads /proc/<pid>/stat (utime + stime) and cmdline of every process, keeping
the last reading of each pid (processes that start and end inside the window count too; one
that ends between two readings loses at most its last 0.5 s). At the end it prints one JSON
object: {kind: CPU seconds used inside the window}.
"""

import json
import os
import sys
import time

from _browser_common import processes  # stdlib only


def kind(comm: str, cmd: str) -> str:
    if "chrom" in comm or "chrom" in cmd:
        return "chromium"
    if "streamlit" in cmd:
        return "streamlit server"
    if "load.py" in cmd or "browser.py" in cmd or "playwright" in cmd or comm == "node":
        return "benchmark driver (python, playwright)"
    return "other"


def read_all() -> dict[int, tuple[str, str, float]]:
    """{pid: (command name, command line, CPU seconds so far)} of every live process."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid, name, fields in processes():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")[:300]
        except OSError:
            continue
        out[pid] = (name, cmd, (int(fields[11]) + int(fields[12])) / tick)
    return out


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    start = {pid: cpu for pid, (_, _, cpu) in read_all().items()}
    last = {}
    end = time.time() + seconds
    while time.time() < end:
        last.update(read_all())
        time.sleep(0.5)
    used: dict[str, float] = {}
    for pid, (comm, cmd, cpu) in last.items():
        k = kind(comm, cmd)
        used[k] = used.get(k, 0.0) + cpu - start.get(pid, 0.0)
    print(json.dumps({k: round(v, 1) for k, v in sorted(used.items())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
