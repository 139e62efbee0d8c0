"""Record what every rnnviz page sends, so the floor app can replay it with no computation.

    python benchmarks/floor_record.py --out /tmp/rnnviz-replay.json
    RNNVIZ_BENCH_SCRIPT=benchmarks/floor_app.py RNNVIZ_FLOOR_ELEMENT=component \
        RNNVIZ_FLOOR_REPLAY=/tmp/rnnviz-replay.json python benchmarks/browser.py --cold 0

Runs app.py headless (Streamlit's AppTest, the shipped models, no background warm-up) and, for
each page in the menu's order and for each of the two sentences benchmarks/browser.py types
(rnnviz's default sentence and browser.py's other one), keeps the ForwardMsgs of the page's
first run at that sentence that draw in the main area (deltas whose path starts in the main
container: every element, block, chart and widget of the page, as protobuf bytes). Nothing
of the sidebar is kept: the floor app has its own (browser.py's contract).

The floor app (RNNVIZ_FLOOR_REPLAY) then serves one page per recorded page, under the same
title and in the same order, whose script only enqueues the recorded messages of the sentence
in its sidebar: the browser receives and draws the very elements rnnviz's page draws (the
same widgets, Markdown, KaTeX, metrics and charts, in the chart element), and the server
computes nothing. A page's first visit, page switch or edit in the replay is the floor under
that page on the same machine: what Streamlit's frontend and Plotly cost for those elements.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import sys
import time
from pathlib import Path

from browser import DEFAULT_SENTENCE, OTHER_SENTENCE

REPO_ROOT = Path(__file__).resolve().parents[1]

MAIN = 0   # streamlit's RootContainer.MAIN: the first index of a main-area delta's path


def main_deltas(msgs) -> list[bytes]:
    """The serialized ForwardMsgs among `msgs` that draw in the main area."""
    return [m.SerializeToString() for m in msgs
            if m.WhichOneof("type") == "delta" and m.metadata.delta_path
            and m.metadata.delta_path[0] == MAIN]


@contextlib.contextmanager
def last_run():
    """Within the block, a list that holds the ForwardMsgs of AppTest's last script run."""
    from streamlit.testing.v1 import local_script_runner

    parse = local_script_runner.parse_tree_from_messages
    last: list = []

    def keep(msgs):
        last[:] = list(msgs)
        return parse(msgs)

    local_script_runner.parse_tree_from_messages = keep
    try:
        yield last
    finally:
        local_script_runner.parse_tree_from_messages = parse


def record(sentences: tuple[str, ...], timeout: float, titles=None) -> dict:
    """{"pages": [title, ...] in menu order, "recorded": {title: {sentence: [base64, ...]}}}
    of every page of rnnviz's menu (or those named in `titles`)."""
    from streamlit.testing.v1 import AppTest

    from rnnviz_app.shell import PAGES
    from rnnviz_app.state import KEY_SENTENCE

    os.environ.setdefault("RNNVIZ_WARM_START", "0")   # no background threads in the recording
    pages = [p for p in PAGES if titles is None or p.title in titles]
    recorded: dict[str, dict[str, list[str]]] = {}
    with last_run() as last:
        for page in pages:
            at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=timeout)
            at.run()
            if not page.default:
                at.switch_page(page.path).run()
            recorded[page.title] = {}
            for text in sentences:
                if at.text_area(key=KEY_SENTENCE).value != text:
                    at.text_area(key=KEY_SENTENCE).set_value(text).run()
                if at.exception:
                    raise RuntimeError(f"{page.title}: the page raised: {at.exception[0].value}")
                deltas = main_deltas(last)
                if not deltas:
                    raise RuntimeError(f"{page.title}: nothing drawn in the main area")
                recorded[page.title][text] = [base64.b64encode(d).decode() for d in deltas]
                print(f"{page.title!r} at {text[:20]!r}…: {len(deltas)} messages, "
                      f"{sum(map(len, deltas)) / 1000:.1f} kB", flush=True)
    return {"pages": [p.title for p in pages], "recorded": recorded,
            "recorded_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/rnnviz-replay.json"))
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per script run")
    args = ap.parse_args()
    os.chdir(REPO_ROOT)
    result = record((DEFAULT_SENTENCE, OTHER_SENTENCE), args.timeout)
    args.out.write_text(json.dumps(result) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
