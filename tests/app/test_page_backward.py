"""AppTest: the Backward-pass page, its numbers against an independent BPTT run."""

import numpy as np
import pytest
from _frame_support import expected_loaded, set_sentence, switch_model
from _page_support import HOSTILE, assert_no_raw_html, chart, chart_payload, open_page, tables

from rnnviz_app.state import DEFAULT_SENTENCE, MAX_CHARS

PAGE = "pages/backward.py"


@pytest.fixture
def at(monkeypatch):
    at = open_page(monkeypatch, PAGE)
    assert not at.exception, at.exception
    return at


def metric(at, label) -> str:
    return next(m.value for m in at.metric if m.label == label)


def expected(at, text=DEFAULT_SENTENCE, at_="all"):
    loaded = expected_loaded(at)
    reading = loaded.read(text, for_loss=True)
    return loaded, reading.steps, loaded.backward(reading, at=at_)


def n_steps(at, text):
    """A char LM's loss reads text[:-1] (y<t> = x<t+1>); a word model reads every token."""
    return expected(at, text)[1].T_x


def test_default_render_shows_the_models_loss_and_gradients(at):
    _, steps, res = expected(at)
    assert metric(at, "Steps T_x") == str(len(DEFAULT_SENTENCE) - 1)
    assert list(steps.targets) == list(expected_loaded(at).vocab.encode(DEFAULT_SENTENCE)[1:])
    assert metric(at, "Loss L") == f"{res.loss:.4f}"
    assert metric(at, "||∂L/∂a<T_x>||") == f"{float(res.btrace.grad_norm[-1]):.4g}"
    s = chart(at, "backward.norm")
    np.testing.assert_allclose(s["data"][0]["y"], res.btrace.grad_norm, rtol=1e-5)
    loss_bars = chart(at, "backward.loss_chart")["data"][0]["y"]
    assert float(np.sum(loss_bars)) == pytest.approx(res.loss, rel=1e-4)
    assert at.slider(key="backward.t").value == len(DEFAULT_SENTENCE) - 1
    # The gradient check passes: analytic BPTT agrees with finite differences.
    table = tables(at)[0]
    assert len(table) >= 6 and set(table["check"]) <= {"ok", "ok (tiny)", "ok (rounding)"}
    assert float(metric(at, "Largest relative error")) < 1e-5


def test_loss_at_the_last_step(at):
    at.radio(key="backward.loss").set_value("last").run()
    assert not at.exception
    _, _, res = expected(at, at_="last")
    assert metric(at, "Loss L") == f"{res.loss:.4f}"
    T = len(DEFAULT_SENTENCE) - 1
    at.slider(key="backward.t").set_value(T - 3).run()
    assert metric(at, f"… from ŷ<{T - 3}>") == "0"              # no loss at that step


def test_stepping_and_choosing_gradients(at):
    T = len(DEFAULT_SENTENCE) - 1
    at.button(key="backward.back").click().run()
    assert at.slider(key="backward.t").value == T - 1
    assert metric(at, f"||∂L/∂a<{T - 1}>||")
    at.button(key="backward.next").click().run()
    assert at.slider(key="backward.t").value == T and at.button(key="backward.next").disabled
    at.multiselect(key="backward.keys").set_value(["dgamma_f"]).run()
    assert not at.exception
    heat = [d for d in chart(at, "backward.bptt")["data"] if d["type"] == "heatmap"]
    _, _, res = expected(at)
    assert len(heat) == 1
    # By default the units with the largest |∂L/∂Γf| (issue 12: a light step), labelled.
    g = res.btrace["dgamma_f"][:, 0, :]
    # rows sit at 0..n-1 (so the BPTT cover lines up); each row's unit is its customdata
    units = np.asarray(heat[0]["customdata"], dtype=int)[:, 0]
    assert list(heat[0]["y"]) == list(range(len(units)))
    assert 8 <= len(units) < g.shape[0]
    np.testing.assert_allclose(heat[0]["z"], g[units], rtol=1e-4, atol=1e-9)
    peak = np.abs(g.astype(np.float64)).max(axis=1)
    assert peak[units].min() >= np.delete(peak, units).max()
    at.toggle(key="backward.all_units").set_value(True).run()
    heat = [d for d in chart(at, "backward.bptt")["data"] if d["type"] == "heatmap"]
    assert list(np.asarray(heat[0]["customdata"], dtype=int)[:, 0]) == list(range(g.shape[0]))
    np.testing.assert_allclose(heat[0]["z"], g, rtol=1e-4, atol=1e-9)


