"""Inside every chart, nothing collides or is cut (issue 23): at 1024 and 1400 px, on the
default sentence and on a long one, the text boxes of each Plotly chart (title, axis titles,
legend items, tick labels, annotations) do not overlap one another and stay inside the chart;
every table shows all its columns without a horizontal scroll; and the page keeps the checks of
test_narrow.py (no overflow of the main column, no KaTeX error, no console message).

Charts are found by Plotly's own classes (`.js-plotly-plot`, `.main-svg`), not by Streamlit's
element, so the test reads any element that draws Plotly. Each run writes what it found to
$RNNVIZ_CHART_TEXT_OUT/<page>-<width>.json (default: rnnviz-chart-text in the temporary
folder; not test-results/, which pytest-playwright wipes at every session start).

Which pages it guards: every page of the menu (About has no chart; its tables and
overflow are still checked). Counted at 1024 px, both sentences, before this check and after:
Forward 16 -> 0 (with the text on points), Activations 18 -> 0, Units 130 -> 0, What if 60 -> 0,
Backward 10 -> 0, Vanishing 8 -> 0, Bidirectional 20 -> 0, Sampling 12 -> 0, Types 16 -> 0,
Dynamics 8 -> 0, Training 0 -> 0 before a run (after a run: tests/e2e/
test_training_flipflop_in_browser.py). One page and width take 20-60 s; a subset:
`RNNVIZ_CHART_TEXT_PAGES=units,types python -m pytest tests/e2e/test_chart_text.py`.
"""

import json
import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect
from st_dom import EXCEPTION, declared_pages, set_sentence, wait_for_charts
from test_narrow import _OVERFLOW_JS

_WANTED = os.environ.get("RNNVIZ_CHART_TEXT_PAGES", "all")
PAGES = [(s, t) for s, t in declared_pages()
         if _WANTED == "all" or Path(s).stem in _WANTED.split(",")]
CHARTLESS = {"About"}
LONG_SENTENCE = "The cats, which already ate a lot, were full."
WIDTHS = (1024, 1400)
OUT = Path(os.environ.get("RNNVIZ_CHART_TEXT_OUT",
                         Path(tempfile.gettempdir()) / "rnnviz-chart-text"))

# Text boxes of each chart, by kind. Two boxes collide when they share more than TOL px in both
# directions; a box leaves the chart when it passes the chart's SVG by more than TOL px. Tick
# labels of one rotated axis are not compared with each other (their boxes are the rotated
# text's bounding rectangles, which overlap although the letters do not), nor are two texts
# drawn at data points (a heatmap's cells, a bar's values: their own figures' tests space
# them); a point's text that sits on a scatter's filled shape (a diagram's box, as in the
# Forward page's cell) must stay inside it.
CHART_TEXT_JS = r"""
() => {
  const TOL = 1.5;
  const problems = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const cs = getComputedStyle(el);
    return r.width > 0.5 && r.height > 0.5 && cs.visibility !== "hidden" && cs.display !== "none"
      && cs.opacity !== "0" && (el.textContent || "").trim().length > 0;
  };
  const charts = Array.from(document.querySelectorAll(".js-plotly-plot"));
  charts.forEach((plot, ci) => {
    const svg = plot.querySelector(".main-svg");
    if (!svg) return;
    const box = svg.getBoundingClientRect();
    const title = (plot.querySelector(".gtitle") || {}).textContent || `chart ${ci + 1}`;
    const items = [];
    const add = (sel, kind, group) => {
      plot.querySelectorAll(sel).forEach((el) => {
        if (!visible(el)) return;
        const r = el.getBoundingClientRect();
        const rotated = /rotate\((?!0[,)])/.test(el.getAttribute("transform") || "");
        items.push({kind, group: group(el), rotated, text: el.textContent.trim().slice(0, 40),
                    l: r.left, r: r.right, t: r.top, b: r.bottom});
      });
    };
    add(".gtitle", "title", () => "title");
    add("g.infolayer text[class$='title']:not(.gtitle), text.xtitle, text.ytitle",
        "axis title", (el) => el.getAttribute("class"));
    add(".legend .traces .legendtext", "legend", () => "legend");
    add("g.infolayer .legendtitletext", "legend", () => "legend");
    add("g.xtick > text, g.ytick > text", "tick",
        (el) => (el.closest("g[class*='axislayer']") || el.parentNode.parentNode)
                  .getAttribute("class") + (el.closest(".subplot, .cartesianlayer > g") ? "" : ""));
    add(".annotation-text-g text, .annotation text", "annotation", () => "annotation");
    add("g.slider-container .slider-label, .updatemenu-button text", "control",
        () => "control");
    // Text drawn at data points (a scatter's text, a bar's value): it must stay inside the
    // chart and off the other kinds' text; a label whose centre is on a filled shape of a
    // scatter (a diagram's box) must stay inside that box.
    // A point's text outside every plot area is clipped away (a chart scrolled sideways):
    // only the ones whose centre is on a plot area (a subplot's drag rectangle) count.
    const areas = Array.from(plot.querySelectorAll(".draglayer .nsewdrag"))
      .map((el) => el.getBoundingClientRect());
    const before = items.length;
    add(".scatterlayer .textpoint text", "point text", () => "point text");
    const kept = items.splice(before).filter((it) => areas.some(
      (a) => a.left <= (it.l + it.r) / 2 && (it.l + it.r) / 2 <= a.right
             && a.top <= (it.t + it.b) / 2 && (it.t + it.b) / 2 <= a.bottom));
    items.push(...kept);
    add(".barlayer text.bartext", "point text", () => "point text");
    const fills = Array.from(plot.querySelectorAll(".scatterlayer path.js-fill"))
      .map((el) => el.getBoundingClientRect()).filter((r) => r.width > 0.5 && r.height > 0.5);
    // one box per element (an annotation matched by both selectors counts once)
    const seen = new Set();
    const uniq = items.filter((it) => {
      const k = [it.kind, Math.round(it.l), Math.round(it.t), it.text].join("|");
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    for (const it of uniq) {
      if (it.l < box.left - TOL || it.r > box.right + TOL || it.t < box.top - TOL
          || it.b > box.bottom + TOL) {
        problems.push(`[${title.slice(0, 50)}] ${it.kind} "${it.text}" leaves the chart`);
      }
    }
    for (const it of uniq) {
      if (it.kind !== "point text") continue;
      const cx = (it.l + it.r) / 2, cy = (it.t + it.b) / 2;
      const on = fills.filter((f) => f.left <= cx && cx <= f.right && f.top <= cy
                                     && cy <= f.bottom)
        .sort((f, g) => f.width * f.height - g.width * g.height)[0];
      if (on && (it.l < on.left - TOL || it.r > on.right + TOL || it.t < on.top - TOL
                 || it.b > on.bottom + TOL)) {
        problems.push(`[${title.slice(0, 50)}] ${it.kind} "${it.text}" spills out of its box`);
      }
    }
    for (let i = 0; i < uniq.length; i++) {
      for (let j = i + 1; j < uniq.length; j++) {
        const a = uniq[i], b = uniq[j];
        if (a.kind === "point text" && b.kind === "point text") continue;
        if (a.kind === "tick" && b.kind === "tick" && a.group === b.group
            && (a.rotated || b.rotated)) continue;
        const w = Math.min(a.r, b.r) - Math.max(a.l, b.l);
        const h = Math.min(a.b, b.b) - Math.max(a.t, b.t);
        if (w > TOL && h > TOL) {
          problems.push(`[${title.slice(0, 50)}] ${a.kind} "${a.text}" overlaps `
                        + `${b.kind} "${b.text}"`);
        }
      }
    }
  });
  return {charts: charts.length, problems};
}
"""

