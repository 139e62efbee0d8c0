"""AppTest: the What-if page clamps, ablates and patches units of a<t>, c<t> or a gate of any
layer and direction, shows the numbers it should, and meets bad input with a message while
the charts keep the last change that worked."""

import numpy as np
import pytest
from _frame_support import expected_loaded, sentence, switch_model
from _page_support import all_text, chart, open_page
from test_upload_panel import _run_page

import rnnviz
from rnnviz import models
from rnnviz.attribution import attribution
from rnnviz.core.model import Model, RNNConfig
from rnnviz.figures.whatif import top_changes
from rnnviz.models.interventions import unit_means
from rnnviz.text import SPECIALS, Vocab
from rnnviz.units import heldout_corpus
from rnnviz.whatif import Request, compare
from rnnviz_app.loaders import HELDOUT_CHARS

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


def shown(at) -> list[int]:
    """The units the states chart draws, row by row (all of a small model's)."""
    return [int(u) for u in chart(at, "whatif.states")["data"][0]["y"]]


def panels(at):
    """(intact, changed, Δ) of the states chart, each (rows, T_x), and its outlined cells
    (row, first t, last t)."""
    spec = chart(at, "whatif.states")
    z = [np.asarray(d["z"], dtype=float) for d in spec["data"]]
    boxes = {(int(s["y0"] + 0.5), int(s["x0"] + 0.5), int(s["x1"] - 0.5))
             for s in spec["layout"]["shapes"]}
    return z, boxes


def test_clamp_shows_the_changed_prediction_beside_the_intact_one(at):
    assert at.title[0].value == "What if?"
    # the model the app reads: a shipped one, or its stand-in when a shipped file is missing
    model, text = rnnviz.load_pretrained(at.session_state["sidebar.model"]), sentence(at)
    at.multiselect(key="whatif.units").set_value([0, 1, 2]).run()
    at.slider(key="whatif.value.tanh").set_value(0.5).run()
    assert not at.exception, at.exception
    T = len(model.tokens(text))
    want = compare(model, text, Request(units=(0, 1, 2), value=0.5))
    got = bars(at)
    idx = top_changes(model.output_labels, want.y_before[T - 1], want.y_after[T - 1])
    for name, y in (("intact", want.y_before[T - 1]), ("changed", want.y_after[T - 1])):
        np.testing.assert_allclose(list(got[name].values()), y[idx], atol=1e-5)
    (before, after, delta), boxes = panels(at)
    rows = shown(at)                      # 96 of 256 units: those set, those moved most
    assert len(rows) == min(96, model.config.n_a) and rows[:3] == [0, 1, 2]
    moved = np.abs(want.after - want.before).max(axis=0)
    assert moved[rows[3:]].min() >= np.delete(moved, rows).max()
    np.testing.assert_allclose(before, want.before.T[rows], atol=1e-5)
    np.testing.assert_allclose(after[:3], 0.5, atol=1e-6)
    np.testing.assert_allclose(delta, (want.after - want.before).T[rows], atol=1e-5)
    assert boxes == {(u, 1, T) for u in (0, 1, 2)}      # the set values outlined


def test_a_gate_clamp_of_the_lstm(at):
    switch_model(at, "random", cell="lstm", n_a=8)
    model, text = expected_loaded(at), sentence(at)
    assert at.selectbox(key="whatif.quantity").options == ["a<t>", "Γf<t>", "Γu<t>", "c̃<t>",
                                                           "c<t>", "Γo<t>"]
    at.selectbox(key="whatif.quantity").set_value("gamma_f").run()
    at.multiselect(key="whatif.units").set_value([2]).run()
    at.toggle(key="whatif.every").set_value(False).run()
    at.slider(key="whatif.span").set_value((2, 3)).run()
    assert not at.exception, at.exception
    assert at.slider(key="whatif.value.gate").value == 1.0        # Γf := 1 keeps the memory
    want = compare(model, text, Request(units=(2,), value=1.0, steps=(2, 3),
                                        quantity="gamma_f"))
    (before, after, _), boxes = panels(at)
    np.testing.assert_allclose(after, want.after.T, atol=1e-6)
    np.testing.assert_allclose(after[2, 1:3], 1.0)
    assert boxes == {(2, 2, 3)}
    assert "Γf" in all_text(at)


def test_a_gate_the_new_cell_lacks_is_named(at):
    switch_model(at, "random", cell="lstm", n_a=8)
    at.selectbox(key="whatif.quantity").set_value("gamma_f").run()
    at.radio(key="sidebar.cell").set_value("gru").run()
    assert not at.exception, at.exception
    assert any("GRU cell has no Γf" in w.value for w in at.warning)
    quantity = at.selectbox(key="whatif.quantity")
    assert quantity.value == "a" and "Γf<t>" not in quantity.options
    assert "Γr<t>" in quantity.options and "c<t>" not in quantity.options   # GRU: c<t> = a<t>


