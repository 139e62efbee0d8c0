"""What a person sees change when they use the app: each test drives the widgets and reads the
plotted numbers back from the Plotly charts, and where the numbers come from the core, checks
them against rnnviz run in the test process.
"""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from st_dom import (
    EXCEPTION,
    MAIN,
    SIDEBAR,
    app_model,
    chart_by_key,
    chart_title,
    choose_radio,
    import_ui,
    key_class,
    metric,
    radio_value,
    read_charts,
    selectbox_value,
    sentence_box,
    set_sentence,
    slider_value,
    wait_for_charts,
)

import rnnviz
from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model, RNNConfig
from rnnviz.figures.safe_text import visible_char

NEW_SENTENCE = "Zebras quietly yawn."
# Found by benchmarks/load.py: from the default sentence, the second raised a TypeError in
# the Activations page (the "Unit" box's labels depended on the sentence).
EDITS_IN_A_ROW = (
    "Yawns items dictionary list.",
    "The raise not at return none.",
)


def _step_labels(x: list[str]) -> list[str]:
    """'t=3 ‘e’' -> 't=3': the step part of the heatmaps' column labels."""
    return [str(c).split(" ", 1)[0] for c in x]


def test_new_sentence_redraws_the_activation_heatmap(open_app_warm, app_menu, wait_for_app):
    page = open_app_warm(app_menu["Activations"])
    wait_for_charts(page)
    model_label = selectbox_value(page, "Model", SIDEBAR)

    # Edits in a row, from the default sentence: each redraws the heatmap and none ends in an
    # exception box (the units the page suggests change from one sentence to the next).
    previous = chart_by_key(page, "activations.heatmap.a")["traces"][0]
    for text in (*EDITS_IN_A_ROW, NEW_SENTENCE):
        set_sentence(page, text, wait_for_app)
        expect(page.locator(EXCEPTION)).to_have_count(0)
        wait_for_charts(page)
        now = chart_by_key(page, "activations.heatmap.a")["traces"][0]
        assert now["type"] == "heatmap"
        assert now["z"] != previous["z"] and now["x"] != previous["x"], text
        previous = now

    # The heatmap is a<t> of the last sentence, as the core computes it, unit by unit.
    trace = app_model(model_label).trace(NEW_SENTENCE)
    expected = np.asarray(trace["a"][:, 0, :], dtype=np.float64)
    units = [int(u) for u in now["y"]]
    plotted = np.array(now["z"], dtype=np.float64)
    assert plotted.shape == (len(units), trace.T_x)
    np.testing.assert_allclose(plotted, expected[units], rtol=0, atol=1e-5)
    assert _step_labels(now["x"]) == [f"t={t}" for t in range(1, trace.T_x + 1)]
    # The columns name the tokens just typed ("Z" of Zebras is read at one of the first steps).
    assert any("Z" in str(c) for c in now["x"][:2])
    assert page.console_errors == []


def _shown_step(page) -> int | None:
    """The step on screen: the chart element's counter while it plays in the browser
    ("▶ t = 7 of 39"), else the page's slider; None between the two (a run under way)."""
    playing = page.locator(f"{MAIN} .rnnviz-play")
    if playing.count():
        return int(playing.first.inner_text().split("=")[1].split()[0])
    slider = page.locator(MAIN).locator("[data-testid='stSlider']").filter(has_text="Step t")
    if not slider.count():
        return None
    try:            # the slider may go the moment after it was counted (the play begins)
        return int(float(slider.first.locator("input[type='range']").first.input_value(
            timeout=300)))
    except PlaywrightTimeoutError:
        return None


def _play(page, button: str, steps: int, wait_for_app) -> None:
    """Press the page's Play button, let `steps` steps go by, press Pause."""
    start = int(slider_value(page, "Step t"))
    page.get_by_role("button", name=button).click()
    for _ in range(150):                    # 15 s at most
        shown = _shown_step(page)
        if shown is not None and abs(shown - start) >= steps:
            break
        page.wait_for_timeout(100)
    page.get_by_role("button", name="❚❚ Pause").click()
    wait_for_app(page)


