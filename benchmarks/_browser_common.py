"""What the browser benchmarks share: a loopback ``streamlit run app.py`` in its own process
group, and how system Chromium is launched (benchmarks/load.py, benchmarks/browser.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health(base_url: str) -> str | None:
    try:
        with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=5) as response:
            return response.read().decode("utf-8", "replace").strip()
    except OSError:
        return None


class Server:
    """`streamlit run app.py` on a free loopback port, in its own process group.

    With ``wait`` (the default) the constructor returns once /_stcore/health answers ok;
    without it, at once (``started_at`` and ``wall_start`` are the monotonic and the wall-clock
    time just before Popen)."""

    def __init__(self, wait: bool = True):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        cmd = [
            # RNNVIZ_BENCH_SCRIPT: another entry script (e.g. a copy of app.py that profiles)
            sys.executable, "-m", "streamlit", "run", os.environ.get("RNNVIZ_BENCH_SCRIPT",
                                                                     "app.py"),
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.headless", "true",
        ]  # fmt: skip
        env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        self.started_at = time.monotonic()
        self.wall_start = time.time()
        self.proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        if wait:
            self.wait_healthy()

    def wait_healthy(self, limit: float = 60.0) -> None:
        deadline = time.monotonic() + limit
        while health(self.base_url) != "ok":
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"streamlit did not start:\n{self.output()[-3000:]}")
            time.sleep(0.25)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # children that outlived the leader
        except ProcessLookupError:
            pass


def is_benign_console(text: str, url: str) -> bool:
    """Streamlit's base-path probe when a page is opened at its own URL (we never do, but a
    reload would): the 404s of `<page>/_stcore/health` and `<page>/_stcore/host-config`."""
    return text.startswith("Failed to load resource") and url.endswith(
        ("/_stcore/health", "/_stcore/host-config")
    )


async def guarded_page(browser, base_url: str, *, viewport: dict, init_js: str, name: str,
                       errors: list, blocked: list):
    """A page in a new browser context of `browser` (Playwright's async API) that runs
    `init_js` first, aborts every request not for `base_url` (its URL goes to `blocked`) and
    records console errors (not the benign ones) and uncaught page errors in `errors`."""
    context = await browser.new_context(viewport=viewport)
    await context.add_init_script(init_js)

    async def only_loopback(route):
        blocked.append(route.request.url)
        await route.abort()

    await context.route(lambda url: not url.startswith(base_url), only_loopback)
    page = await context.new_page()

    def on_console(msg) -> None:
        if msg.type == "error" and not is_benign_console(msg.text, msg.location.get("url", "")):
            errors.append(f"{name}: console.error: {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"{name}: pageerror: {exc}"))
    return page


def server_tracebacks(log: str) -> list[str]:
    """One line per Python traceback in a server log: the exception and where it was raised."""
    found = []
    for block in log.split("Traceback (most recent call last)")[1:]:
        lines = [ln for ln in block.splitlines()[1:] if ln.strip()]
        where = [ln.strip() for ln in lines if ln.strip().startswith('File "')]
        last = next((ln.strip() for ln in lines if not ln.startswith(" ")), "?")
        found.append(f"server traceback: {last} at {where[-1] if where else '?'}")
    return found


def processes():
    """(pid, command name, stat fields after the name) of every live process, from
    /proc/<pid>/stat: fields[0] is field 3 of proc(5) (state), fields[2] the process group,
    fields[11] / fields[12] utime / stime in clock ticks, fields[16] nice. A process that
    ends while it is read is skipped."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat.rsplit(")", 1)[1]
        yield int(entry.name), name, rest.split()


def cpu_model() -> str:
    """The CPU's model name (Linux), else what platform knows (every benchmark prints it)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine() or "unknown CPU"


# A cheap fingerprint of what the main area's charts plot (data, text, image sources): it
# changes when an edit really changed a chart.
SIGNATURE_JS = r"""
() => {
  const sum = (v, acc) => {
    if (acc.n > 200000 || v === null || v === undefined) return acc;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) acc.s += v * (1 + (acc.n % 7));
      acc.n++;
      return acc;
    }
    if (typeof v === 'string') { acc.s += v.length; acc.n++; return acc; }
    if (ArrayBuffer.isView(v) || Array.isArray(v)) { for (const x of v) sum(x, acc); return acc; }
    if (typeof v === 'object' && '_inputArray' in v) return sum(v._inputArray, acc);
    return acc;
  };
  const plots = document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot");
  return [...plots].map((el) => {
    const acc = {s: 0, n: 0};
    for (const t of (el.data || [])) {
      sum(t.z, acc); sum(t.y, acc); sum(t.x, acc); sum(t.text, acc);
      if (t.source) acc.s += t.source.length;
    }
    return acc.n + ':' + acc.s.toPrecision(12);
  }).join('|');
}
"""
