"""AppTest: the sampling page generates reproducibly, browses steps, scores and compares."""

import html

import numpy as np
import pytest
from _page_support import HOSTILE, assert_no_raw_html, chart, chart_keys, open_page, tables, texts

import rnnviz
from rnnviz.figures.safe_text import char_labels, printable, visible_char

PAGE = "pages/sampling.py"
CHARTS = {"sampling.topk_chart", "sampling.hidden_chart", "sampling.score_chart",
          "sampling.compare_chart"}            # the sampled text is HTML (sample_text_html)


@pytest.fixture
def at(monkeypatch):
    at = open_page(monkeypatch, PAGE)
    assert not at.exception
    return at


def sampled(at) -> str:
    return texts(at)[0]


def generate(at):
    at.button(key="sampling.generate").click().run()
    assert not at.exception
    return sampled(at)


def test_default_render_shows_a_sample_and_every_chart(at):
    assert set(chart_keys(at)) == CHARTS
    text = sampled(at)
    assert text.startswith("Return the ")
    assert len(text) == len("Return the ") + 200
    # The page's sample is the model's own, for seed 0 and the default settings.
    direct = rnnviz.load_pretrained("char-lm-lstm").sample(
        "Return the ", length=200, temperature=0.7, top_k=None, rng=np.random.default_rng(0))
    assert text == direct.text


def test_same_seed_same_text_new_seed_new_text(at):
    first = sampled(at)
    assert generate(at) == first
    at.number_input(key="sampling.seed").set_value(1).run()
    assert sampled(at) == first                       # nothing happens until Generate
    assert any("press **Generate**" in c.value for c in at.caption)
    second = generate(at)
    assert second != first
    at.number_input(key="sampling.seed").set_value(0).run()
    assert generate(at) == first
    at.button(key="sampling.new_seed").click().run()
    assert not at.exception
    assert at.number_input(key="sampling.seed").value == 1
    assert sampled(at) == second


def test_step_slider_browses_the_sample(at):
    # One index on the view, the notes' t: after the 11-character prefix "Return the " the
    # slider starts at t = 11 (ŷ<11> draws x<12>), and t = 15 has read x<1..15>.
    slider = at.slider(key="sampling.step")
    assert (slider.min, slider.max, slider.value) == (11, 11 + 200 - 1, 11)
    assert slider.label.startswith("Step t: inputs read")
    slider.set_value(15).run()
    assert not at.exception
    topk = chart(at, "sampling.topk_chart")
    assert topk["layout"]["title"]["text"].startswith("ŷ<15>:")
    metrics = [m.label for m in at.metric]
    assert "x\\<16\\> drawn" in metrics and "its P in ŷ\\<15\\> (model)" in metrics
    assert "entropy of ŷ\\<15\\> (bits)" in metrics
    # The red bar is the drawn character; the page's sample says which one it is.
    drawn = sampled(at)[len("Return the ") + 4]
    colors = topk["data"][1]["marker"]["color"]
    ticks = topk["layout"]["xaxis"]["ticktext"]
    red = [t for t, c in zip(ticks, colors, strict=True) if c == "#d62728"]
    assert len(red) == 1
    assert red[0] == char_labels([drawn])[0]
    # The sampling distribution sums to at most 1 over the bars shown.
    assert 0 < float(np.sum(topk["data"][1]["y"])) <= 1 + 1e-5
    # The painted text outlines the same character, drawn from ŷ<15>.
    painted = [m.value for m in at.markdown if "aria-current" in m.value]
    assert len(painted) == 1
    current = painted[0].split("aria-current='step'")[0].rsplit("<span title='", 1)[1]
    assert html.unescape(current).startswith(f"drawn from ŷ<15>: {visible_char(drawn)!r}, P = ")
    hidden = chart(at, "sampling.hidden_chart")
    A = hidden["data"][0]["z"]
    assert A.shape == (min(32, rnnviz.load_pretrained("char-lm-lstm").model.config.n_a), 200)
    np.testing.assert_array_equal(hidden["data"][1]["x"], A[:, 4])
    # The heatmap's columns are t = 11..210; its frame and the bars' title say t = 15.
    assert hidden["data"][0]["x"][0] == 11 and hidden["data"][0]["x"][4] == 15
    assert hidden["layout"]["shapes"][0]["x0"] == 14.5
    assert hidden["layout"]["annotations"][1]["text"] == "a<15>"


def test_every_setting(at):
    for key, value in (("sampling.temperature", 1.2), ("sampling.top_k", 5),
                       ("sampling.length", 30)):
        at.slider(key=key).set_value(value).run()
        assert not at.exception
    at.text_input(key="sampling.prefix").input("def ").run()
    for model in ("char-lm-rnn", "char-lm-gru", "char-lm-lstm"):
        at.radio(key="sampling.model").set_value(model).run()
        text = generate(at)
        assert text.startswith("def ") and len(text) == 4 + 30
        direct = rnnviz.load_pretrained(model).sample(
            "def ", length=30, temperature=1.2, top_k=5, rng=np.random.default_rng(0))
        assert text == direct.text
        # top-k = 5: the top-k chart shows at most 5 candidates with non-zero probability.
        y = chart(at, "sampling.topk_chart")["data"][1]["y"]
        assert np.count_nonzero(y) <= 5


