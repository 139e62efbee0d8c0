"""Load and faults: N browser sessions against one loopback Streamlit server, for a bounded time.

    python benchmarks/load.py                      # 8 sessions, 60 s
    python benchmarks/load.py --sessions 4 --seconds 20

Starts its own ``streamlit run app.py`` on 127.0.0.1 (its own process group, killed at the
end) and one headless system Chromium (``RNNVIZ_CHROMIUM``, default /usr/bin/chromium) with
one browser context per session (Playwright's async API: one driver, no threads). Every
request that is not for the loopback server is aborted and counted.

Each session opens the app and visits every page once (its browser loads each page's code
on the first visit; not timed), then until the time is up: switches to the next page from the
sidebar menu, and types a new sentence into the sidebar's box and submits it (Ctrl+Enter),
waiting --think seconds (0.3) after each page is drawn.

* edit-to-render: from the submitting keypress to the end of the rerun it causes (the app's
  script state back to notRunning, no placeholder or spinner left) with every chart drawn
  and, on the pages whose charts show the sentence, the charts' data changed. Timed in the
  page (``performance.now()``).
* page switch: from the click on the menu link to the same end state.
* errors: exception boxes, browser console errors and uncaught page errors, actions that
  time out, tracebacks in the server's log. Must be 0.
* memory: resident memory (VmRSS from /proc) of the server's process group, sampled every
  0.2 s: idle (just started), warm (after one session has opened every page, then left),
  peak (during the run). Per session = (peak - warm) / sessions.
* disconnect: halfway through, the last session submits an edit and at once closes its
  browser context, mid-rerun. The others go on to the end; then the server must still answer
  /_stcore/health with ok, and every other session edits its sentence once more (counted).

Prints a table (Markdown), and with --json PATH writes the numbers.

    python benchmarks/load.py --training           # another visitor while two runs train

--training measures instead what training costs everyone else: one session on the
Activations page edits its sentence --edits times with the server idle, then two other
sessions start a run each on the Training page (L = 100, the slowest setting the page
allows) and, while both train, the first session edits --edits times again. Meanwhile
/_stcore/health is polled every 0.25 s. Reported: edit-to-render p50 idle and while
training (and their ratio; the target is at most 2), the health answer's worst latency
(target under 1 s), whether both runs were still training at the end, and the CPU seconds
the server process and the (niced) workers used meanwhile. The runs train in
worker processes of their own (rnnviz_app.jobs: forkserver children at nice + 10 with one
BLAS thread), so what the visitor waits for is the two cores, not the server's GIL; the
server's process group (what --training starts and kills) includes the forkserver and the
workers. The two trainers stand for two other people: their pages run in a second Chromium at
nice +10, as if on their own computers (each redraws its live charts every second);
--co-located-trainers puts them in the visitor's browser at nice 0 instead, so the visitor's
cores also draw the trainers' charts.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import platform
import random
import shlex
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from _browser_common import (
    CHROMIUM_ARGS,
    SIGNATURE_JS,
    Server,
    guarded_page,
    health,
    processes,
    server_tracebacks,
)
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

ACTION_TIMEOUT_MS = 30_000
# A cold server imports everything and the browser loads the app's code on the first visit.
LOAD_TIMEOUT_MS = 90_000
WORDS = (
    "return the number of items in a list string value open file read line each key "
    "dictionary set new object path name default error raise when if not none true false "
    "data class method call zebra yawns quietly at noon under apple pear salad"
).split()

# Recorded in every page: the app's script-state changes and the moments of the actions.
INIT_JS = r"""
(() => {
  window.__runs = [];
  window.__loadAt = 0;
  window.__editAt = null;
  window.__navAt = null;
  const watch = () => new MutationObserver((muts) => {
    for (const m of muts) {
      const v = m.target.getAttribute && m.target.getAttribute('data-test-script-state');
      if (v) window.__runs.push({state: v, t: performance.now()});
    }
  }).observe(document, {subtree: true, attributes: true,
                        attributeFilter: ['data-test-script-state']});
  watch();
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) window.__editAt = performance.now();
  }, true);
  document.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest("[data-testid='stSidebarNavLink']")) {
      window.__navAt = performance.now();
    }
  }, true);
})();
"""

# Whether the rerun an action caused has drawn what only it can draw: after a page switch the
# menu marks the new page as current; after an edit the sidebar's caption counts the new
# sentence's characters. (A fast rerun can start and end between two frames, so the script
# state alone may never be seen to leave "notRunning".)
EVIDENCE_JS = r"""
(ev) => {
  if (!ev) return true;
  if (ev.nav) {
    const cur = document.querySelector("[data-testid='stSidebarNavLink'][aria-current='page']");
    return !!cur && cur.innerText.trim() === ev.nav;
  }
  const captions = document.querySelectorAll(
    "[data-testid='stSidebar'] [data-testid='stCaptionContainer']");
  return [...captions].some((c) => c.innerText.trim() === ev.caption);
}
"""

# When the rerun that followed the action at window[since] (a performance.now() mark) is over
# and the page is drawn: {total: ms from the action to now, run: ms from the action to the
# end of the script run (server time and messages; the rest is the browser drawing)};
# otherwise false.
DONE_JS = (
    r"""
