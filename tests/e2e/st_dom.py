"""What a person sees in the running app, read from the browser's DOM (shared by tests/e2e).

Plotly charts: the app's chart element (`rnnviz_app.charts`, a components v2 element in a
`.stBidiComponent` wrapper) keeps one `.rnnviz-chart.js-plotly-plot` div per key, inside an
element container whose class ``st-key-<key>`` carries the chart's key; an edit updates that
div in place (its ``data-revision`` counts the figures received, ``data-drawn`` the last one
Plotly finished drawing; ``data-waiting`` the one a chart far from the screen waits to draw
until it is scrolled near). The div's `data` property holds the traces
as plotted; Plotly 6 sends numbers as typed-array specs (``{dtype, bdata, shape}``), which
plotly.js decodes into ``_inputArray``. `read_charts` turns all of that into plain lists.

Widgets are found by their labels (``aria-label``) and Streamlit's ``data-testid`` names,
never by generated class names.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

REPO_ROOT = Path(__file__).resolve().parents[2]

APP = "[data-testid='stApp']"
MAIN = "[data-testid='stMain']"
SIDEBAR = "[data-testid='stSidebar']"
EXCEPTION = "[data-testid='stException']"
NAV_LINK = "[data-testid='stSidebarNavLink']"
# Every box a person can type free text into.
TEXT_BOXES = (
    "[data-testid='stTextArea'] textarea, "
    "[data-testid='stTextInput'] input, "
    "[data-testid='stChatInput'] textarea"
)
SENTENCE_LABEL = "Input sentence"
MODEL_LABEL = "Model"


def declared_pages() -> list[tuple[str, str | None]]:
    """(script path, title) of each page of the app's page table, in menu order."""
    from rnnviz_app.shell import PAGES

    return [(p.path, p.title) for p in PAGES]


def key_class(key: str) -> str:
    """The name Streamlit gives a widget key in its ``st-key-<name>`` class."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", key.strip())


# Turn Plotly's values (arrays, typed arrays, decoded typed-array specs) into plain lists.
_PLAIN_JS = r"""
const plain = (v) => {
  if (v === null || v === undefined) return null;
  if (ArrayBuffer.isView(v)) return Array.from(v, (x) => (Number.isFinite(x) ? x : null));
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object' && '_inputArray' in v) return plain(v._inputArray);
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'object' && 'bdata' in v) return null;
  return v;
};
const keyOf = (el) => {
  const holder = el.closest('[class*="st-key-"]');
  if (!holder) return null;
  const cls = [...holder.classList].find((c) => c.startsWith('st-key-'));
  return cls ? cls.slice('st-key-'.length) : null;
};
const titleOf = (layout) => {
  const t = layout && layout.title;
  if (!t) return null;
  return typeof t === 'string' ? t : (t.text ?? null);
};
"""

READ_CHARTS_JS = (
    "(scope) => {"
    + _PLAIN_JS
    + r"""
  const root = scope ? document.querySelector(scope) : document;
  if (!root) return [];
  return [...root.querySelectorAll('.js-plotly-plot')].map((el) => {
    const full = el._fullLayout || {};
    const box = el.getBoundingClientRect();
    return {
      key: keyOf(el),
      title: titleOf(el.layout),
      width: box.width,
      height: box.height,
      traces: (el.data || []).map((t) => ({
        type: t.type || 'scatter',
        name: t.name ?? null,
        visible: t.visible ?? true,
        x: plain(t.x), y: plain(t.y), z: plain(t.z), text: plain(t.text),
        values: plain(t.values),
      })),
      frames: el._transitionData ? el._transitionData._frames.length : 0,
      frame_names: el._transitionData ? el._transitionData._frames.map((f) => f.name) : [],
      sliders: (full.sliders || []).map((s) => ({
        active: s.active ?? 0, n: (s.steps || []).length,
        labels: (s.steps || []).map((st) => st.label),
        frames: (s.steps || []).map((st) => (st.args && st.args[0] ? String(st.args[0][0]) : null)),
      })),
      yaxis_type: full.yaxis ? full.yaxis.type : null,
    };
  });
}"""
)

# Every chart element (not the frame's element that only loads plotly.js early), by state:
# "drawn" (the last figure it received, with at least one trace), "waiting" (far from the
# screen: rnnviz/web/chart.js draws it when it comes near), "hidden" (waiting in a closed
# expander: drawn when it is opened) or "busy" (still to be drawn).
CHART_STATES_JS = r"""
() => [...document.querySelectorAll(".stBidiComponent")]
  .filter((c) => !c.closest(".st-key-rnnviz_plotly_preload"))
  .map((c) => {
    const el = c.querySelector('.rnnviz-chart');
    if (!el || el.dataset.revision === undefined) return "busy";
    if (el.dataset.waiting === el.dataset.revision) {
      const r = el.getBoundingClientRect();
      return r.width === 0 && r.height === 0 ? "hidden" : "waiting";
    }
    return el._fullLayout && el.data && el.data.length > 0
      && el.dataset.drawn === el.dataset.revision ? "drawn" : "busy";
  })