@pytest.mark.parametrize("temperature, top_k, expect", [
    (0.0, 0, "info"), (0.1, 0, "info"), (2.0, 0, "warning"), (0.7, 1, "info"),
])
def test_extreme_settings_warn_and_still_draw(at, temperature, top_k, expect):
    at.slider(key="sampling.temperature").set_value(temperature).run()
    at.slider(key="sampling.top_k").set_value(top_k).run()
    generate(at)
    box = at.info if expect == "info" else at.warning
    assert any("greedy" in b.value.lower() or "uniform" in b.value for b in box)
    y = chart(at, "sampling.topk_chart")["data"][1]["y"]
    assert np.all(np.isfinite(y))
    if temperature == 0 or top_k == 1:
        assert y[0] == pytest.approx(1.0)                    # greedy: all mass on one


@pytest.mark.parametrize("length", [1, 400])
def test_length_extremes(at, length):
    at.slider(key="sampling.length").set_value(length).run()
    text = generate(at)
    assert len(text) == len("Return the ") + length
    assert "sampling.topk_chart" in chart_keys(at)


def test_the_preferred_sentence_is_the_one_with_the_higher_log_prob(at):
    lm = rnnviz.load_pretrained("char-lm-lstm")
    a, b = "The apple and pair salad", "The apple and pear salad"
    la, lb = lm.score(a)["log_prob"], lm.score(b)["log_prob"]
    winner = "A" if la > lb else "B"
    verdict = at.success[0].value
    assert f"prefers **sentence {winner}**" in verdict
    assert f"{abs(la - lb):.2f} nats" in verdict
    table = tables(at)[0].set_index("model")
    # Headers short enough for a 1024 px column: the architecture names the model.
    assert list(table.index) == ["RNN", "GRU", "LSTM"]
    assert list(table.columns) == ["log P(A)", "log P(B)", "bits/char A", "bits/char B",
                                   "prefers", "ratio"]
    row = table.loc["LSTM"]
    assert row["log P(A)"] == pytest.approx(la) and row["log P(B)"] == pytest.approx(lb)
    assert row["prefers"] == winner
    # The chart marks the two positions where "pair" and "pear" differ.
    shapes = chart(at, "sampling.compare_chart")["layout"]["shapes"]
    assert sorted(s["x0"] for s in shapes) == [15.5, 16.5]


def test_swapping_the_sentences_swaps_the_verdict(at):
    at.text_input(key="sampling.compare_a").input("The apple and pear salad").run()
    at.text_input(key="sampling.compare_b").input("The apple and pair salad").run()
    assert not at.exception
    lm = rnnviz.load_pretrained("char-lm-lstm")
    la = lm.score("The apple and pear salad")["log_prob"]
    lb = lm.score("The apple and pair salad")["log_prob"]
    assert f"prefers **sentence {'A' if la > lb else 'B'}**" in at.success[0].value


def test_score_of_the_sidebar_sentence(at):
    at.session_state["sidebar.sentence"] = "Return the value."
    at.run()
    lp = rnnviz.load_pretrained("char-lm-lstm").score("Return the value.")["log_prob"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["log P(sentence)"] == f"{lp:.2f} nats"
    bars = chart(at, "sampling.score_chart")["data"][1]["y"]
    assert float(np.sum(bars)) == pytest.approx(lp, rel=1e-4)


@pytest.mark.parametrize("kind", list(HOSTILE))
@pytest.mark.parametrize("key", ["sampling.prefix", "sampling.compare_a", "sampling.compare_b"])
def test_hostile_input(at, key, kind):
    text = HOSTILE[kind]
    at.text_input(key=key).input(text).run()
    if key == "sampling.prefix":
        generate(at)
        assert sampled(at).startswith(printable(text[:300]))
    assert not at.exception
    assert_no_raw_html(at, text)
    if kind == "huge":
        assert any("only the first 300" in w.value for w in at.warning)
    if kind == "empty" and key != "sampling.prefix":
        assert any("is empty" in i.value for i in at.info)
        assert "sampling.compare_chart" not in chart_keys(at)


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_sidebar_sentence(at, kind):
    at.session_state["sidebar.sentence"] = HOSTILE[kind]
    at.run()
    assert not at.exception
    assert_no_raw_html(at, HOSTILE[kind])
    assert ("sampling.score_chart" in chart_keys(at)) == (kind != "empty")


def test_after_the_warm_up_the_first_visit_samples_and_scores_nothing(monkeypatch):
    """The sample and the pair read no sidebar sentence: the server's warm-up
    (`sampling_view.warm_first_visit`) builds them at the page's defaults, and the page's
    first run then samples nothing, builds no step figure and scores only the sidebar's
    sentence (under the sample's LM); another seed is sampled."""
    from pathlib import Path

    from _page_support import warm_server
    from streamlit.testing.v1 import AppTest

    from rnnviz.figures import sampling as figs
    from rnnviz.models import inuse
    from rnnviz_app.state import DEFAULT_SENTENCE

    warm_server(monkeypatch)
    done = []
    real_steps = figs.step_figures
    monkeypatch.setattr(figs, "step_figures", lambda *a, **k: done.append("step_figures")
                        or real_steps(*a, **k))
    for name in ("sample", "score"):
        real_m = getattr(inuse.LanguageModel, name)
        monkeypatch.setattr(inuse.LanguageModel, name, lambda self, *a, _n=name, _r=real_m, **k:
                            done.append((_n, self.name, *a[:1])) or _r(self, *a, **k))
    at = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=120)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert done == [("score", "char-lm-lstm", DEFAULT_SENTENCE)]
    at.number_input(key="sampling.seed").set_value(5).run()
    at.button(key="sampling.generate").click().run()
    assert not at.exception
    assert ("sample", "char-lm-lstm", "Return the ") in done and "step_figures" in done