([since, sig0, mustChange, evidence]) => {
  const t0 = window[since];
  if (t0 === null || t0 === undefined) return false;
  if (!("""
    + EVIDENCE_JS
    + r""")(evidence)) return false;
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (app.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  if (document.querySelector("[data-testid='stSkeleton'], [data-testid='stSpinner']")) {
    return false;
  }
  // rnnviz's chart element; st.plotly_chart and st.vega_lite_chart (the floor app's variants)
  const charts = document.querySelectorAll(
    "[data-testid='stMain'] .stBidiComponent, "
    + "[data-testid='stMain'] [data-testid='stPlotlyChart'], "
    + "[data-testid='stMain'] [data-testid*='VegaLite']");
  const drawn = (c) => {
    if (c.matches("[data-testid*='VegaLite']")) return !!c.querySelector('canvas, svg');
    // rnnviz's element leaves a chart far from the screen waiting (rnnviz/web/chart.js)
    const holder = c.querySelector('.rnnviz-chart');
    if (holder && holder.dataset.revision !== undefined
        && holder.dataset.waiting === holder.dataset.revision) return true;
    const el = c.querySelector('.js-plotly-plot');
    return el && el._fullLayout && el.data && el.data.length > 0
      && (el.dataset.revision === undefined || el.dataset.drawn === el.dataset.revision);
  };
  if (![...charts].every(drawn)) return false;
  if (mustChange && ("""
    + SIGNATURE_JS
    + r""")() === sig0) return false;
  const now = performance.now();
  const ends = window.__runs.filter((r) => r.t >= t0 && r.state === 'notRunning');
  return {total: now - t0, run: (ends.length ? ends[ends.length - 1].t : now) - t0};
}
"""
)

# The submit started a rerun, or its rerun is already over.
SUBMITTED_JS = (
    "([since, evidence]) => window.__runs.some((r) => r.t >= window[since]"
    " && r.state !== 'notRunning') || (" + EVIDENCE_JS + ")(evidence)"
)


def group_rss_kb(pgid: int) -> int:
    """Sum of VmRSS (kB) over the live processes of process group `pgid`."""
    total = 0
    for pid, _, fields in processes():
        if int(fields[2]) != pgid:
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError, IndexError):
            continue
    return total


def group_cpu_s(pgid: int) -> dict[int, tuple[float, int]]:
    """{pid: (CPU seconds so far (user + system), nice)} of the live processes of process
    group `pgid` (the server, its forkserver and the training workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    return {pid: ((int(fields[11]) + int(fields[12])) / tick, int(fields[16]))
            for pid, _, fields in processes() if int(fields[2]) == pgid}


def cpu_split(before: dict, after: dict, server_pid: int) -> dict:
    """CPU seconds between two `group_cpu_s` readings: the server process, the niced
    processes (training workers) and the rest of the group."""
    split = {"server_cpu_s": 0.0, "niced_workers_cpu_s": 0.0, "other_cpu_s": 0.0}
    for pid, (cpu, nice) in after.items():
        used = cpu - before.get(pid, (0.0, 0))[0]
        key = ("server_cpu_s" if pid == server_pid
               else "niced_workers_cpu_s" if nice > 0 else "other_cpu_s")
        split[key] += used
    return {k: round(v, 1) for k, v in split.items()}


class RssSampler(threading.Thread):
    """Samples the server's process-group RSS every `every` seconds; tracks the peak."""

    def __init__(self, pgid: int, every: float = 0.2):
        super().__init__(daemon=True)
        self.pgid, self.every = pgid, every
        self.peak_kb = 0
        self.last_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.last_kb = group_rss_kb(self.pgid)
            self.peak_kb = max(self.peak_kb, self.last_kb)
            self._stop_event.wait(self.every)

    def reset_peak(self) -> None:
        self.peak_kb = self.last_kb = group_rss_kb(self.pgid)

    def stop(self) -> None:
        self._stop_event.set()


@dataclass
class Stats:
    edits_ms: list[float] = field(default_factory=list)
    edit_runs_ms: list[float] = field(default_factory=list)  # keypress to end of script run
    edits_by_page: dict[str, list[float]] = field(default_factory=dict)
    switches_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    actions_after_disconnect: int = 0
    # Submits (Ctrl+Enter) that started no rerun within 3 s and were pressed again. Seen
    # rarely when the keys come within ~0.2 s of the previous rerun's end (the text box is
    # redrawn then); people do not type that fast, so this is reported, not an error.
    resubmits: int = 0
    blocked_requests: list[str] = field(default_factory=list)


async def new_session(browser: Browser, base_url: str, stats: Stats, name: str):
    page = await guarded_page(browser, base_url, viewport={"width": 1400, "height": 900},
                              init_js=INIT_JS, name=name, errors=stats.errors,
                              blocked=stats.blocked_requests)
    context = page.context
    await page.goto(base_url, wait_until="domcontentloaded")
    await page.wait_for_selector(
        "[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']",
        state="attached", timeout=LOAD_TIMEOUT_MS,
    )  # fmt: skip
    await page.wait_for_function(
        DONE_JS, arg=["__loadAt", "", False, None], timeout=LOAD_TIMEOUT_MS, polling=25
    )
    return context, page


STATE_JS = r"""
() => {
  const app = document.querySelector("[data-testid='stApp']");
  const charts = [...document.querySelectorAll(
    "[data-testid='stMain'] .stBidiComponent")];
  return {
    script: app && app.getAttribute('data-test-script-state'),
    connection: app && app.getAttribute('data-test-connection-state'),
    placeholders: document.querySelectorAll("[data-testid='stSkeleton']").length,
    spinners: document.querySelectorAll("[data-testid='stSpinner']").length,
    charts: charts.length,
    undrawn: charts.filter((c) => !c.querySelector('.js-plotly-plot')).length,
    last_runs: window.__runs.slice(-3).map((r) => r.state + '@' + Math.round(r.t)),
    now: Math.round(performance.now()),
  };
}
"""


async def page_state(page: Page) -> str:
    """What the page looks like, for an error message."""
    try:
        return json.dumps(await page.evaluate(STATE_JS))
    except Exception as exc:
        return f"(page state unavailable: {type(exc).__name__})"


async def menu(page: Page) -> list[str]:
    links = page.locator("[data-testid='stSidebarNavLink']")
    return [t.strip() for t in await links.all_inner_texts()]


async def check_page(page: Page, stats: Stats, where: str) -> None:
    if await page.locator("[data-testid='stException']").count():
        stats.errors.append(f"{where}: exception box")


async def switch_page(page: Page, title: str, stats: Stats, where: str) -> None:
    current = page.locator("[data-testid='stSidebarNavLink'][aria-current='page']")
    if (await current.inner_text()).strip() == title:
        return
    await page.evaluate("() => { window.__navAt = null; }")
    link = page.locator("[data-testid='stSidebarNavLink']", has_text=title).first
    await link.click()
    done = await (
        await page.wait_for_function(
            DONE_JS,
            arg=["__navAt", "", False, {"nav": title}],
            timeout=ACTION_TIMEOUT_MS,
            polling=25,
        )
    ).json_value()
    stats.switches_ms.append(float(done["total"]))
    await check_page(page, stats, where)


async def edit_sentence(page: Page, text: str, must_change: bool, stats: Stats, where: str,
                        title: str, record: bool = True) -> None:  # fmt: skip
    box = page.locator("[data-testid='stSidebar']").get_by_label("Input sentence", exact=True)
    if len(await box.input_value()) == len(text):
        text = text[:-1] + " now."  # the caption must change: it counts the characters
    evidence = {"caption": f"{len(text)} characters"}
    sig0 = await page.evaluate(SIGNATURE_JS)
    await page.evaluate("() => { window.__editAt = null; }")
    await box.fill(text)
    await box.press("Control+Enter")
    try:
        await page.wait_for_function(
            SUBMITTED_JS, arg=["__editAt", evidence], timeout=3000, polling=25
        )
    except PlaywrightTimeoutError:
        # Streamlit ignored the submit (see Stats.resubmits); a person would press again.
        stats.resubmits += 1
        await box.press("Control+Enter")
    done = await (
        await page.wait_for_function(
            DONE_JS, arg=["__editAt", sig0, must_change, evidence], timeout=ACTION_TIMEOUT_MS,
            polling=25,
        )
    ).json_value()  # fmt: skip
    if record:
        stats.edits_ms.append(float(done["total"]))
        stats.edit_runs_ms.append(float(done["run"]))
        stats.edits_by_page.setdefault(title, []).append(float(done["total"]))
    await check_page(page, stats, where)


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))).capitalize() + "."