"""

CHARTS_SETTLED_JS = f"() => ({CHART_STATES_JS.strip()})().every((s) => s !== 'busy')"

# The first chart element that waits off screen and was not brought on screen by this wait
# yet (`token`), brought to the middle of the screen. Each chart once per wait: on a live
# page (Training) a chart left behind may get a newer figure and wait again.
SCROLL_TO_WAITING_JS = r"""
(token) => {
  const el = [...document.querySelectorAll(".rnnviz-chart")].find((d) => {
    const r = d.getBoundingClientRect();
    return d.dataset.revision !== undefined && d.dataset.waiting === d.dataset.revision
      && (r.width > 0 || r.height > 0) && d.__rnnvizVisited !== token;
  });
  if (!el) return false;
  el.__rnnvizVisited = token;
  el.scrollIntoView({block: "center"});
  return true;
}
"""

CHARTS_DRAWN_JS = (f"() => ({CHART_STATES_JS.strip()})()"
                   ".every((s) => s === 'drawn' || s === 'hidden')")

# Where every scrolled box is (saved in the page), and back there.
SAVE_SCROLL_JS = r"""
() => { window.__savedScroll = [document.scrollingElement, ...document.querySelectorAll("*")]
  .filter((e) => e && e.scrollTop > 0).map((e) => [e, e.scrollTop]); }
"""
RESTORE_SCROLL_JS = r"""
() => { for (const box of document.querySelectorAll("*")) if (box.scrollTop > 0) box.scrollTop = 0;
  document.scrollingElement.scrollTop = 0;
  for (const [e, top] of window.__savedScroll || []) e.scrollTop = top; }
"""

# No chart that waits for a draw is on screen (one brought there is being drawn).
NONE_WAITING_ON_SCREEN_JS = r"""
() => ![...document.querySelectorAll(".rnnviz-chart")].some((d) => {
  if (d.dataset.revision === undefined || d.dataset.waiting !== d.dataset.revision) return false;
  const r = d.getBoundingClientRect();
  return r.top < window.innerHeight && r.bottom > 0;
})
"""


def read_charts(page: Page, scope: str | None = MAIN) -> list[dict]:
    """Every Plotly chart under `scope` (default: the main area), as plain data.

    Each item: ``key`` (the st.plotly_chart key, or None), ``title``, ``width``/``height``
    (pixels on screen), ``traces`` (``type, name, visible, x, y, z, text, values``),
    ``frames`` (number of animation frames), ``frame_names`` (in play order), ``sliders``
    (``active`` step, ``n`` steps, their ``labels`` and the ``frames`` they show),
    ``yaxis_type`` ("log", "linear", ...).
    """
    return page.evaluate(READ_CHARTS_JS, scope)


def wait_for_charts(page: Page, timeout_ms: int = 30_000, all_drawn: bool = True) -> None:
    """Wait until every chart element on the page has drawn its plot. A chart far from the
    screen waits until it is scrolled near (rnnviz/web/chart.js): with `all_drawn` each one is
    scrolled to in turn and drawn, then the page goes back where it was, so what a test reads
    is every chart's latest figure; without, a waiting chart counts as settled."""
    page.wait_for_function(CHARTS_SETTLED_JS, timeout=timeout_ms)
    if not all_drawn or page.evaluate(CHARTS_DRAWN_JS):
        return
    page.evaluate(SAVE_SCROLL_JS)
    token = time.monotonic()
    while page.evaluate(SCROLL_TO_WAITING_JS, token):
        page.wait_for_function(NONE_WAITING_ON_SCREEN_JS, timeout=timeout_ms)
        page.wait_for_function(CHARTS_SETTLED_JS, timeout=timeout_ms)
    page.evaluate(RESTORE_SCROLL_JS)
    # Every chart has drawn the figure it had when it was brought on screen; on a live page
    # a newer one may wait again now that the page is back where it was.
    page.wait_for_function(CHARTS_SETTLED_JS, timeout=timeout_ms)


