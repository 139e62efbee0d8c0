"""AppTest (issue 19 §3): every page that reads the sidebar's model, on a session model of
each task (a language model, a tagger and a classifier; stacked, bidirectional, torch's GRU),
keeps that model chosen, raises nothing, shows no error and draws what it reads from it."""

from __future__ import annotations

import pytest
from _page_support import chart_keys
from test_upload_panel import _imported, _run_page

from rnnviz_app.state import KEY_MODEL

MODELS = ("lstm3-lm", "gru2bi-tagger", "rnn2bi-classifier")
# Every page of the menu that reads the sidebar's model (Training trains its own; Sampling
# samples the language models: a session LM among them; About has no model).
PAGES = ("activations", "forward", "backward", "bidirectional", "vanishing", "types",
         "units", "whatif", "dynamics")


@pytest.mark.parametrize("page_name", PAGES)
@pytest.mark.parametrize("case", MODELS)
def test_every_page_reads_a_session_model_of_each_task(monkeypatch, case, page_name):
    model = _imported(case)
    at, name = _run_page(monkeypatch, model, page_name)
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[KEY_MODEL] == name                  # still the visitor's model
    assert not [e.value for e in at.error], [e.value for e in at.error]
    assert chart_keys(at), f"{page_name} drew no chart for {case}"


def test_sampling_samples_a_session_language_model(monkeypatch):
    model = _imported("lstm3-lm")
    at, name = _run_page(monkeypatch, model, "sampling")
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="sampling.model").value == name         # the sidebar's LM, sampled
    assert chart_keys(at)
