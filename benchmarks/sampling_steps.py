"""Stepping through a sample on the Sampling page with the arrow keys, in Chromium.

    python benchmarks/sampling_steps.py               # 10 presses, paced and in a burst, 3 rounds
    python benchmarks/sampling_steps.py --presses 20 --rounds 5

Starts its own ``streamlit run app.py`` on 127.0.0.1 (killed at the end) and one headless
system Chromium (``RNNVIZ_CHROMIUM``, default /usr/bin/chromium), viewport 1400 × 1000; opens
the Sampling page, focuses the "Step t" slider and presses → (ArrowRight):

* paced: one press, then wait until the page shows that step, then the next press; the time
  of each press to "shown" (median, max) and their sum over --presses presses;
* burst: --presses presses --gap ms apart (a person tapping the key), from the first press
  until the page shows the last step.

"Shown" is what a person sees: the slider's value, the top-k chart's title (ŷ<t> of the step),
the hidden-state chart's step label, the "Drawn character" metric changed or the same as the
sample says, and the app idle (script state notRunning). Times are ``performance.now()`` in the
page; the first line names the CPU, the load average and the Streamlit version.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time

from _browser_common import CHROMIUM, CHROMIUM_ARGS, Server, cpu_model
from playwright.sync_api import sync_playwright

SLIDER = "input[type='range'][aria-label^='Step t']"
TIMEOUT_MS = 30_000

# The step the page shows, or null while any part of it still shows another one.
SHOWN_JS = r"""
(want) => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return null;
  const slider = document.querySelector("%s");
  const plot = (k) => document.querySelector(`.st-key-${k} .js-plotly-plot`);
  const topk = plot('sampling-topk_chart'), hidden = plot('sampling-hidden_chart');
  if (!slider || !topk || !hidden || !topk._fullLayout || !hidden._fullLayout) return null;
  const s = Number(slider.value);
  const title = (topk._fullLayout.title || {}).text || '';
  const notes = (hidden._fullLayout.annotations || []).map((a) => a.text || '').join(' ');
  if (!notes.includes(`a<${s}>`)) return null;
  if (want !== null && (s !== want || !title.includes(`ŷ<${want + window.__base}>`)))
    return null;
  return {s, title};
}
""" % SLIDER


def open_sampling(browser, base_url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base_url}/sampling", wait_until="domcontentloaded")
    page.wait_for_selector(SLIDER, state="attached", timeout=90_000)
    shown = page.wait_for_function(SHOWN_JS, arg=None, timeout=90_000, polling=50).json_value()
    # ŷ<t> of step s is t = n_prefix + s - 1: read the offset once from the title
    first = int(re.search(r"ŷ<(\d+)>", shown["title"]).group(1))
    page.evaluate("(b) => { window.__base = b; }", first - shown["s"])
    return page, shown["s"]


def press_and_wait(page, want: int) -> float:
    """ms from the keypress to the page showing step `want`."""
    t0 = page.evaluate("() => performance.now()")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(SHOWN_JS, arg=want, timeout=TIMEOUT_MS, polling="raf")
    return page.evaluate("() => performance.now()") - t0


def burst(page, start: int, presses: int, gap_ms: int) -> float:
    t0 = page.evaluate("() => performance.now()")
    for k in range(presses):
        page.keyboard.press("ArrowRight")
        if k < presses - 1:
            page.wait_for_timeout(gap_ms)
    page.wait_for_function(SHOWN_JS, arg=start + presses, timeout=TIMEOUT_MS, polling="raf")
    return page.evaluate("() => performance.now()") - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--presses", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3, help="paced + burst rounds")
    ap.add_argument("--gap", type=int, default=100, help="ms between presses in a burst")
    args = ap.parse_args(argv)
    import streamlit

    print(f"# {cpu_model()}; {os.cpu_count()} cores; load average "
          f"{os.getloadavg()[0]:.2f}; streamlit {streamlit.__version__}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    server = Server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page, step = open_sampling(browser, server.base_url)
            page.locator(SLIDER).focus()
            press_and_wait(page, step + 1)                   # warm-up: code and caches
            step += 1
            paced, bursts = [], []
            for _ in range(args.rounds):
                times = []
                for _ in range(args.presses):
                    step += 1
                    times.append(press_and_wait(page, step))
                paced.append(times)
                bursts.append(burst(page, step, args.presses, args.gap))
                step += args.presses
            browser.close()
    finally:
        server.stop()
    flat = [t for r in paced for t in r]
    print(f"paced: one press -> step shown: median {statistics.median(flat):.0f} ms, "
          f"max {max(flat):.0f} ms; {args.presses} presses: "
          + ", ".join(f"{sum(r):.0f}" for r in paced) + " ms")
    print(f"burst: {args.presses} presses {args.gap} ms apart -> last step shown: "
          + ", ".join(f"{b:.0f}" for b in bursts) + " ms (presses alone: "
          f"{(args.presses - 1) * args.gap} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
