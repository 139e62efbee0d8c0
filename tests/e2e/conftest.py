"""Browser tests: one Streamlit server and one system Chromium for the whole session.

Fixtures for tests in tests/e2e:

* ``app_server`` (session): base URL ``http://127.0.0.1:PORT`` of ``streamlit run app.py``,
  started from the repo root (so it reads ``.streamlit/config.toml``).
* ``app_browser`` (session): a Playwright ``Browser`` on the system Chromium
  (env ``RNNVIZ_CHROMIUM``, default ``/usr/bin/chromium``). Missing browser: skip locally,
  fail when ``RNNVIZ_REQUIRE_BROWSER=1`` or ``CI`` is set.
* ``app_page`` (function): a fresh context and page (viewport 1400x900).
  ``app_page.console_errors`` lists the browser's console errors and uncaught page errors;
  a screenshot goes to ``test-results/<test id>.png`` at teardown.
* ``open_app`` (function): ``open_app("page_url_path") -> app_page`` loads a page of the app
  and waits for its first script run to draw the page and finish.
* ``wait_for_app`` (fixture returning the helper of the same name): call it after an
  interaction (click, slider move) to wait for the rerun that it triggers.
* ``open_app_warm`` (function): like ``open_app``, but every page it opens (each a new
  Streamlit session) lives in one browser context per test module, so the app's JavaScript
  is fetched and compiled once per module; ``open_app_warm(path, width=1024)`` sets the
  page's viewport width first. For tests that only load pages and look.
* ``app_menu`` (session): ``{title: url path}`` of the pages in the running app's sidebar
  menu, read once from the live app (the default page's path is ``""``).
* ``new_app_page`` (function): ``new_app_page(url_path="") -> page`` opens one more browser
  context (another visitor, with its own session) at a page of the app; each gets
  ``.console_errors`` too and is closed at teardown.
* ``open_fresh`` / ``fresh_server`` (function): a server of the test's own; ``open_fresh``
  loads its very first page and waits, ``fresh_server`` gives its URL with nothing served.

``st_dom.py`` beside this file reads what a person sees (Plotly charts' plotted data, the
sidebar's widgets, the layout's boxes) and drives the widgets by their labels.

The pytest-playwright plugin is installed too. Its ``browser``/``page`` fixtures are not used
here; ``browser_type_launch_args`` is overridden below so that, if a test asks for them
anyway, they launch the same system Chromium instead of a downloaded one. One sync
Playwright driver per process is all Playwright allows, so ``app_browser`` shares the
plugin's session-scoped ``playwright`` fixture.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Headless Chromium without a sandbox (we run as root) and without any background traffic:
# the test machine has no general internet access.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SERVER_START_TIMEOUT_S = 60.0
APP_RUN_TIMEOUT_MS = 30_000
# A page load also fetches and parses the app's JavaScript (Plotly's alone is a few MB) in a
# fresh browser context: on a busy 2-core machine that can take longer than a rerun.
FIRST_RUN_TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health(url: str) -> str | None:
    """Body of GET url, or None while the server does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8", "replace").strip()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _stop_process_group(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left after 10 s."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Children that outlived the leader are still in its group.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@contextlib.contextmanager
