"""What the lazy charts cost a visitor who scrolls: after a sentence edit made at the top of a
page, each chart left waiting far from the screen (rnnviz/web/chart.js: park) is scrolled to,
and the time from the scroll to its new figure drawn is measured.

    nice python benchmarks/scroll_catchup.py [--pages "Activations,Units"] [--edits 3]

Starts its own ``streamlit run app.py`` (benchmarks/_browser_common.Server, killed at the
end) and one headless system Chromium (1400 × 1000, one session). Per page (default: every
page with a chart), --edits times: type one of two sentences in turn at the top of the page,
Ctrl+Enter, wait until the run is over and every chart has drawn or waits; then for each
chart that waits, from the top down, jump to it (``scrollIntoView``, centred: a scroll bar
dragged, a link followed; a wheel scroll reaches the chart later, and the chart starts
drawing 400 px before it is on screen, so this is the worst case) and time until it has drawn
the edit's figure. Reported per page: how many charts waited per edit, and the time from
the jump to drawn, median and max. A chart is dimmed meanwhile (class rnnviz-stale).
"""

from __future__ import annotations

import argparse
import statistics

from _actions import exception_shown, go_to, heading, load, open_app
from _browser_common import Server
from playwright.sync_api import sync_playwright

SENTENCES = ("A zebra yawns quietly under the old apple tree at noon.",
             "Return the number of items in the list.")
PAGES = ("Activations", "Units", "What if?", "Forward pass", "Backward pass (BPTT)",
         "Vanishing gradients", "Dynamics", "Bidirectional context", "Sampling",
         "Types of RNNs")

SETTLED_JS = r"""
() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  return [...document.querySelectorAll("[data-testid='stMain'] .rnnviz-chart")].every((d) =>
    d.dataset.revision !== undefined && (d.dataset.drawn === d.dataset.revision
                                         || d.dataset.waiting === d.dataset.revision));
}
"""

# The keys of the charts that wait, from the top of the page down.
WAITING_JS = r"""
() => [...document.querySelectorAll("[data-testid='stMain'] .rnnviz-chart")]
  .filter((d) => d.dataset.waiting === d.dataset.revision)
  .map((d) => [...d.closest("[class*='st-key-']").classList]
    .find((c) => c.startsWith('st-key-')))
"""

# Jump to the chart of key class `k`; resolves with ms from the jump to its figure drawn.
JUMP_JS = r"""
(k) => new Promise((resolve) => {
  const d = document.querySelector(`.${k} .rnnviz-chart`);
  const want = d.dataset.revision;
  const t0 = performance.now();
  d.scrollIntoView({block: 'center'});
  const check = () => {
    if (d.dataset.drawn === want) resolve(performance.now() - t0);
    else requestAnimationFrame(check);
  };
  check();
})
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", default=",".join(PAGES), help="comma-separated menu titles")
    ap.add_argument("--edits", type=int, default=3)
    args = ap.parse_args()
    load_start = load()
    server = Server()
    rows = []
    try:
        with sync_playwright() as pw:
            browser, page = open_app(pw, server.base_url, init_js=None)
            box = page.locator("[data-testid='stSidebar']").get_by_label("Input sentence",
                                                                       exact=True)
            for title in args.pages.split(","):
                go_to(page, title)
                page.wait_for_timeout(500)
                page.wait_for_function(SETTLED_JS, timeout=120_000, polling=50)
                waited, ms = [], []
                for i in range(args.edits):
                    page.evaluate("() => { document.querySelector(\"[data-testid='stMain']\")"
                                  ".scrollIntoView({block: 'start'}); }")
                    box.fill(SENTENCES[i % 2])
                    box.press("Control+Enter")
                    page.wait_for_timeout(300)
                    page.wait_for_function(SETTLED_JS, timeout=120_000, polling=50)
                    keys = page.evaluate(WAITING_JS)
                    waited.append(len(keys))
                    for k in keys:
                        ms.append(page.evaluate(JUMP_JS, k))
                    page.wait_for_function(SETTLED_JS, timeout=120_000, polling=50)
                rows.append((title, waited, ms))
            if exception_shown(page):
                return 1
            browser.close()
    finally:
        server.stop()
    heading(f"Charts waiting off screen after an edit at the top, and the jump to each: "
            f"{args.edits} edits per page", load_start)
    print("| page | charts waiting per edit | jump → drawn: median / max |\n|---|---|---|")
    for title, waited, ms in rows:
        spread = f"{statistics.median(ms):.0f} / {max(ms):.0f} ms" if ms else "–"
        print(f"| {title} | {statistics.median(waited):g} | {spread} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