def _settled_step(page, key: str, sep: str) -> int:
    """The step t once the slider and the chart's title show the same one (a step that was
    on its way when Pause was pressed lands first)."""
    for _ in range(150):                    # 15 s at most
        t = int(slider_value(page, "Step t"))
        if f"step t = {t}{sep}" in chart_title(page, key):
            return t
        page.wait_for_timeout(100)
    raise AssertionError(f"slider at t = {t}, chart: {chart_title(page, key)!r}")


def _slider_reaches(page, t: int) -> int:
    """The slider's step once it shows `t` (a fragment's rerun can start after wait_for_app
    has seen the app idle), or what it shows after 10 s."""
    for _ in range(100):
        now = int(slider_value(page, "Step t"))
        if now == t:
            return now
        page.wait_for_timeout(100)
    return now


def test_play_advances_the_one_step_counter(open_app_warm, app_menu, wait_for_app):
    page = open_app_warm(app_menu["Forward pass"])
    wait_for_charts(page)
    key = "forward.figure"
    heading = page.locator(MAIN).get_by_role("heading", name="The equations at t =")
    start = int(slider_value(page, "Step t"))
    assert f"t = {start}," in chart_title(page, key) and f"t = {start}," in heading.inner_text()

    # ▶ Play steps the page's t: the slider, the diagram and the equations move together.
    _play(page, "▶ Play", 2, wait_for_app)
    wait_for_charts(page)
    t = _settled_step(page, key, ",")
    assert t >= start + 2
    expect(heading).to_contain_text(f"t = {t},")
    page.wait_for_timeout(1_500)            # paused: nothing moves any more
    assert int(slider_value(page, "Step t")) == t

    # "Step ▶" moves t by one and everything follows it.
    page.get_by_role("button", name="Step ▶").click()
    wait_for_app(page)
    wait_for_charts(page)
    expect(heading).to_contain_text(f"t = {t + 1},")
    assert int(slider_value(page, "Step t")) == t + 1
    assert f"step t = {t + 1}," in chart_title(page, key)
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []


def test_backward_pass_steps_down_from_T_x(open_app_warm, app_menu, wait_for_app):
    page = open_app_warm(app_menu["Backward pass (BPTT)"])
    wait_for_charts(page)
    model_label = selectbox_value(page, "Model", SIDEBAR)
    sentence = sentence_box(page).input_value()
    T = int(metric(page, "Steps T_x"))
    key = "backward.bptt"
    # BPTT starts at the last step: the slider, the chart and the metrics all say t = T_x.
    assert int(slider_value(page, "Step t")) == T

    assert f"step t = {T}:" in chart_title(page, key)

    # "◀ t − 1" twice: the stepper reruns with t = T_x − 1, then T_x − 2, and the page
    # reports ||∂L/∂a<t>|| at that step as the core computes it.
    loaded = app_model(model_label)
    expected = loaded.backward(loaded.read(sentence, for_loss=True), at="all").btrace.grad_norm
    assert float(metric(page, f"||∂L/∂a<{T}>||")) == pytest.approx(expected[T - 1], rel=1e-3)
    for t in (T - 1, T - 2):
        page.get_by_role("button", name="◀ t − 1").click()
        wait_for_app(page)
        assert _slider_reaches(page, t) == t
        wait_for_app(page)
        shown = float(metric(page, f"||∂L/∂a<{t}>||"))
        assert shown == pytest.approx(expected[t - 1], rel=1e-3), t
    wait_for_charts(page)
    assert f"step t = {T - 2}:" in chart_title(page, key)

    # ◀ Play BPTT moves the same t further down, then pauses.
    _play(page, "◀ Play BPTT", 2, wait_for_app)
    wait_for_charts(page)
    t = _settled_step(page, key, ":")
    assert t <= T - 4
    assert float(metric(page, f"||∂L/∂a<{t}>||")) == pytest.approx(expected[t - 1], rel=1e-3)
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []


def _sample_text(page) -> str:
    return page.locator(MAIN).locator(".rnnviz-text").first.inner_text().strip()


