"""How fast the app feels to one person in a real browser (issue 12's table).

    python benchmarks/browser.py                       # every page, 4 edits, 3 switches, 3 cold
    python benchmarks/browser.py --pages Activations,About --edits 6 --profile
    python benchmarks/browser.py --json /tmp/browser.json

Starts its own ``streamlit run app.py`` on 127.0.0.1 (its own process group, killed at the
end) and one headless system Chromium (``RNNVIZ_CHROMIUM``, default /usr/bin/chromium),
viewport 1400 × 1000, one session; every request not for the loopback server is aborted and
counted. A MutationObserver in the page records performance.now() of every DOM change inside
the main area (``stMain``).

*Visual complete* after an action: the app's script state is back to notRunning, the action's
own evidence is drawn (the menu marks the new page as current; the sidebar caption counts the
new sentence's characters), no placeholder or spinner is left, every chart is drawn (or
waits far off screen: the chart element draws a chart more than 400 px from the screen when it
is scrolled near, rnnviz/web/chart.js; benchmarks/scroll_catchup.py times that), and no
DOM change happened inside the main area for --quiet ms (500). The time reported is the last
DOM change inside the main area minus the moment of the action (both ``performance.now()``).

*On screen* (a column of its own): the last DOM change to an element inside the viewport
(where the page is when visual complete is reached) minus the moment of the action: what a
person looking at the screen waits for, while charts below it may still be drawing. With
--scroll bottom every timed edit is made scrolled to the page's last chart (the chart element
draws the charts on screen first: rnnviz/web/chart.js).

Per page, in the sidebar menu's order (every page is visited once first, not timed, so its
code is loaded; there one untimed edit finds the pages whose charts show the sentence):

* edit: focus the sidebar's sentence box, type one of two sentences (alternating the default
  sentence and another; with --fresh a new sentence every time, never read before), press
  Ctrl+Enter; median and max of --edits (4). On the pages whose charts show the sentence, an
  edit that leaves the charts' data unchanged is an error.
* kB per edit: the bytes of the websocket frames the server sent between the keypress and
  visual complete (Playwright's ``framereceived``); median. Streamlit sends an element the
  browser already holds as a small ``ref_hash`` message, so with two alternating sentences
  most edits after the first re-use figures; the max is printed too.
* page switch: the click on the page's menu link (from the previous page in the menu) to
  visual complete; median of --switches (3) switches into each page.
* cold start: from Popen of the server to the first chart drawn on the first page, seen by a
  fresh browser context that polls the URL until the app answers; median of --cold (3).

--profile splits each edit: keypress to the first websocket message; the server's script run
(first message to the ``script_finished`` message, as received); the browser after the run
(script state notRunning to the last DOM change); and decodes the ForwardMsgs (protobuf) to
name the biggest messages by element type (a Plotly chart also by its title).

Prints the Markdown table with the goals (≤ 300 ms edit median, ≤ 500 ms switch median,
≤ 150 kB per edit, ≤ 3.5 s cold start) and ✓/✗ per cell, the CPU model and the date.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import html
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from _browser_common import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SIGNATURE_JS,
    Server,
    cpu_model,
    guarded_page,
    server_tracebacks,
)
from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

DEFAULT_SENTENCE = "Return the number of items in the list."  # rnnviz_app.state's default
OTHER_SENTENCE = "A zebra yawns quietly under the old apple tree at noon."
GOALS = {"edit_ms": 300, "switch_ms": 500, "kb_per_edit": 150, "cold_s": 3.5}
ACTION_TIMEOUT_MS = 30_000
# A submit that started no rerun within this time is pressed again (and counted).
SUBMIT_WAIT_MS = 8_000
LOAD_TIMEOUT_MS = 90_000
VIEWPORT = {"width": 1400, "height": 1000}

# Recorded in every page: script-state changes, the moment of the timed action (Ctrl+Enter
# or a click on a menu link) and the last DOM change inside the main area.
INIT_JS = r"""
(() => {
  window.__runs = [];
  window.__mark = null;
  window.__mutLog = [];           // [time, element] of each DOM change in the main area
  new MutationObserver((muts) => {
    const t = performance.now();
    for (const m of muts) {
      if (m.type === 'attributes' && m.attributeName === 'data-test-script-state') {
        window.__runs.push({state: m.target.getAttribute('data-test-script-state'), t});
      }
      const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      if (el && el.closest && el.closest("[data-testid='stMain']")) {
        window.__mutLog.push([t, el]);
      }
    }
  }).observe(document, {subtree: true, childList: true, attributes: true,
                        characterData: true});
  // The first action after the benchmark cleared the mark starts the clock (a submit
  // pressed again because the first seemed ignored does not restart it).
  const mark = () => {
    if (window.__mark === null) {
      window.__mark = performance.now(); window.__mutLog = [];
    }
  };
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) mark();
  }, true);
  document.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest("[data-testid='stSidebarNavLink']")) mark();
  }, true);
})();
"""

# Visual complete (see the module docstring) of the action marked in window.__mark:
# {last: ms from the action to the last DOM change in the main area (null without one),
#  end: ms to the end of the script run, muts: DOM changes counted}; otherwise false.
DONE_JS = r"""
([evidence, quiet]) => {
  const t0 = window.__mark;
  if (t0 === null) return false;
  if (evidence.nav) {
    const cur = document.querySelector("[data-testid='stSidebarNavLink'][aria-current='page']");
    if (!cur || cur.innerText.trim() !== evidence.nav) return false;
  } else {
    const captions = document.querySelectorAll(
      "[data-testid='stSidebar'] [data-testid='stCaptionContainer']");
    if (![...captions].some((c) => c.innerText.trim() === evidence.caption)) return false;
  }
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
  const now = performance.now();
  const ends = window.__runs.filter((r) => r.t >= t0 && r.state === 'notRunning');
  const end = ends.length ? ends[ends.length - 1].t : t0;
  const log = window.__mutLog;          // emptied at the action: every entry is after t0
  const lastMut = log.length ? log[log.length - 1][0] : null;
  if (now - Math.max(lastMut || 0, end, t0) < quiet) return false;
  // On screen: the last change to an element inside the viewport (where the page is now).
  let onscreen = null;
  for (let i = log.length - 1; i >= 0; i--) {
    const [t, el] = log[i];
    if (!el.isConnected) continue;
    const r = el.getBoundingClientRect();
    if ((r.width > 0 || r.height > 0) && r.bottom > 0 && r.top < window.innerHeight
        && r.right > 0 && r.left < window.innerWidth) {
      onscreen = t - t0;
      break;
    }
  }
  return {
    onscreen,
    last: lastMut === null ? null : lastMut - t0,
    end: end - t0,
    muts: log.length,
  };
}
"""

# The submit started a rerun, or its rerun is already over.
SUBMITTED_JS = r"""
(caption) => (window.__mark !== null && window.__runs.some(
    (r) => r.t >= window.__mark && r.state !== 'notRunning'))
  || [...document.querySelectorAll(
    "[data-testid='stSidebar'] [data-testid='stCaptionContainer']")]
    .some((c) => c.innerText.trim() === caption)
