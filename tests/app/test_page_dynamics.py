"""AppTest: the Dynamics page: spectrum numbers, flip-flop fixed points, constant input."""

from pathlib import Path

import numpy as np
import pytest
from _page_support import all_text, chart, charts, open_page, warm_server

import rnnviz
from rnnviz.dynamics import spectrum_summary
from rnnviz.training.flipflop import load_flipflop
from rnnviz_app.dynamics_view import CONSTANT_TAB, FIXED_TAB, KEY_TAB, SIDE_TAB, SPECTRUM_TAB
from rnnviz_app.state import DEFAULT_SENTENCE

PAGE = "pages/dynamics.py"


@pytest.fixture
def at(monkeypatch):
    at = open_page(monkeypatch, PAGE)
    assert not at.exception, at.exception
    return at


def open_tab(at, label):
    """Choose the page's tab `label` (a rerun, as a click on it): only that tab is built."""
    at.session_state[KEY_TAB] = label
    at.run()
    assert not at.exception, at.exception
    return at


def chart_keys(at) -> list[str]:
    return [c.proto.id.rsplit("-", 1)[-1] for c in charts(at)]


def test_the_page_opens_at_the_spectrum_and_builds_one_tab_at_a_time(at):
    assert [t.label for t in at.tabs] == [SPECTRUM_TAB, SIDE_TAB, FIXED_TAB, CONSTANT_TAB]
    assert chart_keys(at) == ["dynamics.spectrum"]
    open_tab(at, SIDE_TAB)
    assert chart_keys(at) == ["dynamics.side"]
    assert not any(m.label == "median σ_max" for m in at.metric)
    open_tab(at, FIXED_TAB)
    assert chart_keys(at) == ["dynamics.fixed", "dynamics.eig"]
    assert not any(m.label == "median σ_max" for m in at.metric)
    open_tab(at, CONSTANT_TAB)
    assert chart_keys(at) == ["dynamics.orbit", "dynamics.orbit_eig"]
    at.text_area(key="sidebar.sentence").set_value("Another sentence.").run()
    assert not at.exception and chart_keys(at) == ["dynamics.orbit", "dynamics.orbit_eig"]


def test_spectrum_numbers_match_the_package(at):
    name = at.session_state["sidebar.model"]
    model = rnnviz.load_pretrained(name) if name in rnnviz.list_pretrained() else None
    values = {m.label: m.value for m in at.metric}
    assert "median σ_max" in values and "steps with σ_max ≥ 0.99" in values
    if model is not None:
        spec = rnnviz.jacobian_spectrum(model, DEFAULT_SENTENCE)
        s = spectrum_summary(spec)
        assert values["median σ_max"] == f"{s['median']:.3f}"
    links = [e.proto.label for e in at.get("page_link")]
    assert any("Vanishing gradients" in label for label in links)


def test_flipflop_counts_match_the_package_and_pick_changes_the_eigenvalues(at):
    open_tab(at, FIXED_TAB)
    values = {m.label: m.value for m in at.metric}
    ff = load_flipflop("rnn")
    assert values["flip-flop accuracy"] == f"{ff.card['accuracy']:.3f}"
    assert int(values["stable points"]) >= 2
    spec = chart(at, "dynamics.eig")
    assert any(t.get("name") == "unit circle" for t in spec["data"])
    box = at.selectbox(key="dynamics.point")
    if len(box.options) > 1:
        before = spec["data"]
        box.set_value(len(box.options) - 1).run()
        assert not at.exception
        assert chart(at, "dynamics.eig")["data"] != before


def test_switching_cell_and_bad_constant_input(at):
    open_tab(at, FIXED_TAB)
    at.radio(key="dynamics.cell").set_value("lstm").run()
    assert not at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["flip-flop accuracy"] == f"{load_flipflop('lstm').card['accuracy']:.3f}"
    open_tab(at, CONSTANT_TAB)
    at.text_input(key="dynamics.char").set_value("").run()
    assert not at.exception
    assert "Type exactly one character" in all_text(at)


def test_constant_space_orbit_is_reported(at):
    open_tab(at, CONSTANT_TAB)
    text = all_text(at)
    assert "After 300 steps q =" in text
    assert np.isfinite(float(text.split("After 300 steps q = ")[1].split(":")[0]))


