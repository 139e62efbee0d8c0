"""Server time per interaction and payload of every page, measured with Streamlit's AppTest.

    python benchmarks/app.py                 # every page in app.py's menu, 5 repeats
    python benchmarks/app.py --repeat 9 --pages pages/forward.py

For each page: the first render (cold caches), the default rerun (median of --repeat), and
every widget on the page (main area and sidebar) changed once to a new value and back,
each rerun timed. "median interaction" is the median over the default reruns and all
widget changes: the issue's bar is 100 ms at default settings. "payload" is the size of
every element the page sends (protobuf bytes, Plotly specs included) after the default
render: the bar is 1.5 MB.

AppTest runs the script in-process without a browser, so these are server times (script
run plus AppTest's own bookkeeping): an upper bound for the server side of an interaction.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import time
import warnings
from pathlib import Path

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"
TIMEOUT_S = 120
# Raw option values of radios/selectboxes whose labels are formatted (AppTest sees only the
# labels). Widgets not listed here are tried with a few guesses and skipped if none fits.
RAW_OPTIONS = {
    "sidebar.cell": ["rnn", "gru", "lstm"],
    "backward.loss": ["all", "last"],
    "backward.direction": ["fwd", "bwd"],
    "vanishing.weights": ["random", "trained"],
    "vanishing.measure": ["loss", "jacobian"],
    "vanishing.activation": ["tanh", "relu"],
    "vanishing.clip": ["none", "value", "norm"],
}
SENTENCES = ["The apple and pear salad.", "Return the number of items in the list."]


def declared_pages() -> list[str]:
    """Script paths of the `st.Page(...)` calls in app.py, in menu order."""
    tree = ast.parse(APP.read_text(encoding="utf-8"))
    return [n.args[0].value for n in ast.walk(tree)
            if isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "Page" and n.args]


def _walk(node):
    children = getattr(node, "children", None)
    if children:
        for child in children.values():
            yield from _walk(child)
    else:
        yield node


def payload_bytes(at: AppTest) -> int:
    """Protobuf size of every element on the page (sidebar included)."""
    total = 0
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ByteSize"):
            total += proto.ByteSize()
    return total


def _raw_candidates(widget, i):
    label = widget.options[i]
    yield from RAW_OPTIONS.get(widget.key, [])[i:i + 1]
    yield label
    yield i
    yield label.lower()
    yield label.split()[0] if label.split() else label


def _set_option(widget, i) -> bool:
    for raw in _raw_candidates(widget, i):
        try:
            if str(widget.format_func(raw)) == widget.options[i]:
                widget.set_value(raw)
                return True
        except Exception:
            continue
    return False


def changes(widget):
    """(description, apply) pairs: a new value for the widget, then the way back.

    `apply(w)` receives the *fresh* widget of the current run (AppTest reads widget states
    from the latest element tree only) and returns False when it cannot set the value.
    """
    kind = type(widget).__name__
    key = widget.key or widget.label
    if kind in ("Radio", "Selectbox") and len(widget.options) > 1:
        i = widget.index or 0
        j = (i + 1) % len(widget.options)
        return [(f"{key} -> {widget.options[j][:24]}", lambda w: _set_option(w, j)),
                (f"{key} back", lambda w: _set_option(w, i))]
    if kind == "Slider":
        v = widget.value
        if isinstance(v, (tuple, list)):
            return []
        new = widget.max if v != widget.max else widget.min
        return [(f"{key} -> {new}", lambda w: w.set_value(new) or True),
                (f"{key} back", lambda w: w.set_value(v) or True)]
    if kind == "SelectSlider" and len(widget.options) > 1:
        v = widget.value
        new = widget.options[-1] if widget.format_func(v) != widget.options[-1] else \
            widget.options[0]
        return [(f"{key} -> {new}", lambda w: _set_from_label(w, new)),
                (f"{key} back", lambda w: w.set_value(v) or True)]
    if kind in ("Toggle", "Checkbox"):
        v = bool(widget.value)
        return [(f"{key} -> {not v}", lambda w: w.set_value(not v) or True),
                (f"{key} back", lambda w: w.set_value(v) or True)]
    if kind == "NumberInput":
        return [(f"{key} +1", lambda w: w.increment() or True),
                (f"{key} -1", lambda w: w.decrement() or True)]
    if kind == "Multiselect" and len(widget.options) > 1:
        v = list(widget.value)
        return [(f"{key} -> one", lambda w: w.set_value(v[:1]) or True),
                (f"{key} back", lambda w: w.set_value(v) or True)]
    if kind in ("TextArea", "TextInput"):
        v = widget.value or ""
        new = SENTENCES[0] if v != SENTENCES[0] else SENTENCES[1]
        return [(f"{key} -> new text", lambda w: w.input(new) or True),
                (f"{key} back", lambda w: w.input(v) or True)]
    if kind == "Button" and not getattr(widget, "disabled", False):
        return [(f"{key} click", lambda w: w.click() or True)]
    return []


def _set_from_label(widget, label):
    for raw in (label, float(label) if _is_number(label) else None):
        if raw is None:
            continue
        try:
            if widget.format_func(raw) == label:
                widget.set_value(raw)
                return True
        except Exception:
            continue
    return False


def _is_number(s):
    try:
        float(s)
    except ValueError:
        return False
    return True


WIDGET_TYPES = ("radio", "selectbox", "slider", "select_slider", "toggle", "checkbox",
                "number_input", "multiselect", "text_area", "text_input", "button")


def widgets(at: AppTest):
    found = []
    for t in WIDGET_TYPES:
        for w in getattr(at, t):
            if getattr(w, "disabled", False):
                continue
            found.append((t, w.key))
    return found


def _get(at, t, key):
    return getattr(at, t)(key=key)


def bench_page(page: str, repeat: int) -> dict:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    at.switch_page(page)
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    if at.exception:
        return {"page": page, "error": at.exception[0].value}
    reruns = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - t0)
    payload = payload_bytes(at)
    interactions, skipped = [], []
    for t, key in widgets(at):
        if key is None or key == "sidebar.model":        # switching models: not a page widget
            continue
        for desc, apply in changes(_get(at, t, key)):
            try:
                w = _get(at, t, key)
            except KeyError:                               # the widget went away
                skipped.append(desc)
                continue
            if not apply(w):
                skipped.append(desc)
                continue
            t0 = time.perf_counter()
            at.run()
            dt = time.perf_counter() - t0
            if at.exception:
                return {"page": page, "error": f"{desc}: {at.exception[0].value}"}
            interactions.append((desc, dt))
    all_times = reruns + [dt for _, dt in interactions]
    return {
        "page": page, "cold": cold, "default": statistics.median(reruns),
        "median": statistics.median(all_times),
        "worst": max(interactions, key=lambda x: x[1]) if interactions else ("-", 0.0),
        "n": len(interactions), "payload": payload, "skipped": skipped,
        "interactions": interactions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="default reruns per page")
    parser.add_argument("--pages", nargs="*", help="page scripts (default: all in app.py)")
    parser.add_argument("--verbose", action="store_true", help="print every interaction")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    pages = args.pages or declared_pages()
    rows = [bench_page(p, args.repeat) for p in pages]
    print(f"{'page':28s} {'cold':>7s} {'default':>8s} {'median':>7s} {'n':>3s} "
          f"{'payload':>9s}  slowest interaction")
    for r in rows:
        if "error" in r:
            print(f"{r['page']:28s} ERROR {r['error']}")
            continue
        worst_desc, worst_t = r["worst"]
        flag = "" if r["median"] <= 0.100 and r["payload"] < 1.5e6 else "  <-- over the bar"
        print(f"{r['page']:28s} {r['cold'] * 1e3:6.0f}ms {r['default'] * 1e3:7.0f}ms "
              f"{r['median'] * 1e3:6.0f}ms {r['n']:3d} {r['payload'] / 1e3:8.1f}kB  "
              f"{worst_desc[:40]} ({worst_t * 1e3:.0f} ms){flag}")
        if args.verbose:
            for desc, dt in r["interactions"]:
                print(f"    {dt * 1e3:7.1f} ms  {desc}")
        if r["skipped"]:
            print(f"    skipped (no raw option value found): {', '.join(r['skipped'])}")


if __name__ == "__main__":
    main()