async def session_loop(i: int, page: Page, titles: list[str], sentence_pages: set[str],
                       deadline: float, stats: Stats, disconnect_at: float | None,
                       disconnected: asyncio.Event, context: BrowserContext,
                       think: float) -> None:  # fmt: skip
    rng = random.Random(1000 + i)
    k = i  # each session starts on a different page
    while time.monotonic() < deadline:
        title = titles[k % len(titles)]
        k += 1
        where = f"session {i}, {title}"
        try:
            await asyncio.sleep(think)
            await switch_page(page, title, stats, where)
            await asyncio.sleep(think)
            if disconnect_at is not None and time.monotonic() >= disconnect_at:
                # Mid-rerun: submit an edit and close the browser context at once.
                box = page.locator("[data-testid='stSidebar']").get_by_label(
                    "Input sentence", exact=True
                )
                await box.fill(sentence(rng))
                await box.press("Control+Enter")
                await context.close()
                disconnected.set()
                return
            await edit_sentence(page, sentence(rng), title in sentence_pages, stats, where, title)
        except Exception as exc:  # a timeout or a crashed page: count it, reload, go on
            state = await page_state(page)
            stats.errors.append(
                f"{where}: {type(exc).__name__}: {str(exc).splitlines()[0]} {state}"
            )
            if time.monotonic() >= deadline:
                break
            try:
                await page.goto(page.url.split("#")[0], wait_until="domcontentloaded")
                await page.wait_for_timeout(2000)
            except Exception:
                pass