def serve_app():
    """Run `streamlit run app.py` on a free port in its own process group; yield its base URL
    once `/_stcore/health` answers ok; kill the group afterwards."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
    ]  # fmt: skip
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    # Files, not pipes: a server that logs a lot must never block on a full pipe.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=err, start_new_session=True
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while _health(f"{base_url}/_stcore/health") != "ok":
                if proc.poll() is not None or time.monotonic() > deadline:
                    _stop_process_group(proc)
                    err.seek(0)
                    stderr = err.read().decode("utf-8", "replace")
                    why = (
                        f"exited with code {proc.returncode}"
                        if proc.poll() is not None
                        else f"did not answer ok within {SERVER_START_TIMEOUT_S:.0f} s"
                    )
                    print(f"streamlit stderr:\n{stderr}", file=sys.stderr)
                    pytest.fail(f"streamlit server {why}: {' '.join(cmd)}\n{stderr[-4000:]}")
                time.sleep(0.25)
            yield base_url
        finally:
            _stop_process_group(proc)


@pytest.fixture(scope="session")
def app_server() -> str:
    """The app served for the whole test session (see `serve_app`)."""
    with serve_app() as base_url:
        yield base_url


def _browser_required() -> bool:
    ci = os.environ.get("CI", "").strip().lower()
    return os.environ.get("RNNVIZ_REQUIRE_BROWSER") == "1" or ci not in ("", "0", "false")


def _chromium_path() -> str:
    path = os.environ.get("RNNVIZ_CHROMIUM", DEFAULT_CHROMIUM)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        reason = (
            f"no Chromium executable at {path} (install Debian's `chromium` or set "
            "RNNVIZ_CHROMIUM); Playwright's own browser download is not used"
        )
        if _browser_required():
            pytest.fail(reason + " [browser required: RNNVIZ_REQUIRE_BROWSER=1 or CI is set]")
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Make pytest-playwright's own fixtures launch the system Chromium too."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("RNNVIZ_CHROMIUM", DEFAULT_CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def app_browser(request: pytest.FixtureRequest) -> Browser:
    """Headless system Chromium, launched once per session."""
    # Check for the executable before the driver starts, so a skip costs nothing.
    path = _chromium_path()
    playwright: Playwright = request.getfixturevalue("playwright")
    browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _screenshot_dir(config: pytest.Config) -> Path:
    # pytest-playwright's --output (default test-results/) is wiped at session start; use it too.
    out = Path(config.getoption("--output", default="test-results"))
    return out if out.is_absolute() else config.rootpath / out


VIEWPORT = {"width": 1400, "height": 900}
# Opened at a page's own URL (`/forward`), Streamlit's frontend first asks whether the server
# lives under that path (`/forward/_stcore/health`, `/forward/_stcore/host-config`), and
# the browser logs the two 404 answers as console errors before it falls back to `/`.
_BASE_PATH_PROBE = re.compile(r"^https?://[^/]+/[^_][^?#]*/_stcore/(health|host-config)$")


def _base_path_probe(msg) -> bool:
    """True for the browser's 404 log line of Streamlit's base-path probe (not an app error)."""
    url = (msg.location or {}).get("url", "")
    return msg.text.startswith("Failed to load resource") and bool(_BASE_PATH_PROBE.match(url))


def _new_page(browser: Browser) -> Page:
    """A page in a context of its own, with `.console_errors` collecting browser-side errors."""
    return _watch_console(browser.new_context(viewport=VIEWPORT).new_page())


def _watch_console(page: Page) -> Page:
    """Give `page` a `.console_errors` list of the browser's console errors and page errors,
    a `.console_warnings` list of its console warnings, and the run watch `wait_for_app`
    reads (`RUN_WATCH_JS`)."""
    page.console_errors = []
    page.console_warnings = []
    page.add_init_script(RUN_WATCH_JS)

    def on_console(msg) -> None:
        if msg.type == "error" and not _base_path_probe(msg):
            page.console_errors.append(f"console.error: {msg.text} @ {msg.location}")
        elif msg.type == "warning":
            page.console_warnings.append(f"console.warn: {msg.text} @ {msg.location}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: page.console_errors.append(f"pageerror: {exc}"))
    return page


@pytest.fixture
def app_page(app_browser: Browser, request: pytest.FixtureRequest) -> Page:
    """A new context and page per test; `.console_errors` collects browser-side errors."""
    page = _new_page(app_browser)
    context = page.context
    yield page
    _screenshot_then_close(request, page, "", context.close)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """Keep each phase's report on the test item (`_failed` reads them at teardown)."""
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


def _failed(item: pytest.Item) -> bool:
    """True when the test's setup or call failed (or its outcome is not known)."""
    setup, call = (getattr(item, f"_report_{when}", None) for when in ("setup", "call"))
    return setup is None or setup.failed or (call is not None and call.failed)


def _screenshot_then_close(request: pytest.FixtureRequest, page: Page, suffix: str,
                           close) -> None:  # fmt: skip
    """When the test failed, save `page` to ``test-results/<test id><suffix>.png``; then call
    `close()`. (A full-page screenshot of every passing test cost Chromium CPU the other test
    processes were waiting for, and nobody looks at them.)"""
    if not _failed(request.node):
        close()
        return
    out_dir = _screenshot_dir(request.config)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
    try:
        page.screenshot(path=str(out_dir / f"{name}{suffix}.png"), full_page=True)
    except Exception as exc:  # a crashed or closed page must not hide the test's own result
        print(f"screenshot failed for {request.node.nodeid}: {exc}", file=sys.stderr)
    finally:
        close()