def test_sampling_draws_new_text_and_the_same_seed_repeats_it(
    open_app_warm, app_menu, wait_for_app
):
    page = open_app_warm(app_menu["Sampling"])
    wait_for_charts(page)
    seed_box = page.locator(MAIN).get_by_role("spinbutton", name="Seed", exact=True)
    prefix_box = page.locator(MAIN).get_by_role("textbox", name="Prefix (the text to continue)")
    prefix = prefix_box.input_value()
    assert seed_box.input_value() == "0"
    first = _sample_text(page)
    assert first.startswith(prefix) and len(first) > len(prefix)

    # A new seed draws new text.
    page.get_by_role("button", name="New seed").click()
    wait_for_app(page)
    expect(seed_box).to_have_value("1")
    second = _sample_text(page)
    assert second.startswith(prefix) and second != first

    # Back to seed 0: Generate draws exactly the first text again.
    seed_box.fill("0")
    seed_box.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Generate").click()
    wait_for_app(page)
    wait_for_charts(page)
    assert _sample_text(page) == first
    # And it is what the core samples with that seed and the page's settings.
    name = radio_value(page, "Model").rsplit("(", 1)[1].rstrip(")")
    top_k = int(slider_value(page, "Top-k"))
    sample = rnnviz.load_pretrained(name).sample(
        prefix,
        length=int(slider_value(page, "Length")),
        temperature=slider_value(page, "Temperature"),
        top_k=top_k or None,
        rng=np.random.default_rng(0),
    )
    # (A code block does not show trailing blanks, so neither side keeps them.)
    assert first == (prefix + "".join(step.char for step in sample.steps)).rstrip()
    charts = {c["key"] for c in read_charts(page)}
    assert {key_class("sampling.topk_chart"), key_class("sampling.hidden_chart")} <= charts
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []


def _sampling_step_shown(page) -> dict:
    """What the Sampling page shows of its step: the slider, the outlined character of the
    painted text (its hover title), the top-k chart's ŷ<t> and the hidden-state chart's label."""
    current = page.locator(f"{MAIN} .st-key-sampling-text [aria-current='step']")
    notes = page.evaluate(
        "k => document.querySelector(`.st-key-${k} .js-plotly-plot`)._fullLayout.annotations"
        ".map(a => a.text).join(' ')", key_class("sampling.hidden_chart"))
    return {"slider": int(slider_value(page, "Step t")), "outlined": current.count(),
            "title": current.first.get_attribute("title"),
            "topk": chart_title(page, "sampling.topk_chart"), "hidden": notes}


def test_sampling_arrow_keys_step_every_view_together(open_app_warm, app_menu, wait_for_app):
    """→ on the step slider moves the one step t: the outlined character, ŷ<t> of the top-k
    chart, the hidden state's step and the drawn-character metric all follow it (the slider
    reruns only its fragment: the sample above stays as it is)."""
    page = open_app_warm(app_menu["Sampling"])
    wait_for_charts(page)
    prefix = page.locator(MAIN).get_by_role(
        "textbox", name="Prefix (the text to continue)").input_value()
    text = _sample_text(page)
    sample_box = page.locator(MAIN).locator(".rnnviz-text").first
    sample_box.evaluate("el => { el.__kept = true; }")
    shown = _sampling_step_shown(page)
    # One index, the notes' t (inputs read): the first draw comes from ŷ<len(prefix)>.
    t = len(prefix)
    assert shown["slider"] == t and shown["outlined"] == 1
    page.locator(MAIN).locator("input[type='range'][aria-label^='Step t']").focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
        wait_for_app(page)
    wait_for_charts(page)
    shown = _sampling_step_shown(page)
    assert shown["slider"] == t + 3 and shown["outlined"] == 1
    drawn = text[len(prefix) + 3]                       # the 4th sampled character: x<t+4>
    assert shown["title"].startswith(f"drawn from ŷ<{t + 3}>: {visible_char(drawn)!r}, P = ")
    assert f"ŷ<{t + 3}>:" in shown["topk"]
    assert f"a<{t + 3}>" in shown["hidden"]
    assert metric(page, f"x<{t + 4}> drawn") == visible_char(drawn)
    assert sample_box.evaluate("el => el.__kept === true")    # not redrawn: a fragment rerun
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []


def _vanishing_norms_from_core(
    text: str, T: int, n_a: int, rho: float, forget_bias: float, seed: int
) -> dict[str, np.ndarray]:
    """||∂L/∂a<t>|| for t = 1..T with the loss (cross-entropy) at T only, for a random RNN, GRU
    and LSTM with the Vanishing page's init: orthogonal recurrent blocks of spectral radius
    rho, the same seed for all three, float64. The input is `text` repeated to T characters
    and the target is the character that follows."""
    import_ui()
    from rnnviz.models import random_vocab

    vocab = random_vocab()
    ids = [int(i) for i in vocab.encode(text)]
    stream = (ids * (T // len(ids) + 2))[: T + 1]
    x = vocab.one_hot(np.array(stream[:T]), dtype=np.float64)
    init = InitConfig(scheme="orthogonal", spectral_radius=rho, forget_bias=forget_bias)
    norms = {}
    for cell in ("rnn", "gru", "lstm"):
        cfg = RNNConfig(cell=cell, n_x=len(vocab), n_a=n_a, n_y=len(vocab), dtype="float64")
        model = Model.init(cfg, rng=np.random.default_rng(seed), init=init)
        _, _, btrace = model.backward(model.forward(x), np.array([stream[T]]), at="last")
        norms[cell.upper()] = np.asarray(btrace.grad_norm, dtype=np.float64)
    return norms


def test_vanishing_chart_orders_the_three_cells_as_the_core_does(
    open_app_warm, app_menu, wait_for_app
):
    page = open_app_warm(app_menu["Vanishing gradients"])
    wait_for_charts(page)
    # The page opens on the trained char LMs when they ship; compare random weights, which
    # this test can rebuild from the page's settings.
    if not radio_value(page, "Weights").startswith("random"):
        choose_radio(page, "Weights", "random (same init for all three)", wait_for_app)
        wait_for_charts(page)
    chart = chart_by_key(page, "vanishing.chart")
    assert chart["yaxis_type"] == "log"
    curves = {
        t["name"]: np.array([np.nan if v is None else v for v in t["y"]], dtype=np.float64)
        for t in chart["traces"]
        if t["name"] in ("RNN", "GRU", "LSTM")
    }
    assert sorted(curves) == ["GRU", "LSTM", "RNN"], [t["name"] for t in chart["traces"]]

    # The page's defaults, read from its widgets (random weights, loss at the last step).
    assert radio_value(page, "Weights").startswith("random")
    assert radio_value(page, "Measure").startswith("||∂L/∂a<t>||")
    T = int(slider_value(page, "Sequence length T_x"))
    expected = _vanishing_norms_from_core(
        sentence_box(page).input_value(),
        T=T,
        n_a=int(slider_value(page, "n_a (hidden units)")),
        rho=slider_value(page, "Spectral radius"),
        forget_bias=slider_value(page, "LSTM forget-gate bias"),
        seed=0,  # the sidebar's seed (its default; a shipped model's spec has seed 0 too)
    )
    for name, norms in curves.items():
        assert norms.shape == (T,), name
        np.testing.assert_allclose(norms, expected[name], rtol=1e-6, err_msg=name)
    # The order of the three curves far back in time (and halfway) is the core's order.
    for t in (1, T // 2):
        shown = sorted(curves, key=lambda n: curves[n][t - 1])
        assert shown == sorted(expected, key=lambda n: expected[n][t - 1]), t
    # The summary numbers: the reach after which the norm stays below 1e-3 of its value at
    # T_x (a one-off dip does not count), as the core computes it.
    from rnnviz.core.analysis import vanishing_reach

    for name, norms in expected.items():
        k = vanishing_reach(norms)
        want = "never" if k is None else f"{k} steps back"
        assert metric(page, name) == want, name          # under "stays below 10⁻³ from …"
    expect(page.locator(EXCEPTION)).to_have_count(0)
    assert page.console_errors == []
