"""The Dynamics page in Chromium: spectrum, fixed points and eigenvalues drawn with values."""

from __future__ import annotations

import numpy as np
from playwright.sync_api import expect
from st_dom import EXCEPTION, chart_by_key

from rnnviz.training.flipflop import load_flipflop


def test_dynamics_page_draws_spectrum_fixed_points_and_eigenvalues(open_app_warm, app_menu):
    page = open_app_warm(app_menu["Dynamics"])
    spectrum = chart_by_key(page, "dynamics.spectrum")
    names = [t["name"] for t in spectrum["traces"]]
    assert any(n.endswith("band") for n in names) and any(n.endswith("σ1") for n in names)
    top = next(t for t in spectrum["traces"] if t["name"].endswith("σ1"))
    assert len(top["y"]) > 10 and all(v >= 0 for v in top["y"])

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