def chart_by_key(page: Page, key: str) -> dict:
    """The chart drawn by ``ui.chart(fig, key=key)`` (AssertionError if absent), once every
    chart on the page has drawn what it last received (plotly.js loads asynchronously)."""
    wait_for_charts(page)
    charts = [c for c in read_charts(page, None) if c["key"] == key_class(key)]
    assert charts, f"no chart with key {key!r}; keys: {[c['key'] for c in read_charts(page)]}"
    return charts[0]


def has_points(trace: dict) -> bool:
    """True when a trace plots at least one value."""
    for field in ("z", "y", "x", "values"):
        v = trace.get(field)
        if isinstance(v, list) and len(v) > 0:
            return True
    return False


def go_to_page(page: Page, title: str, wait) -> None:
    """Open a page from the sidebar menu (the session, and so the sidebar, is kept)."""
    page.locator(NAV_LINK, has_text=title).first.click()
    wait(page)
    expect(page.locator(f"{NAV_LINK}[aria-current='page']")).to_have_text(title)


def sentence_box(page: Page) -> Locator:
    return page.locator(SIDEBAR).get_by_label(SENTENCE_LABEL, exact=True)


def commit_text(page: Page, box: Locator, text: str, wait) -> None:
    """Type `text` into a text box and commit it the way a person would, then wait for the rerun.

    Text areas commit with Ctrl+Enter, text inputs with Enter; a box inside a form commits with
    the form's submit button.
    """
    box.click()
    box.fill(text)
    form = box.locator("xpath=ancestor::*[@data-testid='stForm'][1]")
    if form.count():
        form.locator("[data-testid='stFormSubmitButton'] button").first.click()
    elif box.evaluate("e => e.tagName") == "TEXTAREA":
        box.press("Control+Enter")
    else:
        box.press("Enter")
    wait(page)


def set_sentence(page: Page, text: str, wait) -> None:
    commit_text(page, sentence_box(page), text, wait)
    expect(sentence_box(page)).to_have_value(text)


def select_option(page: Page, label: str, option: str, wait, scope: str = APP) -> None:
    """Choose `option` (its text as shown) in the selectbox labelled `label`."""
    page.locator(scope).get_by_role("combobox", name=label, exact=True).first.click()
    page.get_by_role("option", name=option, exact=True).first.click()
    wait(page)


def selectbox_value(page: Page, label: str, scope: str = APP) -> str:
    """The option shown in the selectbox labelled `label`."""
    return page.locator(scope).get_by_role("combobox", name=label, exact=True).first.input_value()


def selectbox_options(page: Page, label: str, scope: str = APP) -> list[str]:
    """The options of the selectbox labelled `label`, as shown (opens and closes its list)."""
    box = page.locator(scope).get_by_role("combobox", name=label, exact=True).first
    box.click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    names = [t.strip() for t in options.all_inner_texts()]
    box.press("Escape")
    return names