"""

FIRST_CHART_JS = r"""
() => [...document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot")].some(
  (el) => el._fullLayout && el.data && el.data.length > 0)
  || !!document.querySelector("[data-testid='stMain'] [data-testid*='VegaLite'] canvas, "
                              + "[data-testid='stMain'] [data-testid*='VegaLite'] svg")
"""


@dataclass
class Frames:
    """Websocket frames the server sent to the page: (monotonic time, payload)."""

    log: list[tuple[float, bytes | str]] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        def on_ws(ws) -> None:
            ws.on("framereceived", lambda payload: self.log.append((time.monotonic(), payload)))

        page.on("websocket", on_ws)


@dataclass
class PageResult:
    title: str
    shows_sentence: bool = False
    edits_ms: list[float] = field(default_factory=list)
    edit_bytes: list[int] = field(default_factory=list)
    switches_ms: list[float] = field(default_factory=list)
    edits_on_screen_ms: list[float] = field(default_factory=list)
    switches_on_screen_ms: list[float] = field(default_factory=list)
    first_visit_ms: float | None = None        # the untimed first pass, kept (--first-visit)
    profile: list[dict] = field(default_factory=list)


@dataclass
class Run:
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    resubmits: int = 0


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def describe(payload: bytes | str) -> tuple[str, str]:
    """(kind, label) of one websocket message: its ForwardMsg type and, for an element, the
    element's type (a Plotly chart also by its title)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if isinstance(payload, str):
        return "text", "text frame"
    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload)
    except Exception:
        return "?", "undecoded"
    kind = msg.WhichOneof("type") or "?"
    if kind != "delta":
        return kind, kind
    delta = msg.delta
    what = delta.WhichOneof("type") or "?"
    if what != "new_element":
        return kind, what
    element = delta.new_element
    etype = element.WhichOneof("type") or "?"
    if etype in ("plotly_chart", "bidi_component"):
        try:
            spec = (json.loads(element.plotly_chart.spec) if etype == "plotly_chart"
                    else json.loads(element.bidi_component.json).get("figure") or {})
            title = spec.get("layout", {}).get("title", "")
            title = title.get("text", "") if isinstance(title, dict) else title
        except (ValueError, AttributeError):
            title = ""
        if title:
            title = html.unescape(title).replace("|", "/")[:40]
            return kind, f'{etype} "{title}"'
    return kind, etype


