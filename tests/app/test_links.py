"""Shareable links: the URL carries the sidebar's model and sentence (?model=…&text=…)."""

from pathlib import Path

from _page_support import tables
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _open(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_link_opens_the_same_model_and_sentence():
    at = _open(model="char-lm-gru", text="Teddy bears are on sale.")
    assert at.session_state["sidebar.model"] == "char-lm-gru"
    assert at.text_area(key="sidebar.sentence").value == "Teddy bears are on sale."
    assert list(tables(at)[0]["token"])[:5] == ["T", "e", "d", "d", "y"]
    assert not at.warning


def test_a_random_model_link_carries_its_settings():
    at = _open(model="random", cell="gru", n_a="12", seed="7", bidirectional="true",
               init_scale="0.5", text="abc")
    ss = at.session_state
    assert (ss["sidebar.cell"], ss["sidebar.n_a"], ss["sidebar.seed"]) == ("gru", 12, 7)
    assert ss["sidebar.bidirectional"] is True and ss["sidebar.init_scale"] == 0.5


def test_bad_or_oversized_values_fall_back_to_the_defaults_with_a_notice():
    at = _open(model="no-such-model", text="x" * 301)
    assert at.session_state["sidebar.model"] == "char-lm-lstm"
    assert at.text_area(key="sidebar.sentence").value.startswith("Return the number")
    notice = " ".join(w.value for w in at.warning)
    assert "model is not one this app has" in notice and "longer than 300" in notice
    at = _open(model="random", n_a="100000", seed="minus one")
    assert at.session_state["sidebar.n_a"] == 32
    assert "out of range" in " ".join(w.value for w in at.warning)


def test_the_address_follows_the_sidebar():
    at = _open()
    assert at.query_params["model"] == "char-lm-lstm"
    at.text_area(key="sidebar.sentence").input("Hello there.").run()
    assert at.query_params["text"] == "Hello there."
    at.selectbox(key="sidebar.model").set_value("random").run()
    assert at.query_params["model"] == "random" and at.query_params["cell"] == "lstm"
