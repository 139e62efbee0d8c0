"""The app's frame: the page table, the navigation, the shared sidebar, then the page.

``app.py`` is one call, ``run_app()``. Every page is a script in ``pages/`` with one
``render()`` function.

Deep links. A ``pages/`` folder beside the main script puts Streamlit in its legacy
multipage mode until ``st.navigation`` is first called in the process: the first deep link
after the server starts (and every AppTest run) executes the page script alone, without this
frame. ``ensure_frame()``, the first call of every page, notices that (the frame marks its
own runs) and runs the frame itself, in the same run and with public API only: the frame's
``st.navigation`` ends the legacy mode and resolves the same page, which then runs inside
the frame; ``st.stop()`` ends the outer, frameless run. Being the same run, a button press
or widget change that arrived with it is seen.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

import rnnviz
from rnnviz_app.loaders import ModelUnavailable, warm_units_readings, warm_units_trace
from rnnviz_app.runtime import lighter_plotly_json, limit_blas_threads
from rnnviz_app.sidebar import render_sidebar
from rnnviz_app.state import DEFAULT_PRETRAINED, DEFAULT_SENTENCE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageDef:
    path: str                 # relative to app.py
    title: str
    default: bool = False


# One line per page, in menu order; the default page opens at "/".
PAGES = (
    PageDef("pages/activations.py", "Activations", default=True),
    PageDef("pages/units.py", "Units"),
    PageDef("pages/whatif.py", "What if?"),
    PageDef("pages/forward.py", "Forward pass"),
    PageDef("pages/backward.py", "Backward pass (BPTT)"),
    PageDef("pages/vanishing.py", "Vanishing gradients"),
    PageDef("pages/dynamics.py", "Dynamics"),
    PageDef("pages/training.py", "Training"),
    PageDef("pages/bidirectional.py", "Bidirectional context"),
    PageDef("pages/sampling.py", "Sampling"),
    PageDef("pages/types.py", "Types of RNNs"),
    PageDef("pages/about.py", "About"),
)

# Per script-run thread: True while run_app() runs a page (Streamlit runs each script run,
# page included, in one thread).
_FRAME = threading.local()


def _navigation(position: str = "sidebar"):
    pages = [st.Page(p.path, title=p.title, default=p.default) for p in PAGES]
    return st.navigation(pages, position=position)


@functools.cache
def _prepare_process() -> None:
    """Once per server process, on the first run (importing this module changes nothing):
    the process is rnnviz's own, so keep freed memory for the kernels' buffers (see
    rnnviz.keep_freed_memory; RNNVIZ_KEEP_FREED_MEMORY=0 turns it off), and keep everything
    imported so far (Streamlit, pandas, Plotly, rnnviz), which lives as long as the process,
    out of the garbage collector's full passes: they would walk it on every collection while
    holding the GIL (see runner.postScriptGC in .streamlit/config.toml)."""
    rnnviz.keep_freed_memory()
    limit_blas_threads(1)       # many sessions of small matrices (see rnnviz_app.runtime)
    lighter_plotly_json()       # charts' typed arrays without "\u002f" escapes
    gc.collect()
    gc.freeze()


@functools.cache
def _start_warm_up() -> None:
    """Once per server process, at the end of its first run: compute the Units and Dynamics
    pages' first visits in the background (`_warm_caches`), so that no visitor's first click
    waits for them. Not before: a warm-up beside the first run shares its GIL, and the first
    run took 1.83 s instead of 1.65 (medians of 6 interleaved cold starts, docs/benchmarks.md),
    which the first visitor waits for."""
    if os.environ.get("RNNVIZ_WARM_START", "1") != "0":     # 0: tests that clear the caches
        ctx = get_script_run_ctx()
        threading.Thread(target=_warm_caches, args=(ctx and ctx.pages_manager,),
                         name="rnnviz-warm", daemon=True).start()


class _Runs:
    """The visitors' script runs in progress (`run_app`), and when the last one ended: the
    background warm-up starts each of its steps in a quiet moment (`wait_for_quiet`), so that
    a visitor's click is not run beside it (the two would share the GIL and the cores)."""

    QUIET_S = 0.3           # no run for this long: a quiet moment
    LONGEST_WAIT_S = 2.0    # under steady load (many visitors) a step goes ahead after this

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0
        self.last_end = time.monotonic()

    @contextlib.contextmanager
    def running(self):
        with self._lock:
            self.active += 1
        try:
            yield
        finally:
            with self._lock:
                self.active -= 1
                self.last_end = time.monotonic()

    def wait_for_quiet(self, quiet: float = QUIET_S, longest: float = LONGEST_WAIT_S,
                       poll: float = 0.02) -> float:
        """Until no run has been in progress for `quiet` seconds, or `longest` seconds have
        passed; returns the seconds waited."""
        start = time.monotonic()
        while True:
            now = time.monotonic()
            with self._lock:
                idle = self.active == 0 and now - self.last_end >= quiet
            if idle or now - start >= longest:
                return now - start
            time.sleep(poll)