# Installed in every test page before the app's own scripts: the times (performance.now())
# at which the page last sent a WebSocket message to the server, a script run last started
# and last ended, and when the tests last waited for the app.
RUN_WATCH_JS = """(() => {
  const r = window.__rnnvizRuns = {sent: -1, started: -1, ended: -1, seen: -1, node: null};
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    r.sent = performance.now();
    return send.call(this, data);
  };
  const watch = () => {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app) { setTimeout(watch, 5); return; }
    r.node = app;
    let last = app.getAttribute('data-test-script-state');
    if (last === 'running') r.started = performance.now();
    new MutationObserver(() => {
      const state = app.getAttribute('data-test-script-state');
      if (state === last) return;
      if (state === 'running') r.started = performance.now();
      if (last === 'running') r.ended = performance.now();
      last = state;
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  };
  watch();
})();"""

# True when the app is connected, not running, and has run what the page last asked for.
RUN_DONE_JS = """([settle, fallback, t0]) => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-connection-state') !== 'CONNECTED'
      || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const r = window.__rnnvizRuns, now = performance.now();
  // not watched, or nothing asked since the last wait: a pause for a message on its way
  if (!r || r.node !== app || r.sent <= r.seen) return now - t0 >= settle;
  if (r.started > r.sent && r.ended >= r.started) return true;   // a run after the request ended
  return now - r.sent >= fallback;                           // a message that starts no run
}"""


def wait_for_app(page: Page, timeout_ms: int = APP_RUN_TIMEOUT_MS, settle_ms: int = 200,
                 fallback_ms: int = 3_000) -> None:
    """Wait until the app is connected, has run what the page last asked for, and every
    element is drawn (no spinner, no placeholder of a widget or chart whose code is still
    loading).

    A page of the test fixtures (`RUN_WATCH_JS`) records when it last sent the server a
    message and when a script run started and ended. After an interaction that sent a
    message, the wait ends when a run that started after it has ended, or `fallback_ms`
    after the message when no run starts (a message that asks for none). With nothing sent
    since the last wait, it waits `settle_ms` (a message may still be on its way) for the
    state to be "notRunning". A fixed pause alone was not enough: on a busy machine a rerun
    started more than 200 ms after the key press, and the wait matched the previous run's
    "notRunning".
    """
    t0 = page.evaluate("performance.now()")
    page.wait_for_function(RUN_DONE_JS, arg=[settle_ms, fallback_ms, t0], timeout=timeout_ms,
                           polling=20)
    expect(page.locator("[data-testid='stSpinner']")).to_have_count(0, timeout=timeout_ms)
    # Widget and chart code loads on first use; until it has, an element is a placeholder.
    expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0, timeout=timeout_ms)
    page.evaluate("() => { const r = window.__rnnvizRuns; if (r) r.seen = performance.now(); }")


def wait_for_first_run(page: Page, timeout_ms: int = FIRST_RUN_TIMEOUT_MS) -> None:
    """After a page load: wait until the first script run has drawn the page and finished.

    Before the WebSocket is up and the first run has started, the app already reports
    "notRunning"; an element in the main block only exists once a run has drawn it.
    """
    page.wait_for_selector(
        "[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']",
        state="attached",
        timeout=timeout_ms,
    )
    wait_for_app(page, timeout_ms, settle_ms=0)


@pytest.fixture(name="wait_for_app")
def wait_for_app_fixture():
    """The `wait_for_app(page, ...)` helper, as a fixture (conftest is not importable)."""
    return wait_for_app


@pytest.fixture
def open_app(app_server: str, app_page: Page):
    """`open_app(url_path="") -> page`: load a page of the app and wait for its run."""

    def _open(url_path: str = "") -> Page:
        app_page.goto(f"{app_server}/{url_path.lstrip('/')}", wait_until="domcontentloaded")
        wait_for_first_run(app_page)
        return app_page

    return _open