def layout_intact(page: Page) -> dict:
    """Bounding boxes and visibility of the page's frame: body, sidebar and main block."""
    return page.evaluate(
        r"""() => {
      const box = (sel) => {
        const el = document.querySelector(sel);
        if (!el) return null;
        const r = el.getBoundingClientRect();
        const s = getComputedStyle(el);
        return {width: r.width, height: r.height, display: s.display,
                visibility: s.visibility, opacity: Number(s.opacity)};
      };
      return {body: box('body'), sidebar: box("[data-testid='stSidebar']"),
              main: box("[data-testid='stMain']"),
              block: box("[data-testid='stMainBlockContainer']")};
    }"""
    )


def import_ui():
    """The app's Streamlit shell, `rnnviz_app` (installed with the project)."""
    import rnnviz_app

    return rnnviz_app


def app_model(model_label: str, **random_settings):
    """The `rnnviz.ModelInUse` that the sidebar's Model box (showing `model_label`) selects,
    built in the test process: the shipped model of that name, or random weights with the
    sidebar's defaults updated by `random_settings` (``cell="gru"``, ``n_a=8``, ...)."""
    import_ui()
    import rnnviz
    from rnnviz_app.state import RANDOM_DEFAULTS

    name = model_label.split(" (", 1)[0].strip()
    if name in rnnviz.list_pretrained():
        return rnnviz.load_pretrained(name)
    defaults = {key.rsplit(".", 1)[1]: value for key, value in RANDOM_DEFAULTS.items()}
    return rnnviz.models.random_model(**{**defaults, **random_settings})


def slider_value(page: Page, label: str, scope: str = MAIN) -> float:
    """The value of the Streamlit slider whose label contains `label`."""
    slider = page.locator(scope).locator("[data-testid='stSlider']").filter(has_text=label)
    return float(slider.first.locator("input[type='range']").first.input_value())


def radio_value(page: Page, label: str, scope: str = MAIN) -> str:
    """The text of the option chosen in the st.radio labelled `label`."""
    group = page.locator(scope).get_by_role("radiogroup", name=label, exact=True).first
    return group.locator("[data-selected='true']").first.inner_text().strip()


def choose_radio(page: Page, label: str, option: str, wait, scope: str = MAIN) -> None:
    """Click `option` in the st.radio labelled `label`, then wait for the rerun."""
    group = page.locator(scope).get_by_role("radiogroup", name=label, exact=True).first
    group.get_by_text(option, exact=True).click()
    wait(page)


def open_tab(page: Page, label: str, wait, scope: str = MAIN) -> None:
    """Click the tab `label` (a lazy tab: the click reruns the page, which then builds it),
    wait for the run and for its charts."""
    page.locator(scope).get_by_role("tab", name=label, exact=True).click()
    wait(page)
    wait_for_charts(page)


def metric(page: Page, label: str, scope: str = MAIN) -> str:
    """The value shown by the st.metric whose label is exactly `label`."""
    exact = re.compile(rf"^\s*{re.escape(label)}\s*$")
    box = (
        page.locator(scope)
        .locator("[data-testid='stMetric']")
        .filter(has=page.locator("[data-testid='stMetricLabel']", has_text=exact))
    )
    return box.first.locator("[data-testid='stMetricValue']").inner_text().strip()


_PLOT_OF_KEY = "(k) => document.querySelector(`.st-key-${k} .js-plotly-plot`)"


def chart_title(page: Page, key: str) -> str:
    """The title the chart with widget key `key` shows now."""
    return page.evaluate(f"k => ({_PLOT_OF_KEY})(k)._fullLayout.title.text", key_class(key))




def upload_panel(page: Page) -> Locator:
    """The sidebar's "Your model…" panel, opened (opening it reruns the app, which then sends
    the panel's form)."""
    panel = page.locator(SIDEBAR).locator("[data-testid='stExpander']", has_text="Your model…")
    uploader = panel.locator("[data-testid='stFileUploader']").first
    if not uploader.is_visible():
        panel.locator("summary").first.click()
    expect(uploader).to_be_visible(timeout=20_000)
    return panel