def profile_edit(frames: list[tuple[float, bytes | str]], pressed: float,
                 done: dict) -> dict:  # fmt: skip
    """Where one edit's time and bytes went."""
    kinds = [(t, len(p), *describe(p)) for t, p in frames]
    first = kinds[0][0] if kinds else None
    finished = [t for t, _, kind, _ in kinds if kind == "script_finished"]
    biggest = sorted(kinds, key=lambda k: -k[1])[:4]
    # Bytes by element type (a chart's title left out), biggest first.
    by_type: dict[str, int] = {}
    for _, size, _, label in kinds:
        by_type[label.split(" ")[0]] = by_type.get(label.split(" ")[0], 0) + size
    last = done["last"] if done["last"] is not None else done["end"]
    return {
        "to_first_message_ms": round((first - pressed) * 1000) if first else None,
        "server_run_ms": round((finished[-1] - first) * 1000) if finished and first else None,
        "browser_after_run_ms": round(max(0.0, last - done["end"])),
        "messages": len(kinds),
        "biggest": [(label, round(size / 1000, 1)) for _, size, _, label in biggest],
        "kb_by_type": {k: round(v / 1000, 1) for k, v in
                       sorted(by_type.items(), key=lambda kv: -kv[1])},
    }  # fmt: skip


async def new_page(browser: Browser, base_url: str, run: Run, name: str) -> Page:
    return await guarded_page(browser, base_url, viewport=VIEWPORT, init_js=INIT_JS, name=name,
                              errors=run.errors, blocked=run.blocked)


async def visual_complete(page: Page, evidence: dict, quiet_ms: int) -> dict:
    handle = await page.wait_for_function(
        DONE_JS, arg=[evidence, quiet_ms], timeout=ACTION_TIMEOUT_MS, polling=25
    )
    return await handle.json_value()


def reported_ms(done: dict) -> float:
    """The last DOM change in the main area after the action; the end of the script run when
    the main area did not change at all."""
    return float(done["last"] if done["last"] is not None else done["end"])


def on_screen_ms(done: dict) -> float:
    """The last DOM change inside the viewport after the action (the end of the script run
    when nothing on screen changed)."""
    return float(done["onscreen"] if done["onscreen"] is not None else done["end"])


async def check_page(page: Page, run: Run, where: str) -> None:
    if await page.locator("[data-testid='stMain'] [data-testid='stException']").count():
        run.errors.append(f"{where}: exception box")