async def settled_signature(page: Page, every: float = 0.4, limit: float = 10.0) -> str:
    """The charts' fingerprint once two reads `every` seconds apart agree."""
    last = await page.evaluate(SIGNATURE_JS)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        await asyncio.sleep(every)
        now = await page.evaluate(SIGNATURE_JS)
        if now == last:
            return now
        last = now
    return last


async def warm_up(browser: Browser, base_url: str, stats: Stats) -> tuple[list[str], set[str]]:
    """One session opens every page and edits the sentence there once: fills the shared
    caches, and finds the pages whose charts change with the sentence."""
    context, page = await new_session(browser, base_url, stats, "warm-up")
    titles = await menu(page)
    sentence_pages = set()
    rng = random.Random(0)
    for title in titles:
        try:
            await switch_page(page, title, stats, f"warm-up, {title}")
            # Charts may still be drawing after the run ends: compare settled fingerprints,
            # or a page whose charts ignore the sentence would be waited on for a change.
            sig0 = await settled_signature(page)
            await edit_sentence(page, sentence(rng), False, stats, f"warm-up, {title}", title)
            if sig0 and await settled_signature(page) != sig0:
                sentence_pages.add(title)
        except Exception as exc:
            state = await page_state(page)
            stats.errors.append(f"warm-up, {title}: {type(exc).__name__} {state}")
    await context.close()
    stats.edits_ms.clear()
    stats.edit_runs_ms.clear()
    stats.edits_by_page.clear()
    stats.switches_ms.clear()
    return titles, sentence_pages