# A table (st.dataframe's grid, or an HTML table) whose columns do not all fit: the grid
# scrolls sideways, or a header cell is cut.
TABLES_JS = r"""
() => {
  const out = [];
  document.querySelectorAll("[data-testid='stMain'] [data-testid='stDataFrame']")
    .forEach((df, i) => {
      const sc = df.querySelector(".dvn-scroller");
      if (sc && sc.scrollWidth > sc.clientWidth + 2) {
        const heads = Array.from(df.querySelectorAll("th")).map((h) => h.textContent.trim());
        out.push(`table ${i + 1} (${heads.join(", ").slice(0, 60)}) needs a sideways scroll: `
                 + `${sc.scrollWidth} > ${sc.clientWidth} px`);
      }
    });
  document.querySelectorAll("[data-testid='stMain'] table th").forEach((th) => {
    if (th.closest("[data-testid='stDataFrame']")) return;
    if (th.scrollWidth > th.clientWidth + 1) {
      out.push(`column "${th.textContent.trim().slice(0, 30)}" is narrower than its header`);
    }
  });
  return out;
}
"""


def measure(page) -> dict:
    page.wait_for_timeout(800)                # Plotly's and KaTeX's layout settle
    charts = page.evaluate(CHART_TEXT_JS)
    return {"charts": charts["charts"], "chart_text": charts["problems"],
            "tables": page.evaluate(TABLES_JS), "overflow": page.evaluate(_OVERFLOW_JS),
            "katex_errors": page.locator(".katex-error").count()}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("script", "title"), PAGES, ids=[Path(s).stem for s, _ in PAGES])
def test_nothing_in_a_chart_collides_or_is_cut(open_app_at_width, app_menu, wait_for_app,
                                                script, title, width):
    page = open_app_at_width(app_menu[title], width)
    found = {}
    for sentence in (None, LONG_SENTENCE):
        if sentence is not None:
            if page.locator("[data-testid='stSidebar'] textarea").count() == 0:
                break
            set_sentence(page, sentence, wait_for_app)
        if title not in CHARTLESS:
            wait_for_charts(page)
        expect(page.locator(EXCEPTION)).to_have_count(0)
        found[sentence or "default"] = measure(page)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{Path(script).stem}-{width}.json").write_text(json.dumps(found, indent=1))
    problems = [f"{s}: {kind}: {p}" for s, f in found.items()
                for kind in ("chart_text", "tables", "overflow") for p in f[kind]]
    problems += [f"{s}: {f['katex_errors']} KaTeX error(s)" for s, f in found.items()
                 if f["katex_errors"]]
    assert problems == [], "\n".join(problems[:40]) + f"\n({len(problems)} problem(s))"
    assert page.console_errors == []
    assert page.console_warnings == []
