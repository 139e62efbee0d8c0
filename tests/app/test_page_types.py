"""AppTest: the types-of-RNNs page draws the four architectures with live model outputs."""

import numpy as np
import pytest
from _page_support import HOSTILE, assert_no_raw_html, chart, chart_keys, open_page, texts

import rnnviz

PAGE = "pages/types.py"
CHARTS = {"types.many_to_many", "types.tagger_probs", "types.many_to_one", "types.stars",
          "types.running_stars", "types.one_to_many", "types.encoder_decoder"}
TEXT_KEYS = ("types.tagger_text", "types.review_text", "types.lm_start")


@pytest.fixture
def at(monkeypatch):
    at = open_page(monkeypatch, PAGE)
    assert not at.exception
    return at


def annotations(spec) -> list[str]:
    return [a.get("text", "") for a in spec["layout"].get("annotations", [])]


def test_default_render(at):
    assert set(chart_keys(at)) == CHARTS
    tagger = rnnviz.load_pretrained("ner-bilstm")
    pairs = tagger.tag("Yesterday, Harry Potter met Hermione Granger.")
    # The diagram labels each output with the tagger's P(name) (8 columns: compressed).
    texts = annotations(chart(at, "types.many_to_many"))
    for _, p in pairs[:5]:
        assert f"{p:.2f}" in texts
    bars = chart(at, "types.tagger_probs")["data"][0]["y"]
    np.testing.assert_allclose(bars, [p for _, p in pairs], rtol=1e-6, atol=1e-7)


def test_many_to_one_shows_the_classifier_output(at):
    clf = rnnviz.load_pretrained("sentiment-lstm")
    probs = clf.predict("There is nothing to like in this movie.")
    stars = chart(at, "types.stars")["data"][0]
    np.testing.assert_allclose(stars["y"], probs, rtol=1e-6, atol=1e-7)
    red = [i for i, c in enumerate(stars["marker"]["color"]) if c == "#d62728"]
    assert red == [int(np.argmax(probs))]
    # Exactly one output in the many-to-one diagram: the rating, after the last word.
    k = int(np.argmax(probs))
    texts = annotations(chart(at, "types.many_to_one"))
    assert sum(t.startswith(clf.labels[k]) for t in texts) == 1
    running = chart(at, "types.running_stars")["data"][0]["z"]
    np.testing.assert_allclose(running[:, -1], probs, rtol=1e-5, atol=1e-6)


def test_every_widget(at):
    at.text_input(key="types.tagger_text").input("He said, Teddy Roosevelt was great.").run()
    assert not at.exception
    assert len(chart(at, "types.tagger_probs")["data"][0]["y"]) == 8
    at.text_input(key="types.review_text").input("Great cast but a boring story.").run()
    assert not at.exception
    assert chart(at, "types.running_stars")["data"][0]["z"].shape[1] == 7
    first = texts(at)[0]
    at.number_input(key="types.lm_seed").set_value(3).run()
    assert not at.exception
    assert texts(at)[0] != first
    at.number_input(key="types.lm_seed").set_value(0).run()
    assert texts(at)[0] == first                  # same seed, same text
    for model in ("char-lm-rnn", "char-lm-gru"):
        at.radio(key="types.lm_model").set_value(model).run()
        assert not at.exception
        direct = rnnviz.load_pretrained(model).sample(
            "", length=40, temperature=0.7, rng=np.random.default_rng(0))
        assert texts(at)[0] == direct.text
    at.text_input(key="types.lm_start").input("The").run()
    assert not at.exception
    assert texts(at)[0].startswith("The")


@pytest.mark.parametrize("kind", list(HOSTILE))
@pytest.mark.parametrize("key", TEXT_KEYS)
def test_hostile_input(at, key, kind):
    text = HOSTILE[kind]
    at.text_input(key=key).input(text).run()
    assert not at.exception
    assert_no_raw_html(at, text)
    for k in chart_keys(at):                             # labels are escaped in every chart
        spec = chart(at, k)
        assert "<img" not in str(spec) and "<script" not in str(spec)
    if kind == "huge":
        assert any("only the first 300" in w.value for w in at.warning)
    if kind == "empty" and key != "types.lm_start":
        assert any("Type a" in i.value for i in at.info)
    if key == "types.lm_start":
        assert "types.one_to_many" in chart_keys(at)


def test_a_tagger_says_which_words_it_has_never_seen(at):
    """Learner's report: "which" was tagged as a name with P = 0.95 and no hint that it is
    outside the tagger's vocabulary (read as <UNK>)."""
    import rnnviz

    text = "The cats, which already ate a lot, were full."
    at.text_input(key="types.tagger_text").input(text).run()
    tagger = rnnviz.load_pretrained("ner-bilstm")
    steps = tagger.steps(text)
    unknown = sorted({w for w, u in zip(steps.labels, steps.unk, strict=True) if u})
    notes = [c.value for c in at.caption if "Outside the model's vocabulary" in c.value]
    if unknown:
        assert len(notes) >= 1 and all(w in notes[0] for w in unknown), (unknown, notes)
    else:
        assert not notes
    # A sentence of known words gets no such note.
    known = " ".join(w for w, u in zip(steps.labels, steps.unk, strict=True) if not u)
    at.text_input(key="types.tagger_text").input(known).run()
    assert not [c for c in at.caption if "Outside the model's vocabulary" in c.value]


def test_the_page_says_which_models_it_uses(at):
    assert any("whatever the sidebar's model" in c.value for c in at.caption)


def test_after_the_warm_up_the_first_visit_builds_nothing(monkeypatch):
    """The page reads no sidebar sentence: the server's warm-up (`types_view.warm_first_visit`)
    builds its first visit at its defaults, and the page's first run then reads no model,
    samples nothing and draws no diagram; a text the warm-up did not see is read."""
    from pathlib import Path

    from _page_support import warm_server
    from streamlit.testing.v1 import AppTest

    from rnnviz.figures import types as figs
    from rnnviz.models import inuse

    warm_server(monkeypatch)
    built = []
    real = figs.fig_architecture
    monkeypatch.setattr(figs, "fig_architecture",
                        lambda *a, **k: built.append(a[0]) or real(*a, **k))
    for cls, name in ((inuse.ModelInUse, "read"), (inuse.LanguageModel, "sample")):
        real_m = getattr(cls, name)
        monkeypatch.setattr(cls, name, lambda self, *a, _n=name, _r=real_m, **k:
                            built.append(_n) or _r(self, *a, **k))
    at = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=120)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert set(chart_keys(at)) == CHARTS
    assert built == []
    at.text_input(key="types.review_text").input("Great cast but a boring story.").run()
    assert not at.exception
    assert "read" in built and "many_to_one" in built
