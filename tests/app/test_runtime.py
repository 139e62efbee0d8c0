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
