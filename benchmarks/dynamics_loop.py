"""Every interaction of the Dynamics page in a real browser (issue 22: each within the charts
issue's latency goals): the action → the last DOM change, with every chart drawn.

    nice python benchmarks/dynamics_loop.py [--runs 8] [--quiet 500]

Starts its own ``streamlit run app.py`` (benchmarks/_browser_common.Server, killed at the
end) and one headless system Chromium (viewport 1400 × 1000, one session), opens the Dynamics
page on the default model and sentence, and times, alternating so that every action changes
what is shown:

* tab: a click on the next of the page's four tabs (each tab is built when it is opened:
  a run that sends and draws its one or two charts);
* sentence: on the spectrum tab, a sentence typed into the sidebar and Ctrl+Enter (two
  sentences in turn, as benchmarks/browser.py);
* network: on the fixed-point tab, a click on the next network (RNN, GRU, LSTM);
* point: the next fixed point chosen in the "Fixed point" selectbox (the eigenvalue chart);
* search: quick or thorough, in turn;
* character: on the constant-input tab, a character typed and Enter.

Every action is made once before the timed ones (the server's caches then hold what it
shows, as after any first visit; the shipped models' first computations are measured by
benchmarks/fixed_points.py and the first visit by benchmarks/browser.py). A MutationObserver
records performance.now() of every DOM change in the main area; an action is done when the
script is not running, every chart has drawn what it last received and nothing changed for
--quiet ms. Reported: median and p95 from the click (or key press) to the last DOM change,
against the goals of issue 20 (an edit ≤ 300 ms median, a page switch ≤ 500 ms: a tab, which
draws charts the page did not show, is held to the switch's goal, every other action to the
edit's), with the load average at the start and at the end.
"""

from __future__ import annotations

import argparse
import statistics

from _actions import act as timed
from _actions import exception_shown, go_to, heading, load, open_app, p95
from _browser_common import Server
from playwright.sync_api import sync_playwright

from rnnviz_app.dynamics_view import CONSTANT_TAB, FIXED_TAB, SPECTRUM_TAB
from rnnviz_app.dynamics_view import TABS as _TABS

TABS = tuple(_TABS)
SENTENCES = ("A zebra yawns quietly under the old apple tree at noon.",
             "Return the number of items in the list.")
NETWORKS = ("GRU (shipped)", "LSTM (shipped)", "RNN (shipped)")
SEARCHES = ("thorough: 256 starts, as the cards", "quick: 64 starts")
GOALS = {"tab": 500, "sentence": 300, "network": 300, "point": 300, "search": 300,
         "character": 300}


def act(page, do, quiet: int) -> float:
    """`do()` timed (`_actions.act`): ms from its click or Enter to the last DOM change."""
    done = timed(page, do, quiet)
    if done["dom"] is None:
        raise RuntimeError("the action changed nothing in the main area")
    return float(done["dom"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=8, help="timed actions of each kind")
    ap.add_argument("--quiet", type=int, default=500)
    args = ap.parse_args()
    load_start = load()
    server = Server()
    ms: dict[str, list[float]] = {k: [] for k in GOALS}
    try:
        with sync_playwright() as pw:
            browser, page = open_app(pw, server.base_url)
            go_to(page, "Dynamics", ".st-key-dynamics-spectrum .js-plotly-plot")
            main_area = page.locator("[data-testid='stMain']")

            def tab(label):
                return lambda: main_area.get_by_role("tab", name=label, exact=True).click()

            def radio(group, option):
                return lambda: main_area.get_by_role("radiogroup", name=group).get_by_text(
                    option, exact=True).click()

            box = page.locator("[data-testid='stSidebar']").get_by_label("Input sentence",
                                                                       exact=True)

            def sentence(text):
                def do():
                    box.fill(text)
                    box.press("Control+Enter")
                return do

            def point(i):
                def do():
                    picker = main_area.get_by_role("combobox", name="Fixed point (or click "
                                                   "it in the chart)", exact=True).first
                    for _ in range(3):          # a click may only scroll it into view
                        picker.click()
                        if page.get_by_role("option").count():
                            break
                    page.evaluate("() => { window.__mark = null; }")    # the option's click
                    page.get_by_role("option").nth(i).click()
                return do

            char_box = main_area.get_by_label("Character read forever", exact=True)

            def character(c):
                def do():
                    char_box.fill(c)
                    char_box.press("Enter")
                return do

            for timed in (False, True):          # once untimed: every state seen once
                n = args.runs if timed else len(TABS)
                rec = (lambda k, v: ms[k].append(v)) if timed else (lambda k, v: None)
                for i in range(n):
                    rec("tab", act(page, tab(TABS[(i + 1) % len(TABS)]), args.quiet))
                if n % len(TABS) != 0:          # back to the spectrum
                    act(page, tab(SPECTRUM_TAB), args.quiet)
                for i in range(args.runs if timed else 2):
                    rec("sentence", act(page, sentence(SENTENCES[i % 2]), args.quiet))
                act(page, tab(FIXED_TAB), args.quiet)
                # as many as timed: the untimed round ends on the network the timed one does,
                # so the points and searches below have been seen on it too
                for i in range(args.runs):
                    rec("network", act(page, radio("Network", NETWORKS[i % 3]), args.quiet))
                for i in range(args.runs if timed else 2):
                    rec("point", act(page, point((i + 1) % 2), args.quiet))
                for i in range(args.runs if timed else 2):
                    rec("search", act(page, radio("Search", SEARCHES[i % 2]), args.quiet))
                act(page, tab(CONSTANT_TAB), args.quiet)
                for i in range(args.runs if timed else 2):
                    rec("character", act(page, character("ea"[i % 2]), args.quiet))
                act(page, tab(SPECTRUM_TAB), args.quiet)
            if exception_shown(page):
                return 1
            browser.close()
    finally:
        server.stop()
    heading(f"Dynamics page, default model and sentence, {args.runs} timed actions of each "
            "kind", load_start)
    print("| action | to the last DOM change: median / p95 | goal (median) |\n|---|---|---|")
    for name, values in ms.items():
        ok = "✓" if statistics.median(values) <= GOALS[name] else "✗"
        print(f"| {name} | {statistics.median(values):.0f} / {p95(values):.0f} ms | "
              f"≤ {GOALS[name]} ms {ok} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
