"""AppTest: the What-if page clamps, ablates and patches units and shows the numbers it should."""

import numpy as np
import pytest
from _frame_support import expected_loaded, sentence, switch_model
from _page_support import all_text, chart, open_page

import rnnviz
from rnnviz.attribution import attribution
from rnnviz.figures.whatif import top_changes
from rnnviz.whatif import Request, compare

PAGE = "pages/whatif.py"


@pytest.fixture
def at(monkeypatch):
    at = open_page(monkeypatch, PAGE)
    assert not at.exception, at.exception
    return at


def bars(at, key="whatif.pred"):
    spec = chart(at, key)
    return {d["name"]: dict(zip(d["x"], np.asarray(d["y"], dtype=float), strict=True))
            for d in spec["data"]}


def test_clamp_shows_the_changed_prediction_beside_the_intact_one(at):
    assert at.title[0].value == "What if?"
    # the model the app reads: a shipped one, or its stand-in when a shipped file is missing
    model, text = rnnviz.load_pretrained(at.session_state["sidebar.model"]), sentence(at)
    at.multiselect(key="whatif.units").set_value([0, 1, 2]).run()
    at.slider(key="whatif.value").set_value(0.5).run()
    assert not at.exception, at.exception
    T = len(model.tokens(text))
    want = compare(model, text, Request(units=(0, 1, 2), value=0.5))
    got = bars(at)
    idx = top_changes(model.output_labels, want.y_before[T - 1], want.y_after[T - 1])
    for name, y in (("intact", want.y_before[T - 1]), ("changed", want.y_after[T - 1])):
        np.testing.assert_allclose(list(got[name].values()), y[idx], atol=1e-5)
    heat = chart(at, "whatif.states")["data"][0]
    assert list(heat["y"][:3]) == ["unit 0 (set)", "unit 1 (set)", "unit 2 (set)"]
    z = np.asarray(heat["z"], dtype=float)
    np.testing.assert_allclose(z[0], 0.5 - want.a_before[:, 0], atol=1e-5)


def test_bad_patch_source_keeps_the_last_good_state(at):
    switch_model(at, "random", cell="gru", n_a=8)
    at.multiselect(key="whatif.units").set_value([3]).run()
    at.radio(key="whatif.mode").set_value("patch").run()
    at.slider(key="whatif.patch_t").set_value(4).run()
    before = chart(at, "whatif.states")
    z = np.asarray(before["data"][0]["z"], dtype=float)
    assert np.all(z[0, :3] == 0) and z[0, 3] != 0        # patched at t = 4, not before
    at.text_input(key="whatif.source").input("Hi").run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any("too short to patch step 4" in e for e in errors), errors
    assert "last change that worked" in all_text(at)
    kept = chart(at, "whatif.states")                         # still drawn
    np.testing.assert_allclose(np.asarray(kept["data"][0]["z"], dtype=float),
                               np.asarray(before["data"][0]["z"], dtype=float))


def test_mean_ablation_and_attribution_numbers(at):
    switch_model(at, "random", cell="lstm", n_a=8)
    model, text = expected_loaded(at), sentence(at)
    at.multiselect(key="whatif.units").set_value([1, 5]).run()
    at.radio(key="whatif.mode").set_value("mean").run()
    heat = chart(at, "whatif.states")["data"][0]
    want = compare(model, text, Request(units=(1, 5), value="mean"))
    z = np.asarray(heat["z"], dtype=float)
    np.testing.assert_allclose(z[0], want.a_after[:, 1] - want.a_before[:, 1], atol=1e-5)
    at.radio(key="whatif.method").set_value("integrated_gradients").run()
    assert not at.exception, at.exception
    T = len(model.tokens(text))
    k = int(np.argmax(want.y_before[T - 1]))
    att = attribution(model, text, k, method="integrated_gradients", step=T)
    spec = chart(at, "whatif.attribution")
    np.testing.assert_allclose(np.asarray(spec["data"][0]["z"], dtype=float)[0], att.scores,
                               atol=1e-5)
    assert "integrated gradients" in spec["layout"]["title"]["text"]
    assert "completeness error" in spec["layout"]["title"]["text"]
