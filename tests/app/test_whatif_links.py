"""AppTest: the What-if parts on other pages: the Training page's number units after an
agreement run (with the multi-seed spread), and the Units page's button to the What-if page."""

import time
from types import SimpleNamespace

import numpy as np
import pytest
from _page_support import all_text, chart, open_page, tables

from rnnviz.training.agreement import (
    AgreementConfig,
    AgreementTask,
    ablation_effect,
    number_units,
)
from rnnviz.training.agreement_seeds import seed_table
from rnnviz_app import jobs
from rnnviz_app.units_view import KEY_TAB, PAINT_TAB

K = "training."


@pytest.fixture
def training(monkeypatch):
    at = open_page(monkeypatch, "pages/training.py")
    assert not at.exception, at.exception
    yield at
    run = at.session_state[K + "run"] if K + "run" in at.session_state else None
    if run is not None:
        jobs.manager().discard(run)


def test_number_units_after_an_agreement_run(training):
    at = training
    at.slider(key=K + "steps").set_value(30)
    at.slider(key=K + "L").set_value(6)
    at.multiselect(key=K + "cells").set_value(["gru"])
    at.button(key=K + "start").click().run()
    run = at.session_state[K + "run"]
    end = time.monotonic() + 180
    while run.status in jobs.ACTIVE and time.monotonic() < end:
        time.sleep(0.05)
    assert run.status == jobs.DONE
    at.run()
    seeds = chart(at, K + "seeds")                         # the spread over seeds, always
    table = seed_table()["cells"]
    gru = next(d for d in seeds["data"] if d["name"] == "GRU")
    np.testing.assert_allclose(gru["y"], [table["gru"][L]["mean"] for L in sorted(table["gru"])])
    at.toggle(key=K + "nu").set_value(True).run()
    assert not at.exception, at.exception
    shown = next(d for d in tables(at) if "ablated" in d.columns)
    model = run.view()[2]["race"].runs["gru"].model
    res = SimpleNamespace(network=model, config=AgreementTask(AgreementConfig(
        distance=6, steps=30)).config)
    top = number_units(res, k=2)
    assert f"top units {top[0]['unit']} (d′ = {top[0]['d_prime']:+.1f})" in all_text(at)
    rows = ablation_effect(res, [r["unit"] for r in top], distances=(5, 20, 40),
                           attractors=[0], n=128)
    np.testing.assert_allclose(shown["ablated"], [r["ablated"] for r in rows])
    np.testing.assert_allclose(shown["random_mean"], [r["random_mean"] for r in rows])
    assert ("These units matter" in all_text(at)) or ("No unit is special" in all_text(at))


def test_the_units_page_button_opens_whatif_with_the_unit(monkeypatch):
    at = open_page(monkeypatch, "pages/units.py")
    assert not at.exception, at.exception
    at.session_state[KEY_TAB] = PAINT_TAB            # the tab that paints one unit
    at.run()
    assert not at.exception, at.exception
    unit = at.session_state["units.unit"]
    at.button(key="units.whatif").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "What if?"
    assert at.multiselect(key="whatif.units").value == [unit]