def pct(values: list[float], q: int) -> int | None:
    """The q-th percentile, rounded to a millisecond (None without values)."""
    if not values:
        return None
    return round(_pct(values, q))


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]  # fmt: skip


async def run(args) -> dict:
    chromium = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
    server = Server()
    sampler = RssSampler(server.proc.pid)
    sampler.start()
    stats = Stats()
    result: dict = {}
    try:
        time.sleep(1.0)
        idle_kb = group_rss_kb(server.proc.pid)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_ARGS
            )
            titles, sentence_pages = await warm_up(browser, server.base_url, stats)
            await asyncio.sleep(1.0)
            warm_kb = group_rss_kb(server.proc.pid)
            sampler.reset_peak()

            sessions = [
                await new_session(browser, server.base_url, stats, f"session {i}")
                for i in range(args.sessions)
            ]
            # Each visitor's browser loads a page's code (Plotly, tables, ...) on its first
            # visit: visit every page once, two sessions at a time, before the clock starts.
            gate = asyncio.Semaphore(2)

            async def prime(i: int, page: Page) -> None:
                async with gate:
                    for title in [*titles[1:], titles[0]]:
                        try:
                            await switch_page(page, title, stats, f"session {i} (priming)")
                        except Exception as exc:
                            state = await page_state(page)
                            stats.errors.append(
                                f"session {i} (priming), {title}: {type(exc).__name__} {state}"
                            )

            await asyncio.gather(*[prime(i, page) for i, (_, page) in enumerate(sessions)])
            stats.switches_ms.clear()
            load_before = os.getloadavg()[0]
            start = time.monotonic()
            deadline = start + args.seconds
            disconnected = asyncio.Event()
            disconnect_at = start + args.seconds / 2 if args.sessions > 1 else None
            await asyncio.gather(*[
                session_loop(i, page, titles, sentence_pages, deadline, stats,
                             disconnect_at if i == args.sessions - 1 else None,
                             disconnected, context, args.think)
                for i, (context, page) in enumerate(sessions)
            ])  # fmt: skip
            elapsed = time.monotonic() - start
            load_after = os.getloadavg()[0]
            health_after = health(server.base_url)
            if disconnected.is_set():
                # Every session still open edits once more: the server serves them all.
                async def once_more(i: int, page: Page) -> None:
                    try:
                        await edit_sentence(
                            page,
                            sentence(random.Random(i)),
                            False,
                            stats,
                            f"session {i} (after the disconnect)",
                            "",
                            record=False,
                        )
                        stats.actions_after_disconnect += 1
                    except Exception as exc:
                        state = await page_state(page)
                        stats.errors.append(
                            f"session {i} (after the disconnect): {type(exc).__name__} {state}"
                        )

                await asyncio.gather(*[
                    once_more(i, page) for i, (_, page) in enumerate(sessions)
                    if i != args.sessions - 1
                ])  # fmt: skip
            for context, _ in sessions:
                try:
                    await context.close()
                except Exception:
                    pass
            await browser.close()
        log = server.output()
        if args.server_log:
            args.server_log.write_text(log)
        stats.errors.extend(server_tracebacks(log))
        peak_kb = sampler.peak_kb
        result = {
            "sessions": args.sessions,
            "think_s": args.think,
            "seconds": round(elapsed, 1),
            "pages": titles,
            "sentence_pages": sorted(sentence_pages),
            "edits": len(stats.edits_ms),
            "page_switches": len(stats.switches_ms),
            "resubmits": stats.resubmits,
            "errors": len(stats.errors),
            "error_list": stats.errors[:50],
            "edit_p50_ms": (pct(stats.edits_ms, 50)),
            "edit_p95_ms": (pct(stats.edits_ms, 95)),
            "edit_run_p50_ms": (pct(stats.edit_runs_ms, 50)),
            "edit_run_p95_ms": (pct(stats.edit_runs_ms, 95)),
            "switch_p50_ms": (pct(stats.switches_ms, 50)),
            "switch_p95_ms": (pct(stats.switches_ms, 95)),
            "edit_p50_ms_by_page": {t: (pct(v, 50)) for t, v in stats.edits_by_page.items()},
            "rss_idle_mb": round(idle_kb / 1024, 1),
            "rss_warm_mb": round(warm_kb / 1024, 1),
            "rss_peak_mb": round(peak_kb / 1024, 1),
            "rss_per_session_mb": round((peak_kb - warm_kb) / 1024 / args.sessions, 1),
            "disconnect": {
                "done": disconnected.is_set(),
                "health_after": health_after,
                "actions_after_by_others": stats.actions_after_disconnect,
            },
            "blocked_non_loopback_requests": len(stats.blocked_requests),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
            f"python {platform.python_version()}",
            # Browsers and server share the machine: its load says how much CPU they had.
            "load_average_1min": [round(load_before, 1), round(load_after, 1)],
        }
    finally:
        sampler.stop()
        server.stop()
    return result