async def current_title(page: Page) -> str:
    current = page.locator("[data-testid='stSidebarNavLink'][aria-current='page']")
    return (await current.inner_text()).strip()


async def switch(page: Page, title: str, quiet_ms: int, run: Run) -> float:
    """Click `title` in the menu; ms to visual complete."""
    return reported_ms(await switch_done(page, title, quiet_ms, run))


async def switch_done(page: Page, title: str, quiet_ms: int, run: Run) -> dict:
    """Click `title` in the menu; the visual-complete result (`DONE_JS`)."""
    await page.evaluate("() => { window.__mark = null; }")
    await page.locator("[data-testid='stSidebarNavLink']", has_text=title).first.click()
    done = await visual_complete(page, {"nav": title}, quiet_ms)
    await check_page(page, run, f"{title} (switch)")
    return done


# --scroll bottom: before each timed edit the page is scrolled to its last chart.
SCROLL_TO_LAST_CHART_JS = r"""() => {
  const charts = document.querySelectorAll("[data-testid='stMain'] .stBidiComponent");
  if (charts.length) charts[charts.length - 1].scrollIntoView({block: 'center'});
}"""


async def edit(page: Page, text: str, quiet_ms: int, frames: Frames,
               run: Run) -> tuple[dict, float, list]:  # fmt: skip
    """Type `text` into the sidebar's sentence box and press Ctrl+Enter: (visual-complete
    result, monotonic time of the keypress, websocket frames until visual complete)."""
    box = page.locator("[data-testid='stSidebar']").get_by_label("Input sentence", exact=True)
    caption = f"{len(text)} characters"
    await box.focus()
    await box.fill(text)
    await page.evaluate("() => { window.__mark = null; }")
    first = len(frames.log)
    pressed = time.monotonic()
    await box.press("Control+Enter")
    try:
        await page.wait_for_function(SUBMITTED_JS, arg=caption, timeout=SUBMIT_WAIT_MS,
                                     polling=25)  # fmt: skip
    except PlaywrightTimeoutError:
        # Streamlit ignored the submit (see benchmarks/load.py); a person would press again.
        # The clock and the bytes still count from the first press.
        run.resubmits += 1
        await box.press("Control+Enter")
    done = await visual_complete(page, {"caption": caption}, quiet_ms)
    return done, pressed, frames.log[first:]


FRESH = {"on": False, "n": 0}     # --fresh: every timed edit types a sentence never seen


def other(text: str) -> str:
    if FRESH["on"]:
        FRESH["n"] += 1
        return f"A fresh sentence, number {FRESH['n']}, is read by the network."
    return DEFAULT_SENTENCE if text == OTHER_SENTENCE else OTHER_SENTENCE