def test_mean_ablation_uses_the_held_out_corpus_and_attribution_numbers(at):
    switch_model(at, "random", cell="lstm", n_a=8)
    model, text = expected_loaded(at), sentence(at)
    at.multiselect(key="whatif.units").set_value([1, 5]).run()
    at.selectbox(key="whatif.quantity").set_value("c").run()
    at.radio(key="whatif.mode").set_value("mean").run()
    assert not at.exception, at.exception
    name, corpus = heldout_corpus(model.kind)
    means = unit_means(model, corpus[:HELDOUT_CHARS], "c")
    (before, after, _), _ = panels(at)
    np.testing.assert_allclose(after[1], means[1], atol=1e-5)
    np.testing.assert_allclose(after[5], means[5], atol=1e-5)
    assert not np.isclose(means[1], before[1].mean())       # not the sentence's mean
    assert f"over the {name}" in all_text(at)
    at.radio(key="whatif.method").set_value("integrated_gradients").run()
    assert not at.exception, at.exception
    T = len(model.tokens(text))
    want = compare(model, text, Request(units=(1, 5), value="mean", quantity="c",
                                        means=tuple(means)))
    k = int(np.argmax(want.y_before[T - 1]))
    att = attribution(model, text, k, method="integrated_gradients", step=T)
    spec = chart(at, "whatif.attribution")
    np.testing.assert_allclose(np.asarray(spec["data"][0]["z"], dtype=float)[0], att.scores,
                               atol=1e-5)
    assert any("integrated gradients" in m.value and "completeness error" in m.value
               for m in at.markdown)


def test_the_backward_direction_of_a_bidirectional_model(at):
    switch_model(at, "random", cell="gru", n_a=8, bidirectional=True)
    model, text = expected_loaded(at), sentence(at)
    at.radio(key="whatif.direction").set_value("bwd").run()
    at.multiselect(key="whatif.units").set_value([4]).run()
    at.slider(key="whatif.value.tanh").set_value(-0.5).run()
    assert not at.exception, at.exception
    want = compare(model, text, Request(units=(4,), value=-0.5, direction="bwd"))
    (before, after, _), _ = panels(at)
    np.testing.assert_allclose(before, want.before.T, atol=1e-5)
    np.testing.assert_allclose(after, want.after.T, atol=1e-5)
    assert "a←<t>" in all_text(at)


def _session_model(monkeypatch, model):
    """The page run once with `model` selected as a model of this session (frozen)."""
    at, _ = _run_page(monkeypatch, model, "whatif")
    assert not at.exception, at.exception
    return at, model


def test_a_lower_layer_of_a_stacked_model(monkeypatch):
    vocab = Vocab([*SPECIALS, *"abcdefghijklmnopqrstuvwxyzTHE ,."], kind="char")
    cfg = RNNConfig(cell="rnn", n_x=len(vocab), n_a=6, n_y=len(vocab), layers=2)
    net = Model.init(cfg, rng=np.random.default_rng(3))
    at, model = _session_model(monkeypatch, models.LanguageModel("two-layers", net, vocab,
                                                          {"kind": "char_lm"}, ""))
    text = sentence(at)
    at.radio(key="whatif.layer").set_value(1).run()
    at.multiselect(key="whatif.units").set_value([3]).run()
    assert not at.exception, at.exception
    want = compare(model, text, Request(units=(3,), value=0.0, layer=1))
    (before, after, _), _ = panels(at)
    np.testing.assert_allclose(after, want.after.T, atol=1e-5)
    np.testing.assert_allclose(after[3], 0.0)
    assert bars(at)["changed"] != bars(at)["intact"]          # the top layer felt it


def test_units_outside_the_model_are_named_and_left_out(at):
    switch_model(at, "random", cell="rnn", n_a=8)
    at.session_state["whatif.units"] = [2, 300]
    at.run()
    assert not at.exception, at.exception
    assert any("300 is outside 0…7" in e.value for e in at.error)
    assert at.multiselect(key="whatif.units").value == [2]
    (_, _, _), boxes = panels(at)
    assert {b[0] for b in boxes} == {2}


@pytest.mark.parametrize("typed,message", [("nan", "finite number"),
                                           ("one", "a number or 'mean'")])
def test_a_bad_clamp_value_keeps_the_last_good_state(at, typed, message):
    switch_model(at, "random", cell="rnn", n_a=8)
    at.slider(key="whatif.value.tanh").set_value(0.25).run()
    before = panels(at)[0]
    at.text_input(key="whatif.value_text").input(typed).run()
    assert not at.exception, at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert "last change that worked" in all_text(at)
    for kept, was in zip(panels(at)[0], before, strict=True):
        np.testing.assert_allclose(kept, was)
    at.text_input(key="whatif.value_text").input("2.5").run()   # beyond the slider: typed
    np.testing.assert_allclose(panels(at)[0][1][0], 2.5)


def test_bad_patch_source_keeps_the_last_good_state(at):
    switch_model(at, "random", cell="gru", n_a=8)
    at.multiselect(key="whatif.units").set_value([3]).run()
    at.radio(key="whatif.mode").set_value("patch").run()
    at.slider(key="whatif.patch_t").set_value(4).run()
    (_, _, delta), boxes = panels(at)
    assert np.all(delta[3, :3] == 0) and delta[3, 3] != 0        # patched at t = 4, not before
    assert boxes == {(3, 4, 4)}
    at.text_input(key="whatif.source").input("Hi").run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any("too short to patch step 4" in e for e in errors), errors
    assert "last change that worked" in all_text(at)
    np.testing.assert_allclose(panels(at)[0][2], delta)         # still drawn


def test_a_click_on_a_row_toggles_its_unit():
    """The Python side of a click on the states heatmap (the browser test clicks for real)."""
    from rnnviz_app.whatif_view import toggled

    click = {"curve": 2, "point": [5, 1], "x": 2, "y": 5, "customdata": None, "at": 1}
    assert toggled([0], click, 8) == [0, 5]
    assert toggled([0, 5], click, 8) == [0]
    assert toggled([5], click, 8) == []
    assert toggled([0], dict(click, y=8), 8) is None        # no such unit in this model
    assert toggled([0], dict(click, y=None), 8) is None
