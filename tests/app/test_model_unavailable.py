"""A model that cannot be loaded is an error the page shows, never random weights in disguise.

The loader raises for one shipped model; choosing it shows an error naming the model and the
cause, the sidebar goes back to the last choice that loaded, and the page draws that model.
A session model that is gone (another session's name in a link or state) says so likewise.
"""

from __future__ import annotations

import streamlit as st
from _page_support import APP, all_text, build, charts, install, open_page
from streamlit.testing.v1 import AppTest

import rnnviz
from rnnviz_app.loaders import ModelUnavailable, get_model
from rnnviz_app.state import KEY_MODEL

BROKEN = "char-lm-gru"


def _break_one(monkeypatch):
    """Serve stand-ins, except that loading BROKEN raises."""
    install(monkeypatch)
    good = rnnviz.load_pretrained

    def load(name):
        if name == BROKEN:
            raise OSError("checkpoint char-lm-gru.npz is truncated (disk full?)")
        return good(name)

    monkeypatch.setattr(rnnviz, "load_pretrained", load)


def test_a_model_that_fails_to_load_is_named_with_its_cause(monkeypatch):
    _break_one(monkeypatch)
    at = open_page(monkeypatch, "pages/activations.py", stand_ins=False)
    assert not at.exception, at.exception
    before = at.selectbox(key=KEY_MODEL).value
    assert before == "char-lm-lstm"
    drawn_before = len(charts(at))
    assert drawn_before > 0

    at.selectbox(key=KEY_MODEL).set_value(BROKEN).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any(BROKEN in e and "truncated (disk full?)" in e for e in errors), errors
    # The sidebar keeps the last good choice, and the page shows that model, not random weights.
    assert at.selectbox(key=KEY_MODEL).value == before
    assert "random" not in at.selectbox(key=KEY_MODEL).value
    assert len(charts(at)) == drawn_before
    assert "n_a = 16" in all_text(at)           # the stand-in LSTM's caption (n_a = 16)

    # Next run: the error is gone, the choice stays.
    at.run()
    assert not at.error
    assert at.selectbox(key=KEY_MODEL).value == before


def test_get_model_raises_instead_of_substituting(monkeypatch):
    _break_one(monkeypatch)
    st.cache_resource.clear()
    try:
        get_model(rnnviz.ModelSpec(BROKEN))
    except ModelUnavailable as exc:
        assert exc.name == BROKEN and "truncated" in exc.cause
    else:
        raise AssertionError("get_model returned a model for a checkpoint that cannot load")
    assert get_model(rnnviz.ModelSpec("char-lm-lstm")).card.get("stand_in") is True
    assert build("char-lm-lstm").config.n_a == 16


def test_a_session_name_this_session_does_not_have_opens_the_default(monkeypatch):
    install(monkeypatch)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state[KEY_MODEL] = "session:0123456789abcdef01234567"
    at.run()
    assert not at.exception, at.exception
    # Not one of this session's choices: the picker shows the default model, and says nothing
    # is wrong only because the name was never offered (it is not in the options).
    assert at.selectbox(key=KEY_MODEL).value == "char-lm-lstm"