_RUNS = _Runs()


def _warm_caches(pages_manager=None) -> None:
    """First visits computed once per server, in the background, each step in a quiet moment
    (`_Runs.wait_for_quiet`): Streamlit's emoji catalog, the Units page's first tab (shipped
    with the models, or read here), every page's script compiled into Streamlit's script cache
    (`pages_manager`, the first run's) and the modules it imports imported (`_warm_pages`),
    the Dynamics page's spectra of the default sentence and the Backward page's gradient check
    of it, the Types of RNNs and Sampling pages' examples, which do not read the sidebar's
    sentence (their defaults are everyone's first visit), and last the Units page's corpus
    trace, which only its other tabs read."""
    from rnnviz_app import backward_view, dynamics_view, sampling_view, types_view

    steps = (_warm_streamlit, warm_units_readings, lambda: _warm_pages(pages_manager),
             lambda: dynamics_view.warm_first_visit(DEFAULT_SENTENCE, DEFAULT_PRETRAINED),
             lambda: backward_view.warm_first_visit(DEFAULT_PRETRAINED, DEFAULT_SENTENCE),
             types_view.warm_first_visit, sampling_view.warm_first_visit, warm_units_trace)
    for step in steps:
        _RUNS.wait_for_quiet()
        try:
            step()
        except Exception:       # the next steps still run; the visitor computes this one
            log.exception("the background warm-up's step %s failed", step)


def _warm_pages(pages_manager) -> None:
    """Each page's first visit after the server starts compiled the page's script (Streamlit
    keeps the bytecode per process) and imported the modules the page imports (Forward: 15 ms
    and 20 ms of its first run, in a profile). Both done here, for every page in the menu:
    the compile through Streamlit's own script cache, the imports from the script's top-level
    import statements (a module already imported costs nothing)."""
    import ast
    import importlib

    here = Path(__file__).resolve().parents[1]
    for page in PAGES:
        path = here / page.path
        if pages_manager is not None:
            pages_manager.get_page_script_byte_code(str(path))
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    importlib.import_module(alias.name)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                module = importlib.import_module(node.module)
                for alias in node.names:        # `from package import submodule`
                    if not hasattr(module, alias.name):
                        importlib.import_module(f"{node.module}.{alias.name}")


def _warm_streamlit() -> None:
    """Streamlit's own once-per-process cost: the first alert (st.info, st.success, …) whose
    text is not ASCII looks for a leading emoji, which imports Streamlit's emoji catalog and
    compiles one regular expression of every emoji (0.15 s), in whichever visitor's run shows
    it first. Done here with the function those elements call."""
    from streamlit.string_util import extract_leading_emoji

    extract_leading_emoji("σ")


def run_app() -> None:
    """The whole app: page config, navigation, the shared sidebar, then the chosen page."""
    with _RUNS.running():
        _prepare_process()
        st.set_page_config(page_title="rnnviz", layout="wide")
        page = _navigation()
        render_sidebar()
        _FRAME.active = True
        try:
            page.run()
        except ModelUnavailable as exc:     # a page's own model (not the sidebar's) is missing
            st.error(str(exc))
        finally:
            _FRAME.active = False
            _start_warm_up()


def ensure_frame() -> None:
    """The first call of a page's render() (never inside a fragment): when the page runs
    without the frame (see the module docstring), run the app here, then stop."""
    if getattr(_FRAME, "active", False):
        return
    run_app()
    st.stop()