def table(r: dict) -> str:
    rows = [
        ("sessions", r["sessions"]),
        ("think time between actions", f"{r['think_s']} s"),
        ("duration", f"{r['seconds']} s"),
        ("sentence edits / page switches", f"{r['edits']} / {r['page_switches']}"),
        ("errors", r["errors"]),
        ("submits pressed twice (no rerun within 3 s)", r["resubmits"]),
        ("edit-to-render p50 / p95", f"{r['edit_p50_ms']} ms / {r['edit_p95_ms']} ms"),
        ("… of which keypress to end of script run, p50 / p95",
         f"{r['edit_run_p50_ms']} ms / {r['edit_run_p95_ms']} ms"),
        ("page switch p50 / p95", f"{r['switch_p50_ms']} ms / {r['switch_p95_ms']} ms"),
        ("server RSS idle / warm / peak",
         f"{r['rss_idle_mb']} / {r['rss_warm_mb']} / {r['rss_peak_mb']} MB"),
        ("RSS per session ((peak - warm) / sessions)", f"{r['rss_per_session_mb']} MB"),
        ("disconnect mid-rerun",
         f"health after: {r['disconnect']['health_after']}; sessions that edited again after "
         f"it: {r['disconnect']['actions_after_by_others']} of {r['sessions'] - 1}"),
        ("requests not to 127.0.0.1 (blocked)", r["blocked_non_loopback_requests"]),
    ]  # fmt: skip
    out = ["| measure | value |", "| --- | --- |"]
    out += [f"| {k} | {v} |" for k, v in rows]
    out.append("")
    out.append("edit-to-render p50 by page: " + ", ".join(
        f"{t} {v} ms" for t, v in r["edit_p50_ms_by_page"].items()))  # fmt: skip
    before, after = r["load_average_1min"]
    out.append(
        f"machine: {r['machine']}; 1-min load average {before} at the start, {after} "
        "at the end (browsers and server share these cores)"
    )
    return "\n".join(out)


# -- another visitor while two runs train (--training) ---------------------------------------

PROGRESS_JS = r"""
() => (document.querySelector("[data-testid='stMain'] [data-testid='stProgress']")
       || {innerText: ''}).innerText
"""


