"""What the browser lays out on a page, measured (shared by tests/e2e): boxes that stick out of
the main column, text boxes inside a Plotly chart that collide or are cut, tables that need a
sideways scroll, KaTeX errors. `measure(page)` takes all of them once the layout has settled.

Charts are found by Plotly's own classes (`.js-plotly-plot`, `.main-svg`), not by Streamlit's
element, so the checks read any element that draws Plotly.
"""

from __future__ import annotations

from playwright.sync_api import Page
from st_dom import key_class, open_tab, read_charts, wait_for_charts

# Elements whose right edge passes the main column's (scrolled into view or not). Plotly
# clips its own drawing; inside an equation only the equation's own box counts (KaTeX draws
# stretchy braces as wide SVG paths that it clips, and its MathML copy is not drawn).
OVERFLOW_JS = r"""
() => {
  const main = document.querySelector("[data-testid='stMainBlockContainer']");
  const right = main.getBoundingClientRect().right;
  const out = [];
  for (const el of main.querySelectorAll("*")) {
    if (el.closest(".js-plotly-plot, [data-testid='stDataFrame']")) continue;
    if (el.parentElement && el.parentElement.closest(".katex")) continue;
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && r.right > right + 1) {
      out.push(`${el.tagName}.${String(el.className).slice(0, 40)} right=${Math.round(r.right)}`
               + ` > ${Math.round(right)}: ${(el.innerText || "").slice(0, 40)}`);
    }
  }
  return out.slice(0, 10);
}
"""


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

# A table (st.dataframe's grid, or an HTML table) whose columns do not all fit: the grid or the
# table (ui.table) scrolls sideways, or a header cell is cut.
TABLES_JS = r"""
() => {
  const out = [];
  document.querySelectorAll("[data-testid='stMain'] div.rnnviz-table").forEach((box, i) => {
    if (box.scrollWidth > box.clientWidth + 2) {
      const heads = Array.from(box.querySelectorAll("th")).map((h) => h.textContent.trim());
      out.push(`HTML table ${i + 1} (${heads.join(", ").slice(0, 60)}) needs a sideways `
               + `scroll: ${box.scrollWidth} > ${box.clientWidth} px`);
    }
  });
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


# A signature of the laid-out page: the box of every chart's SVG, equation and table, the number
# of text nodes in each chart, the main column's scroll width and whether the web fonts are in.
# The layout has settled when it stays the same over three polls in a row (200 ms).
_LAYOUT_SETTLED_JS = r"""
() => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return [r.left, r.top, r.width, r.height].map(Math.round).join(",");
  };
  const main = document.querySelector("[data-testid='stMainBlockContainer']");
  const sig = [document.fonts.status, main ? main.scrollWidth : -1,
    ...[...document.querySelectorAll(".js-plotly-plot")].map(
      (p) => box(p.querySelector(".main-svg") || p) + ":" + p.querySelectorAll("text").length),
    ...[...document.querySelectorAll(".katex, [data-testid='stDataFrame']")].map(box),
    ...[...document.querySelectorAll(".dvn-scroller")].map((s) => s.scrollWidth),
  ].join("|");
  const last = window.__rnnvizLayout || {sig: null, same: 0};
  window.__rnnvizLayout = {sig, same: last.sig === sig ? last.same + 1 : 0};
  return window.__rnnvizLayout.same >= 2 && document.fonts.status === "loaded";
}
"""


def wait_for_layout(page: Page, timeout_ms: int = 10_000) -> None:
    """Wait until Plotly's and KaTeX's layout has settled: the web fonts are loaded and no
    chart, equation or table moved or changed size over 200 ms (three polls 100 ms apart)."""
    page.evaluate("() => { window.__rnnvizLayout = null; }")
    page.wait_for_function(_LAYOUT_SETTLED_JS, polling=100, timeout=timeout_ms)


def measure(page: Page) -> dict:
    """What is wrong with the page's layout now (once it has settled): ``charts`` (how many),
    ``chart_text``, ``tables`` and ``overflow`` (lists of problems), ``katex_errors`` (count)."""
    wait_for_layout(page)
    charts = page.evaluate(CHART_TEXT_JS)
    return {"charts": charts["charts"], "chart_text": charts["problems"],
            "tables": page.evaluate(TABLES_JS), "overflow": page.evaluate(OVERFLOW_JS),
            "katex_errors": page.locator(".katex-error").count()}


def check_tabs(page: Page, tabs: dict, wait, widths=(1400, 1024)) -> None:
    """The lazy tabs a visit does not open (test_pages.py measures the one it opens): open
    each label of `tabs` ({label: the chart keys it draws}) at 1400 px, check those are its
    charts, then at every width that nothing in a chart collides or is cut, no HTML table
    scrolls sideways, nothing sticks out of the column and every equation renders."""
    for tab, keys in tabs.items():
        page.set_viewport_size({"width": 1400, "height": 900})
        open_tab(page, tab, wait)
        assert {c["key"] for c in read_charts(page)} == {key_class(k) for k in keys}, tab
        for width in widths:
            page.set_viewport_size({"width": width, "height": 900})
            wait_for_charts(page)
            found = measure(page)
            problems = found["chart_text"] + found["tables"] + found["overflow"]
            assert problems == [], (tab, width, problems)
            assert found["katex_errors"] == 0, (tab, width)