async def measure_pages(browser: Browser, args, run: Run) -> tuple[list[PageResult], str]:
    server = Server()
    log = ""
    try:
        page = await new_page(browser, server.base_url, run, "session")
        frames = Frames()
        frames.attach(page)
        await page.goto(server.base_url, wait_until="domcontentloaded")
        await page.wait_for_function(FIRST_CHART_JS, timeout=LOAD_TIMEOUT_MS, polling=50)
        box = page.locator("[data-testid='stSidebar']").get_by_label(
            "Input sentence", exact=True
        )
        menu = [t.strip() for t in
                await page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()]
        titles = menu
        if args.pages:
            wanted = [p.strip() for p in args.pages.split(",") if p.strip()]
            unknown = [w for w in wanted if w not in menu]
            if unknown:
                raise SystemExit(f"--pages: no such page {unknown}; the menu: {menu}")
            titles = [t for t in menu if t in wanted]
        results = {t: PageResult(t) for t in titles}
        # --settle: a server that has been up a while (its background warm-up done).
        await asyncio.sleep(args.settle)

        # Every page once, not timed: its code is loaded, and one edit says whether its
        # charts show the sentence.
        for title in [*titles[1:], titles[0]] if len(titles) > 1 else titles:
            if await current_title(page) != title:
                results[title].first_visit_ms = await switch(page, title, args.quiet, run)
            sig0 = await page.evaluate(SIGNATURE_JS)
            await edit(page, other(await box.input_value()), args.quiet, frames, run)
            sig1 = await page.evaluate(SIGNATURE_JS)
            results[title].shows_sentence = bool(sig0) and sig1 != sig0

        for round_ in range(args.switches):
            for title in titles:
                where = f"{title} (round {round_ + 1})"
                try:
                    if await current_title(page) == title:  # a single page: leave it first
                        away = next(t for t in menu if t != title)
                        await switch(page, away, args.quiet, run)
                    done = await switch_done(page, title, args.quiet, run)
                    results[title].switches_ms.append(reported_ms(done))
                    results[title].switches_on_screen_ms.append(on_screen_ms(done))
                    if round_ > 0:
                        continue
                    for _ in range(args.edits):
                        if args.scroll == "bottom":
                            await page.evaluate(SCROLL_TO_LAST_CHART_JS)
                            await asyncio.sleep(0.2)
                        sig0 = await page.evaluate(SIGNATURE_JS)
                        done, pressed, got = await edit(
                            page, other(await box.input_value()), args.quiet, frames, run
                        )
                        await check_page(page, run, f"{where}, edit")
                        r = results[title]
                        r.edits_ms.append(reported_ms(done))
                        r.edits_on_screen_ms.append(on_screen_ms(done))
                        r.edit_bytes.append(sum(len(p) for _, p in got))
                        if r.shows_sentence and await page.evaluate(SIGNATURE_JS) == sig0:
                            run.errors.append(f"{where}: an edit left the charts unchanged")
                        if args.profile:
                            r.profile.append(profile_edit(got, pressed, done))
                except Exception as exc:
                    run.errors.append(
                        f"{where}: {type(exc).__name__}: {str(exc).splitlines()[0]}"
                    )
        await page.context.close()
    finally:
        server.stop()
        log = server.output()
    run.errors.extend(server_tracebacks(log))
    return list(results.values()), log


# The first script run as the browser saw it: performance.now() of its start and end, and
# the page's time origin (epoch ms).
FIRST_RUN_JS = r"""
() => {
  const start = window.__runs.find((r) => r.state === 'running');
  const end = start && window.__runs.find((r) => r.t > start.t && r.state === 'notRunning');
  return {origin: performance.timeOrigin, start: start ? start.t : null,
          end: end ? end.t : null};
}
"""


async def cold_start(browser: Browser, run: Run) -> dict:
    """Seconds from Popen of a fresh server to its first HTTP answer, the start and end of
    the first script run (as the browser saw them) and the first chart drawn on the first
    page."""
    server = Server(wait=False)
    try:
        page = await new_page(browser, server.base_url, run, "cold start")
        deadline = server.started_at + LOAD_TIMEOUT_MS / 1000
        while True:
            try:
                await page.goto(server.base_url, wait_until="commit", timeout=5000)
                answered = time.monotonic() - server.started_at
                break
            except Exception:
                if time.monotonic() > deadline or server.proc.poll() is not None:
                    raise RuntimeError(
                        f"the server did not answer:\n{server.output()[-2000:]}"
                    ) from None
                await asyncio.sleep(0.05)
        await page.wait_for_function(FIRST_CHART_JS, timeout=LOAD_TIMEOUT_MS, polling=25)
        elapsed = time.monotonic() - server.started_at
        first = await page.evaluate(FIRST_RUN_JS)
        await page.context.close()
    finally:
        server.stop()
    run.errors.extend(server_tracebacks(server.output()))

    def since_popen(t: float | None) -> float | None:
        # The page's clock is epoch-based (timeOrigin); the server's start is time.time().
        return None if t is None else round((first["origin"] + t) / 1000 - server.wall_start, 2)

    return {"answer": answered, "run_start": since_popen(first["start"]),
            "run_end": since_popen(first["end"]), "drawn": elapsed}


