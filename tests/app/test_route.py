"""One route from text to trace in the app: each (model, text) is read once, and the
pages share that reading (rnnviz_app.loaders)."""

import pytest
from _frame_support import set_sentence, switch_model
from _page_support import open_page

from rnnviz.core.model import Model


@pytest.fixture
def forwards(monkeypatch):
    """Every Model.forward call of a network in float32 (the shipped models' dtype; the
    gradient check runs its finite differences on a float64 copy): its input's T_x."""
    calls = []
    original = Model.forward

    def counted(self, x, *args, **kwargs):
        if self.config.dtype == "float32":
            calls.append(x.shape[2])
        return original(self, x, *args, **kwargs)

    monkeypatch.setattr(Model, "forward", counted)
    return calls


def test_a_tagger_reads_the_sentence_once_for_every_page_that_shows_it(monkeypatch, forwards):
    at = open_page(monkeypatch, "pages/activations.py")
    switch_model(at, "ner-lstm")
    forwards.clear()
    set_sentence(at, "He said Teddy Roosevelt was great")
    assert not at.exception
    reads = [t for t in forwards if t == 6]
    assert len(reads) == 1, forwards            # targets and trace from one forward pass
    # The forward page and the backward page reuse that reading: no new forward of 6 steps.
    at.switch_page("pages/forward.py").run()
    at.switch_page("pages/backward.py").run()
    assert not at.exception
    assert [t for t in forwards if t == 6] == [6], forwards
