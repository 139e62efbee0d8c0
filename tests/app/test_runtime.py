"""Process settings of the app (rnnviz_app.runtime)."""

import base64
import json

import numpy as np
import plotly.io as pio

import rnnviz_app
from rnnviz.figures.figure import figure
from rnnviz_app.runtime import lighter_plotly_json


def test_importing_the_app_changes_no_process_setting():
    """Importing a module changes nothing; the first run of the app prepares the process."""
    import subprocess
    import sys

    code = ("import plotly.io._json as j, gc; import rnnviz_app; "
            "print(gc.get_freeze_count() == 0, ('/', '\\\\u002f') in j._swap_json)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["True", "True"]


def test_chart_json_keeps_slashes_and_still_escapes_html():
    rnnviz_app.shell._prepare_process()                         # what the app's first run does
    values = np.array([0.5, -0.75, 0.999, 1.0, -1.0, 0.25], dtype=np.float32)
    assert b"/" in base64.b64encode(values.tobytes())           # the data has slashes
    fig = figure([dict(type="heatmap", z=values.reshape(2, 3), name="</script><b>x</b>")],
                 dict(title=dict(text="a/b")), compact=True)
    text = pio.to_json(fig, validate=False)
    assert "\\u002f" not in text and "</" not in text and "\\u003c" in text
    spec = json.loads(text)
    z = spec["data"][0]["z"]
    got = np.frombuffer(base64.b64decode(z["bdata"]), dtype=np.float32)
    np.testing.assert_array_equal(got, values)                  # the same numbers arrive
    assert spec["data"][0]["name"] == "</script><b>x</b>"
    assert spec["layout"]["title"]["text"] == "a/b"
    assert lighter_plotly_json() is False                       # already applied, idempotent


def test_the_warm_up_starts_once_after_the_first_runs_page(monkeypatch):
    """The background warm-up (the Units and Dynamics pages' first visits) starts when the
    server's first run has run its page, not beside it (they would share the GIL), and only
    once per process."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from rnnviz_app import shell

    events = []
    real_thread = shell.threading.Thread          # the threading module's: AppTest uses it too

    class WarmUp:
        def start(self):
            events.append("warm-up")

    def thread(*args, **kwargs):
        if kwargs.get("target") is shell._warm_caches:
            assert kwargs.get("daemon") is True
            return WarmUp()
        return real_thread(*args, **kwargs)

    def navigation(position="sidebar"):
        page = real_navigation(position)

        class Page:
            def run(self):
                events.append("page")
                page.run()
        return Page()

    real_navigation = shell._navigation
    monkeypatch.setenv("RNNVIZ_WARM_START", "1")
    monkeypatch.setattr(shell.threading, "Thread", thread)
    monkeypatch.setattr(shell, "_navigation", navigation)
    shell._start_warm_up.cache_clear()
    try:
        at = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=60)
        at.run()
        assert not at.exception
        assert events == ["page", "warm-up"]
        at.run()
        assert events == ["page", "warm-up", "page"]           # once per process
    finally:
        shell._start_warm_up.cache_clear()


def test_the_warm_up_compiles_every_page_and_imports_what_it_imports(monkeypatch):
    """`shell._warm_pages`: every page of the menu compiled through Streamlit's script cache
    (the pages manager the first run hands over) and the modules its script imports
    imported, submodules named in `from package import module` included."""
    import importlib
    from pathlib import Path

    from rnnviz_app import shell

    compiled, imported = [], []
    real_import = importlib.import_module

    class PagesManager:
        def get_page_script_byte_code(self, path):
            compiled.append(path)

    def import_module(name, *args):
        imported.append(name)
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", import_module)
    shell._warm_pages(PagesManager())
    root = Path(__file__).resolve().parents[2]
    assert compiled == [str(root / p.path) for p in shell.PAGES]
    assert len(compiled) == 12
    # pages/forward.py: `from rnnviz.figures.animation import ...`; pages/whatif.py:
    # `import numpy as np`, `from rnnviz.attribution import METHODS`. (A submodule named in
    # `from package import module` is imported only when the package lacks it: in this
    # process, another test may have imported it already.)
    for name in ("rnnviz.figures.animation", "numpy", "rnnviz.attribution", "rnnviz.whatif",
                 "rnnviz_app.notes"):
        assert name in imported


def test_the_warm_up_waits_for_a_quiet_moment_between_visitors_runs():
    """`shell._Runs`: a step of the background warm-up starts once no visitor's run has been
    in progress for `quiet` seconds, or after `longest` seconds under steady load."""
    import threading
    import time

    from rnnviz_app import shell

    runs = shell._Runs()
    ended = {}

    def visitor(seconds):
        with runs.running():
            time.sleep(seconds)
        ended["at"] = time.monotonic()

    time.sleep(0.06)
    assert runs.wait_for_quiet(quiet=0.05, longest=5) < 0.02    # quiet already: at once
    thread = threading.Thread(target=visitor, args=(0.3,))
    thread.start()
    time.sleep(0.05)
    assert runs.active == 1
    waited = runs.wait_for_quiet(quiet=0.1, longest=5)
    thread.join()
    assert runs.active == 0
    assert time.monotonic() - ended["at"] >= 0.1 - 0.03     # after the run, and quiet since
    assert 0.3 <= waited < 3
    with runs.running():                                       # a run that does not end
        start = time.monotonic()
        assert 0.2 <= runs.wait_for_quiet(quiet=0.05, longest=0.2) < 2
        assert time.monotonic() - start < 2


def test_every_run_of_the_app_is_counted(monkeypatch):
    """run_app marks its run for the warm-up (`shell._RUNS`): in progress while it runs, its
    end time afterwards, also when the page stops early or fails."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from rnnviz_app import shell

    seen = []
    real_render = shell.render_sidebar

    def render_sidebar():
        seen.append(shell._RUNS.active)
        real_render()

    monkeypatch.setattr(shell, "render_sidebar", render_sidebar)
    before = shell._RUNS.last_end
    at = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert seen and all(n >= 1 for n in seen)
    assert shell._RUNS.active == 0 and shell._RUNS.last_end > before


def test_a_failed_warm_up_step_does_not_stop_the_others(monkeypatch, caplog):
    """Each step of the warm-up in order, each after a quiet moment; one that fails is logged
    (its page computes it in the visitor's run, as without a warm-up) and the rest still run."""
    from rnnviz_app import backward_view, dynamics_view, sampling_view, shell, types_view

    done = []

    def failing():
        done.append("units")
        raise RuntimeError("no held-out corpus")

    monkeypatch.setattr(shell._RUNS, "wait_for_quiet", lambda: done.append("wait"))
    monkeypatch.setattr(shell, "_warm_streamlit", lambda: done.append("streamlit"))
    monkeypatch.setattr(shell, "warm_units_readings", failing)
    monkeypatch.setattr(shell, "_warm_pages", lambda pm: done.append(f"pages {pm}"))
    monkeypatch.setattr(dynamics_view, "warm_first_visit", lambda *a: done.append("dynamics"))
    monkeypatch.setattr(backward_view, "warm_first_visit", lambda *a: done.append("backward"))
    monkeypatch.setattr(types_view, "warm_first_visit", lambda: done.append("types"))
    monkeypatch.setattr(sampling_view, "warm_first_visit", lambda: done.append("sampling"))
    monkeypatch.setattr(shell, "warm_units_trace", lambda: done.append("trace"))
    shell._warm_caches("pm")
    steps = ["streamlit", "units", "pages pm", "dynamics", "backward", "types", "sampling",
             "trace"]
    assert done == [x for step in steps for x in ("wait", step)]
    assert "no held-out corpus" in caplog.text