async def measure(args) -> dict:
    run = Run()
    load_before = os.getloadavg()[0]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=CHROMIUM_ARGS)  # fmt: skip
        colds, cold_parts = [], []
        for _ in range(args.cold):
            try:
                part = await cold_start(browser, run)
                colds.append(part["drawn"])
                cold_parts.append({k: v if v is None else round(v, 2) for k, v in part.items()})
            except Exception as exc:
                run.errors.append(f"cold start: {type(exc).__name__}: {exc}")
        pages, _ = await measure_pages(browser, args, run)
        await browser.close()

    def rnd(v):
        return None if v is None else round(v)

    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}",
        "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "edits_per_page": args.edits,
        "switches_per_page": args.switches,
        "quiet_ms": args.quiet,
        "scroll": args.scroll,
        "goals": GOALS,
        "pages": [
            {
                "page": p.title,
                "charts_show_sentence": p.shows_sentence,
                "edit_median_ms": rnd(median(p.edits_ms)),
                "edit_max_ms": rnd(max(p.edits_ms)) if p.edits_ms else None,
                "edits_ms": [round(v) for v in p.edits_ms],
                "kb_per_edit_median": None if not p.edit_bytes
                else round(median(p.edit_bytes) / 1000, 1),
                "kb_per_edit": [round(b / 1000, 1) for b in p.edit_bytes],
                "switch_median_ms": rnd(median(p.switches_ms)),
                "switches_ms": [round(v) for v in p.switches_ms],
                "edit_on_screen_median_ms": rnd(median(p.edits_on_screen_ms)),
                "switch_on_screen_median_ms": rnd(median(p.switches_on_screen_ms)),
                "first_visit_ms": rnd(p.first_visit_ms),
                **({"profile": p.profile} if args.profile else {}),
            }
            for p in pages
        ],
        "cold_start_s": None if not colds else round(median(colds), 2),
        "cold_starts_s": [round(c, 2) for c in colds],
        # Each start: s after Popen of the first HTTP answer, the first script run's start
        # and end (seen in the browser) and the first chart drawn.
        "cold_start_parts_s": cold_parts,
        "resubmits": run.resubmits,
        "errors": len(run.errors),
        "error_list": run.errors[:50],
        "blocked_non_loopback_requests": len(run.blocked),
    }


def mark(value, goal, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value}{unit} {'✓' if value <= goal else '✗'}"