def test_the_seed_spread_and_the_story_are_shown_from_the_shipped_table(at):
    from rnnviz.training.flipflop_seeds import seed_table, story

    t = seed_table()
    text = all_text(open_tab(at, FIXED_TAB))
    for cell, per in t["cells"].items():
        acc, stable = per["accuracy"], per["stable"]
        assert (f"| {cell.upper()} | {100 * acc['mean']:.1f}% ± {100 * acc['std']:.1f} "
                f"({100 * acc['min']:.1f}–{100 * acc['max']:.1f}) | "
                f"{stable['mean']:.1f} ± {stable['std']:.1f} "
                f"({stable['min']:.0f}–{stable['max']:.0f}) |") in text
        assert story(t, cell, load_flipflop(cell).card) in text
    assert t["command"] in text


def test_the_selectbox_and_the_eigenvalue_title_show_one_point(at):
    open_tab(at, FIXED_TAB)
    assert chart(at, "dynamics.eig")["layout"]["title"]["text"].startswith("Fixed point 0: ")
    box = at.selectbox(key="dynamics.point")
    last = len(box.options) - 1
    box.set_value(last).run()
    assert not at.exception
    title = chart(at, "dynamics.eig")["layout"]["title"]["text"]
    assert title.startswith(f"Fixed point {last}: ")
    assert box.options[last].split(",")[0].split(": ")[1] in title


def test_the_thorough_search_gives_the_cards_counts_and_the_quick_one_says_so(at):
    card = load_flipflop("rnn").card["fixed_points"]
    open_tab(at, FIXED_TAB)
    values = {m.label: m.value for m in at.metric}
    quick = (int(values["stable points"]), int(values["saddles"]))
    if quick != (card["stable"], card["saddle"]):
        assert f"the card's thorough search found {card['stable']} and {card['saddle']}" \
            in all_text(at)
    at.radio(key="dynamics.search").set_value("thorough").run()
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert (int(values["stable points"]), int(values["saddles"])) == (card["stable"],
                                                                       card["saddle"])
    assert "the card's thorough search found" not in all_text(at)


def test_a_new_sentence_reads_one_model_and_the_side_tab_reads_three(at, monkeypatch):
    """A sentence never read: the spectrum tab computes the sidebar model's spectrum alone, in
    the page. The side-by-side tab then starts the GRU's and the LSTM's spectra of its first
    SIDE_CHARS characters in the background threads (`dynamics_view.start_spectra`) and
    computes the RNN's in the page; each is computed once (the LSTM's side text is a prefix
    of the main one: its steps are reused, none is formed)."""
    import threading

    from rnnviz_app import dynamics_view as view

    names = {f"char-lm-{c}" for c in view.CELLS}
    if at.session_state["sidebar.model"] != "char-lm-lstm" or not names <= set(
            rnnviz.list_pretrained()):
        pytest.fail("the shipped char LMs are needed")
    where = []
    real = view.jacobian_spectrum
    monkeypatch.setattr(view, "jacobian_spectrum", lambda m, text, **k: where.append(
        (m.name, text, threading.current_thread().name)) or real(m, text, **k))
    text = "A sentence that no test has read before, longer than sixty characters in all."
    at.text_area(key="sidebar.sentence").set_value(text).run()
    assert not at.exception, at.exception
    assert [(n, t) for n, t, _ in where] == [("char-lm-lstm", text)]
    assert not where[0][2].startswith("spectra")                 # in the page's own run
    assert chart_keys(at) == ["dynamics.spectrum"]
    where.clear()
    open_tab(at, SIDE_TAB)
    side = text[:view.SIDE_CHARS]
    background = sorted((n, t) for n, t, thread in where if thread.startswith("spectra"))
    assert background == [("char-lm-gru", side), ("char-lm-lstm", side)]
    here = [(n, t) for n, t, thread in where if not thread.startswith("spectra")]
    assert here == [("char-lm-rnn", side)]
    assert chart_keys(at) == ["dynamics.side"]
    titles = [a["text"] for a in chart(at, "dynamics.side")["layout"]["annotations"]]
    assert [t for t in titles if t in ("RNN", "GRU", "LSTM")] == ["RNN", "GRU", "LSTM"]