@pytest.mark.parametrize(("cell", "bi"), [("rnn", False), ("gru", False), ("gru", True)])
def test_every_architecture(at, cell, bi):
    switch_model(at, cell=cell, bidirectional=bi, n_a=5)
    assert not at.exception
    if bi:
        at.radio(key="backward.direction").set_value("bwd").run()
        assert not at.exception
        assert all(k.endswith("_bwd") for k in at.multiselect(key="backward.keys").value)
    _, _, res = expected(at)
    assert metric(at, "Loss L") == f"{res.loss:.4f}"
    assert set(tables(at)[0]["check"]) <= {"ok", "ok (tiny)", "ok (rounding)"}


def test_exploding_weights_warn_instead_of_plotting_nan(at):
    switch_model(at, cell="rnn", init_scale=3.0, n_a=64)
    set_sentence(at, "x" * 300)
    assert not at.exception
    res = expected(at, "x" * 300)[2]
    if not np.all(np.isfinite(res.btrace.grad_norm)):
        assert at.warning


def test_one_character_is_not_enough_for_a_language_model_loss(at):
    set_sentence(at, "R")
    assert not at.exception
    assert any("at least two characters" in i.value for i in at.info)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_sentences(at, name):
    text = HOSTILE[name]
    set_sentence(at, text)
    assert not at.exception, at.exception
    if name == "empty":
        assert any("Type a sentence" in i.value for i in at.info)
        return
    assert metric(at, "Steps T_x") == str(n_steps(at, text[:MAX_CHARS]))
    assert_no_raw_html(at, text)


def test_play_bptt_hands_the_earlier_steps_to_the_browser(at):
    """Stopped, the chart has no animation of its own (the page's t is the one counter).
    ◀ Play BPTT: the browser steps the frames from t - 1 down to 1 (no script run per
    step); the slider and the step's numbers wait for the stop."""
    T = len(DEFAULT_SENTENCE) - 1
    s = chart(at, "backward.bptt")
    assert not s.get("frames") and not s["layout"].get("sliders")
    at.button(key="backward.play").click().run()
    assert not at.exception, at.exception
    sent = chart_payload(at, "backward.bptt")
    names = [f["name"] for f in sent["figure"]["frames"]]
    assert sent["play"]["frames"] == sorted((n for n in names if int(n) < T), key=int,
                                            reverse=True)
    assert sent["play"]["frames"][0] == str(T - 1) and sent["play"]["frames"][-1] == "1"
    assert not sent["figure"]["layout"].get("sliders")
    assert not [s for s in at.slider if s.key == "backward.t"]
    assert not any(m.label.startswith("||∂L/∂a<") and m.label != "||∂L/∂a<T_x>||"
                   for m in at.metric)
    at.button(key="backward.play").click().run()            # the page's Pause
    assert at.session_state["backward.t.playing"] is False
    assert at.slider(key="backward.t").value == T


def test_the_gradient_check_is_reused_for_an_edit_after_its_window(monkeypatch):
    """The check reads the first 20 steps (`rnnviz.models.gradcheck.check_key`): a sentence
    that differs only after its 21st character gets the same table without a new check; one
    that differs within them is checked again."""
    import streamlit as st

    from rnnviz.models import ModelInUse, ModelSpec
    from rnnviz_app import loaders

    st.cache_data.clear()
    ran = []
    real = ModelInUse.check_gradients
    monkeypatch.setattr(ModelInUse, "check_gradients",
                        lambda self, *a, **k: ran.append(1) or real(self, *a, **k))
    spec = ModelSpec(name="char-lm-gru")
    base = "Return the number of "                              # 21 characters
    first, worst = loaders.get_gradient_check(spec, base + "items in the list.", "all")
    again, worst2 = loaders.get_gradient_check(spec, base + "cats on the mat.", "all")
    assert len(ran) == 1 and worst2 == worst and again.equals(first)
    loaders.get_gradient_check(spec, "Return the numbers of items.", "all")
    assert len(ran) == 2


def test_after_the_warm_up_the_first_visit_checks_no_gradient(monkeypatch):
    """The server's warm-up (`backward_view.warm_first_visit`) runs the gradient check of the
    default model on the default sentence: the page's first run shows that check without
    running it (the same table), and a sentence the warm-up did not see is checked."""
    from pathlib import Path

    from _page_support import real_models_available, warm_server
    from streamlit.testing.v1 import AppTest

    from rnnviz.models import ModelInUse

    if not real_models_available():
        pytest.fail("the shipped models do not load")
    warm_server(monkeypatch)
    checked = []
    real = ModelInUse.check_gradients
    monkeypatch.setattr(ModelInUse, "check_gradients",
                        lambda self, *a, **k: checked.append(self.name) or real(self, *a, **k))
    at = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=120)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert checked == []
    table = tables(at)[0]
    assert len(table) >= 6 and float(metric(at, "Largest relative error")) < 1e-5
    set_sentence(at, "A sentence the warm-up never read.")
    assert not at.exception
    assert checked == ["char-lm-lstm"]
