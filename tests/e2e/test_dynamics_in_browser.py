"""The Dynamics page in Chromium: spectrum, fixed points and eigenvalues drawn with values."""

from __future__ import annotations

import numpy as np
from page_layout import check_tabs
from playwright.sync_api import expect
from st_dom import EXCEPTION, chart_by_key, key_class, open_tab

from rnnviz.training.flipflop import load_flipflop
from rnnviz_app.dynamics_view import CONSTANT_TAB, FIXED_TAB, SIDE_TAB


def test_dynamics_page_draws_spectrum_fixed_points_and_eigenvalues(open_app_warm, app_menu,
                                                                   wait_for_app):
    page = open_app_warm(app_menu["Dynamics"])
    spectrum = chart_by_key(page, "dynamics.spectrum")
    names = [t["name"] for t in spectrum["traces"]]
    assert any(n.endswith("band") for n in names) and any(n.endswith("σ1") for n in names)
    top = next(t for t in spectrum["traces"] if t["name"].endswith("σ1"))
    assert len(top["y"]) > 10 and all(v >= 0 for v in top["y"])

    open_tab(page, FIXED_TAB, wait_for_app)
    fixed = chart_by_key(page, "dynamics.fixed")
    stable = next(t for t in fixed["traces"] if t["name"] == "stable")
    assert len(stable["x"]) >= 2
    assert load_flipflop("rnn").card["accuracy"] > 0.9

    eig = chart_by_key(page, "dynamics.eig")
    circle = next(t for t in eig["traces"] if t["name"] == "unit circle")
    r = np.hypot(circle["x"], circle["y"])
    np.testing.assert_allclose(r, 1.0, atol=1e-3)
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []


# Screen position of every fixed-point marker of the chart with key class `k`:
# [{curve, index (customdata), x, y}] from the plot's own axes (l2p + offsets).
_MARKERS_JS = r"""
(k) => {
  const el = document.querySelector(`.st-key-${k} .js-plotly-plot`);
  const box = el.getBoundingClientRect();
  const xa = el._fullLayout.xaxis, ya = el._fullLayout.yaxis;
  const out = [];
  el._fullData.forEach((t, curve) => {
    if (t.mode !== 'markers' || !t.customdata) return;
    for (let i = 0; i < t.x.length; i++) {
      out.push({curve, name: t.name, index: Number(t.customdata[i]),
                x: box.left + xa._offset + xa.l2p(t.x[i]),
                y: box.top + ya._offset + ya.l2p(t.y[i])});
    }
  });
  return out;
}
"""


def test_the_other_tabs_charts_keep_their_text_apart_at_1400_and_1024(open_app_warm, app_menu,
                                                                      wait_for_app):
    """test_pages.py measures the tab a visit opens (the spectrum); the other three here: in
    every chart nothing collides or is cut, nothing sticks out of the column."""
    page = open_app_warm(app_menu["Dynamics"])
    check_tabs(page, {SIDE_TAB: {"dynamics.side"},
                      FIXED_TAB: {"dynamics.fixed", "dynamics.eig"},
                      CONSTANT_TAB: {"dynamics.orbit", "dynamics.orbit_eig"}}, wait_for_app)
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []


def test_clicking_a_fixed_point_shows_its_eigenvalues(open_app_warm, app_menu, wait_for_app):
    from st_dom import chart_title

    page = open_app_warm(app_menu["Dynamics"])
    open_tab(page, FIXED_TAB, wait_for_app)
    chart_by_key(page, "dynamics.fixed")
    before = chart_title(page, "dynamics.eig")
    assert before.startswith("Fixed point 0:")
    markers = page.evaluate(_MARKERS_JS, key_class("dynamics.fixed"))
    assert len(markers) >= 2

    def clear(m):                      # no other marker within 14 px: the click is unambiguous
        return all(np.hypot(m["x"] - o["x"], m["y"] - o["y"]) > 14 for o in markers if o is not m)

    target = next(m for m in reversed(markers) if m["index"] != 0 and clear(m))
    page.locator(f".st-key-{key_class('dynamics.fixed')}").scroll_into_view_if_needed()
    markers = page.evaluate(_MARKERS_JS, key_class("dynamics.fixed"))   # after the scroll
    target = next(m for m in markers if m["index"] == target["index"])
    page.mouse.move(target["x"], target["y"])
    page.mouse.click(target["x"], target["y"])
    want = f"Fixed point {target['index']}: {target['name']}"
    page.wait_for_function(
        "([k, want]) => { const el = document.querySelector(`.st-key-${k} .js-plotly-plot`);"
        " return el && el._fullLayout.title.text === want; }",
        arg=[key_class("dynamics.eig"), want], timeout=30_000)
    eig = chart_by_key(page, "dynamics.eig")
    assert eig["title"] == want
    # the selectbox (the accessible fallback) follows the click: one selection, not two
    from st_dom import selectbox_value
    assert selectbox_value(page, "Fixed point (or click it in the chart)").startswith(
        f"{target['index']}: ")
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []
