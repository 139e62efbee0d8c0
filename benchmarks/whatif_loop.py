"""The What-if page's loop in a real browser: a change of the clamp → the last chart redrawn.

    nice python benchmarks/whatif_loop.py [--runs 12] [--quiet 500]

Starts its own ``streamlit run app.py`` (benchmarks/_browser_common.Server, killed at the
end) and one headless system Chromium (viewport 1400 × 1000, one session), opens the What if?
page on the default model and sentence (clamp of unit 0 of a<t> at every step), and times
two actions, alternating so that every one changes the numbers:

* slider: the clamp value's slider focused, ArrowRight or ArrowLeft pressed (one step of
  0.05), the way a person nudges it from the keyboard;
* typed: a value typed into "or type v" and Enter pressed.

A MutationObserver records performance.now() of every DOM change in the main area and of
every chart element's redraw (its ``data-drawn`` attribute: set once Plotly.react has
drawn). An action is done when the script is not running, every chart has drawn what it last
received and nothing in the main area changed for --quiet ms. Reported: from the key press
to the last chart redrawn and to the last DOM change, median and p95 over --runs, and when
the app's script run started and ended (its ``data-test-script-state``; the time before the
start is the widget's own debounce and the message to the server), with the load average at
the start and at the end (the machine is shared: say so beside the numbers).
"""

from __future__ import annotations

import argparse
import statistics

from _actions import act, exception_shown, go_to, heading, load, open_app, p95
from _browser_common import Server
from playwright.sync_api import sync_playwright


def _median(runs: list[dict], field: str) -> str:
    values = [r[field] for r in runs if r[field] is not None]
    return f"{statistics.median(values):.0f} ms" if values else "–"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=12)
    ap.add_argument("--quiet", type=int, default=500)
    args = ap.parse_args()
    load_start = load()
    server = Server()
    results: dict[str, list[dict]] = {"slider": [], "typed": []}
    try:
        with sync_playwright() as pw:
            browser, page = open_app(pw, server.base_url)
            go_to(page, "What if?", ".st-key-whatif-pred .js-plotly-plot")
            main_area = page.locator("[data-testid='stMain']")
            slider = main_area.locator("[data-testid='stSlider']").filter(
                has_text="Clamp value v").locator("input[type='range'], [role='slider']").first
            typed = main_area.get_by_label("or type v", exact=True)
            act(page, lambda: (slider.focus(), slider.press("ArrowRight")), args.quiet)  # warm
            for i in range(args.runs):
                key = "ArrowLeft" if i % 2 == 0 else "ArrowRight"
                results["slider"].append(act(page, lambda k=key: slider.press(k), args.quiet))
            for i in range(args.runs):
                typed.fill("0.3" if i % 2 == 0 else "-0.3")
                results["typed"].append(act(page, lambda: typed.press("Enter"), args.quiet))
            if exception_shown(page):
                return 1
            browser.close()
    finally:
        server.stop()
    heading(f"What if? page, char model of the sidebar's default, {args.runs} runs per action",
            load_start)
    print("| action | to the last chart redrawn: median / p95 | to the last DOM change: "
          "median / p95 | script run starts (median) | script run ends (median) |\n"
          "|---|---|---|---|---|")
    for name, runs in results.items():
        chart = [r["chart"] for r in runs if r["chart"] is not None]
        dom = [r["dom"] for r in runs if r["dom"] is not None]
        missing = len(runs) - len(chart)
        print(f"| {name} | {statistics.median(chart):.0f} / {p95(chart):.0f} ms"
              f"{f' ({missing} without a redraw)' if missing else ''} | "
              f"{statistics.median(dom):.0f} / {p95(dom):.0f} ms | "
              f"{_median(runs, 'start')} | {_median(runs, 'end')} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