@pytest.fixture
def new_app_page(app_browser: Browser, app_server: str, request: pytest.FixtureRequest):
    """`new_app_page(url_path="") -> page`: another visitor (a new browser context) with the
    app's page at `url_path` loaded (None: nothing loaded). Each page has `.console_errors`;
    at teardown it is screenshot to ``test-results/<test id>-<n>.png`` and closed."""
    pages: list[Page] = []

    def _new(url_path: str | None = "") -> Page:
        page = _new_page(app_browser)
        pages.append(page)
        if url_path is not None:
            page.goto(f"{app_server}/{url_path.lstrip('/')}", wait_until="domcontentloaded")
            wait_for_first_run(page)
        return page

    yield _new
    for i, page in enumerate(pages, start=2):
        _screenshot_then_close(request, page, f"-{i}", page.context.close)


@pytest.fixture(scope="module")
def _module_context(app_browser: Browser):
    context = app_browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


@pytest.fixture
def open_app_warm(app_server: str, _module_context, request: pytest.FixtureRequest):
    """`open_app_warm(url_path="", width=None) -> page`: like `open_app`, in a browser context
    shared by the test module. Each call opens a new page, so a new Streamlit session, but the
    app's JavaScript (plotly.js alone is 1.5 MB) is fetched and compiled once per module instead
    of once per test. `width`: the page's viewport is that many pixels wide (900 high; default
    1400), set before the page loads. For tests that load pages and look; screenshots as for
    `app_page`."""
    pages: list[Page] = []

    def _open(url_path: str = "", width: int | None = None) -> Page:
        page = _watch_console(_module_context.new_page())
        if width is not None:
            page.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
        pages.append(page)
        return _load(page, app_server, url_path)

    yield _open
    for i, page in enumerate(pages):
        _screenshot_then_close(request, page, f"-{i + 1}" if i else "", page.close)


def _load(page: Page, base_url: str, url_path: str) -> Page:
    """Open `url_path` of the app at `base_url` in `page` and wait for its first run."""
    page.goto(f"{base_url}/{url_path.lstrip('/')}", wait_until="domcontentloaded")
    wait_for_first_run(page)
    return page


@pytest.fixture(scope="session")
def app_menu(app_server: str, app_browser: Browser) -> dict[str, str]:
    """{title: url path} of every page in the live app's sidebar menu, in menu order."""
    page = _new_page(app_browser)
    try:
        page.goto(app_server, wait_until="domcontentloaded")
        wait_for_first_run(page)
        links = page.locator("[data-testid='stSidebarNavLink']")
        menu = {}
        for i in range(links.count()):
            href = links.nth(i).get_attribute("href") or ""
            path = href.split("://", 1)[-1].partition("/")[2] if "://" in href else href
            menu[links.nth(i).inner_text().strip()] = path.split("?", 1)[0].strip("/")
        return menu
    finally:
        page.context.close()


@pytest.fixture
def fresh_server() -> str:
    """The base URL of a server of the test's own that has served nothing yet (its first
    script run is cold: a page opened on it draws slowly enough to click during it)."""
    with serve_app() as base_url:
        yield base_url


@pytest.fixture
def open_fresh(app_browser: Browser, request: pytest.FixtureRequest):
    """`open_fresh(url_path) -> page`: a server of the test's own, whose very first request is
    this page load (a new browser context), drawn and finished. Screenshot and close at
    teardown, then the server stops."""
    with serve_app() as base_url:
        pages: list[Page] = []

        def _open(url_path: str = "") -> Page:
            pages.append(_new_page(app_browser))
            return _load(pages[-1], base_url, url_path)

        yield _open
        for page in pages:
            _screenshot_then_close(request, page, "", page.context.close)


@pytest.fixture
def open_app_at_width(app_server: str, app_browser: Browser, request: pytest.FixtureRequest):
    """`open_app_at_width(url_path, width) -> page`: a page loaded in a new browser context
    `width` pixels wide (900 high), drawn and finished; screenshot and close at teardown."""
    pages: list[Page] = []

    def _open(url_path: str, width: int) -> Page:
        context = app_browser.new_context(viewport={"width": width, "height": 900})
        pages.append(_watch_console(context.new_page()))
        return _load(pages[-1], app_server, url_path)

    yield _open
    for i, page in enumerate(pages):
        _screenshot_then_close(request, page, f"-{i + 1}" if i else "", page.context.close)