def test_a_background_spectrum_that_waited_too_long_is_left_to_the_page(monkeypatch):
    import time

    from rnnviz_app import dynamics_view as view

    computed = []
    monkeypatch.setattr(view, "spectrum", lambda m, i, text, layer: computed.append(text))
    model = rnnviz.load_pretrained("char-lm-rnn")
    view._spectrum_if_fresh(time.monotonic() - view.STALE_S - 0.1, model, "stale", None)
    view._spectrum_if_fresh(time.monotonic(), model, "fresh", None)
    assert computed == ["fresh"]
    # a server shutting down refuses new work: nothing is started and nothing is raised
    closed = view.ThreadPoolExecutor(max_workers=1)
    closed.shutdown()
    monkeypatch.setattr(view, "_SPECTRA", closed)
    view.start_spectra("refused", None, model)
    assert computed == ["fresh"]


def test_the_warm_up_computes_the_default_sentences_spectra_for_the_page(monkeypatch):
    """The server's background warm-up (`shell._warm_caches`) leaves the three char LMs'
    spectra of the default sentence in the page's cache: the page's call for them computes
    nothing, and returns the package's numbers. A sentence not warmed is computed."""
    from rnnviz_app import dynamics_view as view

    warm_server(monkeypatch)
    computed = []
    real = view.jacobian_spectrum
    monkeypatch.setattr(view, "jacobian_spectrum",
                        lambda *a, **k: computed.append(a[1]) or real(*a, **k))
    for cell in view.CELLS:
        model = rnnviz.load_pretrained(f"char-lm-{cell}")
        spec = view.spectrum(model, model.identity, DEFAULT_SENTENCE, None)
        np.testing.assert_allclose(spec.sv[""], real(model, DEFAULT_SENTENCE, top=view.TOP).sv[""])
    assert computed == []
    view.spectrum(model, model.identity, "Another sentence.", None)
    assert computed == ["Another sentence."]
    ran = []
    monkeypatch.setattr(view, "run_constant", lambda *a: ran.append(a) or None)
    S, point = view.constant_orbit(model, model.identity, view.CONSTANT_CHAR)
    assert ran == [] and S.shape == (300, 2 * model.config.n_a) and np.isfinite(point.q)


def test_after_the_warm_up_the_first_visit_builds_nothing(monkeypatch):
    """The warm-up (`dynamics_view.warm_first_visit`) leaves every figure of the page's first
    visit at its defaults (default sentence and model) in the shared caches: the first run of
    the page computes no spectrum and no fixed point and builds no figure."""
    from streamlit.testing.v1 import AppTest

    from rnnviz.figures import dynamics as figs
    from rnnviz_app import dynamics_view as view

    warm_server(monkeypatch)
    built = []
    for name in ("spectrum_figure", "fixed_point_figure", "eigen_figure"):
        real = getattr(figs, name)
        monkeypatch.setattr(figs, name, lambda *a, _n=name, _r=real, **k:
                            built.append(_n) or _r(*a, **k))
    for name in ("jacobian_spectrum", "fixed_points", "run_constant"):
        real = getattr(view, name)
        monkeypatch.setattr(view, name, lambda *a, _n=name, _r=real, **k:
                            built.append(_n) or _r(*a, **k))
    at = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=120)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    drawn = chart_keys(at)
    for tab in (SIDE_TAB, FIXED_TAB, CONSTANT_TAB):    # each tab at its defaults: warmed too
        drawn += chart_keys(open_tab(at, tab))
    assert drawn == ["dynamics.spectrum", "dynamics.side", "dynamics.fixed", "dynamics.eig",
                     "dynamics.orbit", "dynamics.orbit_eig"]
    assert built == []
    open_tab(at, FIXED_TAB)
    # a state the warm-up did not reach is computed: the LSTM flip-flop's search and figures
    at.radio(key="dynamics.cell").set_value("lstm").run()
    assert not at.exception
    assert "fixed_points" in built and "fixed_point_figure" in built
