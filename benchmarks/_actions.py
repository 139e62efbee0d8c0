"""Timing one action in a page of the app, for the loop benchmarks (benchmarks/whatif_loop.py,
benchmarks/dynamics_loop.py): from the action (the first click, or key press of Enter, ← or →,
after the mark is cleared) to the last DOM change in the main area, once the script is not
running, every chart has drawn what it last received (or waits far off screen:
rnnviz/web/chart.js) and nothing changed for `quiet` ms.

`open_app` starts Chromium on the app with `INIT_JS` in the page; `act(page, do, quiet)`
clears the mark, runs `do()` and returns {chart, dom, start, end}: ms from the action to the
last chart redrawn, to the last DOM change, to the script run's start and end (None when
absent). `scroll_catchup.py` shares the opening (`open_app`, `go_to`) and the report's
heading (`heading`), not the timing."""

from __future__ import annotations

import os
import time

from _browser_common import CHROMIUM, CHROMIUM_ARGS, cpu_model

INIT_JS = r"""
(() => {
  window.__mark = null; window.__lastMut = 0; window.__lastChart = 0; window.__runs = [];
  new MutationObserver((muts) => {
    const t = performance.now();
    for (const m of muts) {
      if (m.type === 'attributes' && m.attributeName === 'data-test-script-state') {
        window.__runs.push({state: m.target.getAttribute('data-test-script-state'), t});
      }
      const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      if (!el || !el.closest || !el.closest("[data-testid='stMain']")) continue;
      window.__lastMut = t;
      if (m.type === 'attributes' && m.attributeName === 'data-drawn') window.__lastChart = t;
    }
  }).observe(document, {subtree: true, childList: true, attributes: true,
                        characterData: true});
  const mark = () => { if (window.__mark === null) window.__mark = performance.now(); };
  document.addEventListener('click', mark, true);
  document.addEventListener('keydown', (e) => {
    if (['ArrowLeft', 'ArrowRight', 'Enter'].includes(e.key)) mark();
  }, true);
})();
"""

DONE_JS = r"""
(quiet) => {
  const t0 = window.__mark;
  if (t0 === null) return false;
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector("[data-testid='stSkeleton'], [data-testid='stSpinner']")) {
    return false;
  }
  const charts = [...document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot")];
  if (!charts.length || !charts.every((el) => el._fullLayout
      && (el.dataset.revision === undefined || el.dataset.drawn === el.dataset.revision
          || el.dataset.waiting === el.dataset.revision))) {   // far off screen: waits
    return false;
  }
  if (performance.now() - Math.max(window.__lastMut, t0) < quiet) return false;
  const runs = window.__runs.filter((r) => r.t >= t0);
  const start = runs.find((r) => r.state === 'running');
  const end = [...runs].reverse().find((r) => r.state === 'notRunning');
  return {chart: window.__lastChart >= t0 ? window.__lastChart - t0 : null,
          dom: window.__lastMut >= t0 ? window.__lastMut - t0 : null,
          start: start ? start.t - t0 : null, end: end ? end.t - t0 : null};
}
"""

STATE_JS = r"""
() => ({mark: window.__mark, script: document.querySelector("[data-testid='stApp']")
          .getAttribute('data-test-script-state'),
        charts: [...document.querySelectorAll("[data-testid='stMain'] .js-plotly-plot")]
          .map((el) => [el.dataset.revision, el.dataset.drawn, el.dataset.waiting])})
"""


def act(page, do, quiet: int) -> dict:
    """`do()` after the mark is cleared; the timings of `DONE_JS`."""
    page.evaluate("() => { window.__mark = null; }")
    do()
    try:
        return page.wait_for_function(DONE_JS, arg=quiet, timeout=120_000,
                                      polling=25).json_value()
    except Exception:
        print("not done after 120 s:", page.evaluate(STATE_JS))
        raise


def p95(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]


def load() -> str:
    """The load average (1, 5, 15 min): the machine is shared, say so beside the numbers."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def open_app(pw, base_url: str, init_js: str | None = INIT_JS):
    """(browser, page): one Chromium at 1400 × 1000 on the app, `init_js` in the page, once
    the first page has drawn a chart (its first run over, before the menu is used, as a person
    does)."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    if init_js:
        page.add_init_script(init_js)
    page.goto(base_url, wait_until="domcontentloaded")
    page.wait_for_selector("[data-testid='stMain'] .js-plotly-plot", timeout=120_000)
    return browser, page


def go_to(page, title: str, ready: str | None = None) -> None:
    """Click the menu link `title`; with `ready`, wait for that selector."""
    page.locator("[data-testid='stSidebarNavLink']", has_text=title).first.click(
        timeout=120_000)
    if ready:
        page.wait_for_selector(ready, timeout=120_000)


def exception_shown(page) -> bool:
    """Whether an exception box is in the main area (said on stdout)."""
    if page.locator("[data-testid='stMain'] [data-testid='stException']").count():
        print("an exception box is on the page")
        return True
    return False


def heading(what: str, load_start: str) -> None:
    """The report's first lines: what was timed, the CPU, the time, and the load average."""
    print(f"{what}; {cpu_model()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"load average (1, 5, 15 min): {load_start} at the start, {load()} at the end")