def table(r: dict) -> str:
    g = r["goals"]
    out = [
        f"| page | edit → visual complete, median (≤ {g['edit_ms']} ms) | edit max "
        f"| kB sent per edit (≤ {g['kb_per_edit']}) "
        f"| page switch, median (≤ {g['switch_ms']} ms) "
        "| on screen: edit / switch, median |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for p in r["pages"]:
        out.append(
            f"| {p['page']} | {mark(p['edit_median_ms'], g['edit_ms'], ' ms')} "
            f"| {p['edit_max_ms']} ms | {mark(p['kb_per_edit_median'], g['kb_per_edit'])} "
            f"| {mark(p['switch_median_ms'], g['switch_ms'], ' ms')} "
            f"| {p['edit_on_screen_median_ms']} / {p['switch_on_screen_median_ms']} ms |"
        )
    out.append("")
    out.append(
        f"Cold start (Popen → first chart drawn), median of {len(r['cold_starts_s'])}: "
        f"{mark(r['cold_start_s'], g['cold_s'], ' s')} (goal ≤ {g['cold_s']} s; "
        f"all: {r['cold_starts_s']})"
    )
    for c in r["cold_start_parts_s"]:
        out.append(
            f"  s after Popen: server answers HTTP {c['answer']}, first script run "
            f"{c['run_start']} → {c['run_end']}, first chart drawn {c['drawn']}"
        )
    out.append(
        "On screen: the last DOM change inside the viewport (1400 × 1000; a switch opens a page "
        "at its top, edits are made "
        + ("scrolled to the page's last chart" if r["scroll"] == "bottom" else "at its top")
        + "), against the last one anywhere in the main area.")
    before, after = r["load_average_1min"]
    out.append(
        f"{r['edits_per_page']} edits and {r['switches_per_page']} switches per page, "
        f"quiet window {r['quiet_ms']} ms; errors {r['errors']}, submits pressed again "
        f"(no rerun within {SUBMIT_WAIT_MS / 1000:g} s) "
        f"{r['resubmits']}, blocked non-loopback requests {r['blocked_non_loopback_requests']}."
    )
    out.append(
        "kB per edit, max (Streamlit re-sends an element the browser already holds as a "
        "ref_hash, so an edit back to a sentence seen before costs less than a new one): "
        + ", ".join(f"{p['page']} {max(p['kb_per_edit'], default=None)}" for p in r["pages"])
    )
    shows = [p["page"] for p in r["pages"] if p["charts_show_sentence"]]
    out.append(f"Pages whose charts show the sentence (checked to change): {', '.join(shows)}")
    out.append(
        f"{r['date']}; {r['cpu']}; {r['machine']}; 1-min load average {before} → {after} "
        "(other work on the machine shares these cores)"
    )
    return "\n".join(out)


def profile_table(r: dict) -> str:
    out = [
        "",
        "Profile, medians over the edits: keypress → first message | server run (first "
        "message → script_finished) | browser after the run (→ last DOM change) | messages | "
        "kB by element type and the biggest messages, both of the last edit",
        "",
        "| page | → first msg | server run | browser after run | msgs | kB by type "
        "| biggest messages (kB) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in r["pages"]:
        prof = p.get("profile") or []
        if not prof:
            continue

        def med(key, prof=prof):
            vals = [e[key] for e in prof if e[key] is not None]
            return round(median(vals)) if vals else None

        biggest = ", ".join(f"{label} {kb}" for label, kb in prof[-1]["biggest"])
        by_type = ", ".join(f"{k} {v}" for k, v in list(prof[-1]["kb_by_type"].items())[:4])
        out.append(
            f"| {p['page']} | {med('to_first_message_ms')} ms | {med('server_run_ms')} ms "
            f"| {med('browser_after_run_ms')} ms | {med('messages')} | {by_type} | {biggest} |"
        )
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edits", type=int, default=4, help="timed edits per page")
    ap.add_argument("--switches", type=int, default=3, help="timed switches into each page")
    ap.add_argument("--cold", type=int, default=3, help="cold starts (0 skips them)")
    ap.add_argument("--pages", help="comma-separated menu titles (default: every page)")
    ap.add_argument("--quiet", type=int, default=500,
                    help="ms without a DOM change in the main area that count as complete")
    ap.add_argument("--profile", action="store_true",
                    help="split each edit into server and browser time; name the big messages")
    ap.add_argument("--settle", type=float, default=0.0,
                    help="seconds to wait after the first page is drawn, before the first visits")
    ap.add_argument("--fresh", action="store_true",
                    help="each edit types a new sentence (no reading, figure or element the "
                         "server or the browser has seen): the cost of a sentence never read")
    ap.add_argument("--scroll", choices=("top", "bottom"), default="top",
                    help="where the page is when a timed edit is made: at its top (as a switch "
                         "leaves it) or scrolled to its last chart")
    ap.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = ap.parse_args()
    FRESH["on"] = args.fresh
    if args.edits < 1 or args.switches < 1 or args.cold < 0 or args.quiet < 50:
        ap.error("--edits and --switches must be >= 1, --cold >= 0, --quiet >= 50")
    if not Path(CHROMIUM).exists():
        ap.error(f"no Chromium at {CHROMIUM} (set RNNVIZ_CHROMIUM)")
    result = asyncio.run(measure(args))
    print(table(result))
    print("first visit (the untimed first switch into each page):",
          ", ".join(f"{p['page']} {p['first_visit_ms']} ms" for p in result["pages"]))
    if args.profile:
        print(profile_table(result))
    if result["error_list"]:
        print("\nerrors:")
        for e in result["error_list"]:
            print(f"  {e}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