class HealthPoller(threading.Thread):
    """GET /_stcore/health every `every` seconds; keeps each answer's latency."""

    def __init__(self, base_url: str, every: float = 0.25):
        super().__init__(daemon=True)
        self.base_url, self.every = base_url, every
        self.latencies_ms: list[float] = []
        self.failures = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            t0 = time.perf_counter()
            ok = health(self.base_url) == "ok"
            if ok:
                self.latencies_ms.append((time.perf_counter() - t0) * 1000)
            else:
                self.failures += 1
            self._halt.wait(self.every)

    def stop(self) -> list[float]:
        self._halt.set()
        self.join(timeout=5)
        return self.latencies_ms


async def start_training(page: Page, stats: Stats, where: str) -> None:
    """On the Training page: L to its largest value (keyboard End), then Train; wait until
    the run reports its first steps."""
    await switch_page(page, "Training", stats, where)
    thumb = page.locator(".st-key-training-L input[type='range']")
    await thumb.focus()
    await thumb.press("End")
    await page.wait_for_timeout(1500)
    await page.locator(".st-key-training-start button").click()
    await page.wait_for_function(
        "() => /running: step [1-9]/.test((document.querySelector("
        "\"[data-testid='stMain'] [data-testid='stProgress']\") || {innerText: ''})"
        ".innerText)", timeout=LOAD_TIMEOUT_MS, polling=100)


def niced_executable(executable: str, niceness: int) -> str:
    """A script that runs `executable` at `niceness` (Playwright launches a path, not a
    command line); written to a temporary file that lives as long as this process."""
    script = tempfile.NamedTemporaryFile("w", suffix="-chromium", delete=False)
    script.write(f"#!/bin/sh\nexec nice -n {niceness} {shlex.quote(executable)} \"$@\"\n")
    script.close()
    os.chmod(script.name, 0o755)
    atexit.register(os.unlink, script.name)
    return script.name


async def training_load(args) -> dict:
    chromium = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
    server = Server()
    stats = Stats()
    result: dict = {}
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=chromium, headless=True, args=CHROMIUM_ARGS
            )
            # The trainers' own browsers stand for two other people's computers: by default
            # they run at nice +10 (a second Chromium), so what the visitor waits for is the
            # server and the workers, not two pages drawing live charts on the visitor's cores.
            trainer_browser = browser if args.co_located_trainers else await pw.chromium.launch(
                executable_path=niced_executable(chromium, 10), headless=True,
                args=CHROMIUM_ARGS)
            titles, sentence_pages = await warm_up(browser, server.base_url, stats)
            rng = random.Random(7)
            _, visitor = await new_session(browser, server.base_url, stats, "visitor")
            trainers = [await new_session(trainer_browser, server.base_url, stats,
                                          f"trainer {i}") for i in range(2)]
            await switch_page(visitor, "Activations", stats, "visitor")
            changes = "Activations" in sentence_pages

            async def edits(phase: str) -> list[float]:
                stats.edits_ms.clear()
                for _ in range(args.edits):
                    await asyncio.sleep(args.think)
                    await edit_sentence(visitor, sentence(rng), changes, stats,
                                        f"visitor ({phase})", "Activations")
                return list(stats.edits_ms)

            poller = HealthPoller(server.base_url)
            poller.start()
            cpu_before, t_idle = group_cpu_s(server.proc.pid), time.monotonic()
            idle = await edits("idle")
            cpu_idle = cpu_split(cpu_before, group_cpu_s(server.proc.pid), server.proc.pid)
            cpu_idle["seconds"] = round(time.monotonic() - t_idle, 1)
            health_idle = poller.stop()
            for i, (_, page) in enumerate(trainers):
                await start_training(page, stats, f"trainer {i}")
            poller = HealthPoller(server.base_url)
            poller.start()
            cpu_before, t_busy = group_cpu_s(server.proc.pid), time.monotonic()
            busy = await edits("two runs training")
            cpu = cpu_split(cpu_before, group_cpu_s(server.proc.pid), server.proc.pid)
            cpu["seconds"] = round(time.monotonic() - t_busy, 1)
            health_busy = poller.stop()
            progress = [await page.evaluate(PROGRESS_JS) for _, page in trainers]
            both = all(p.startswith("running") for p in progress)
            for context, _ in trainers:
                await context.close()
            if trainer_browser is not browser:
                await trainer_browser.close()
            await browser.close()
        result = {
            "edits_per_phase": args.edits,
            "trainers_browser": ("the visitor's (co-located, nice 0)"
                                 if args.co_located_trainers else "its own, nice +10"),
            "errors": len(stats.errors),
            "error_list": stats.errors[:20],
            "edit_p50_idle_ms": pct(idle, 50),
            "edit_p50_training_ms": pct(busy, 50),
            "edit_max_training_ms": round(max(busy)) if busy else None,
            "ratio_p50": round(_pct(busy, 50) / _pct(idle, 50), 2) if idle and busy else None,
            "health_max_idle_ms": round(max(health_idle)) if health_idle else None,
            "health_max_training_ms": round(max(health_busy)) if health_busy else None,
            "health_p95_training_ms": pct(health_busy, 95),
            "health_probes_training": len(health_busy),
            "health_failures": poller.failures,
            "both_training_at_end": both,
            "cpu_idle": cpu_idle,
            "cpu_while_training": cpu,
            "trainers_progress_at_end": progress,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "load_average_1min": round(os.getloadavg()[0], 1),
        }
    finally:
        server.stop()
    return result


def training_table(r: dict) -> str:
    rows = [
        ("edits per phase (Activations page)", r["edits_per_phase"]),
        ("the two trainers' browser", r["trainers_browser"]),
        ("edit-to-render p50, idle", f"{r['edit_p50_idle_ms']} ms"),
        ("edit-to-render p50 / max, two runs training",
         f"{r['edit_p50_training_ms']} ms / {r['edit_max_training_ms']} ms"),
        ("ratio of the p50s (target <= 2)", r["ratio_p50"]),
        ("/_stcore/health worst latency, idle / training (target < 1000 ms)",
         f"{r['health_max_idle_ms']} ms / {r['health_max_training_ms']} ms"),
        ("health probes while training (failures)",
         f"{r['health_probes_training']} ({r['health_failures']})"),
        ("both runs still training at the end", r["both_training_at_end"]),
        *((f"CPU s {phase}: server / niced workers / other, in s of wall time",
           "{server_cpu_s} / {niced_workers_cpu_s} / {other_cpu_s} in {seconds}".format(
               **r[key])) for phase, key in (("idle", "cpu_idle"),
                                             ("while training", "cpu_while_training"))),
        ("errors", r["errors"]),
    ]  # fmt: skip
    out = ["| measure | value |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in rows]
    out.append(f"\nmachine: {r['machine']}; 1-min load average {r['load_average_1min']}")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=8, help="concurrent browser sessions")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long the sessions work")
    ap.add_argument(
        "--think",
        type=float,
        default=0.3,
        help="seconds a session waits after a page is drawn before its next action",
    )
    ap.add_argument("--training", action="store_true",
                    help="measure another session's latency while two runs train")
    ap.add_argument("--edits", type=int, default=8, help="--training: edits per phase")
    ap.add_argument("--co-located-trainers", action="store_true",
                    help="--training: the trainers' pages in the visitor's browser at nice 0 "
                         "(default: their own browser at nice +10, as on other computers)")
    ap.add_argument("--server-log", type=Path, help="write the server's output to this file")
    ap.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = ap.parse_args()
    if args.sessions < 1 or args.seconds <= 0:
        ap.error("--sessions must be >= 1 and --seconds > 0")
    if args.training:
        result = asyncio.run(training_load(args))
        print(training_table(result))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        return 0 if result["errors"] == 0 and result["both_training_at_end"] else 1
    result = asyncio.run(run(args))
    print(table(result))
    if result["error_list"]:
        print("\nerrors:")
        for e in result["error_list"]:
            print(f"  {e}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    d = result["disconnect"]
    others_went_on = not d["done"] or d["actions_after_by_others"] == result["sessions"] - 1
    ok = result["errors"] == 0 and d["health_after"] == "ok" and others_went_on
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
