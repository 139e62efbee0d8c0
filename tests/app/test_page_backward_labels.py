"""AppTest: the Backward page's loss on a tagger or classifier uses the true labels the
visitor chooses (issue 19 §3), defaulting to the model's second choice; a language model's
true next tokens stay the text. Expected numbers come from `ModelInUse.backward` with the
same labels."""

from __future__ import annotations

import numpy as np
import pytest
from _page_support import chart, tables
from test_upload_panel import _run_page
from test_your_model_pages import _model

from rnnviz.core.analysis import global_norm
from rnnviz.gradients import with_targets
from rnnviz_app.notes import BACKWARD
from rnnviz_app.state import DEFAULT_SENTENCE


def metric(at, label) -> str:
    return next(m.value for m in at.metric if m.label == label)


def expected(model, labels):
    reading = model.read(DEFAULT_SENTENCE, for_loss=True)
    return model.backward(with_targets(model, reading, labels, ""), at="all")


def test_a_classifiers_loss_uses_the_label_chosen(monkeypatch):
    model = _model("classifier")
    at, _ = _run_page(monkeypatch, model, "backward")
    assert not at.exception, [e.value for e in at.exception]
    p = model.predict(DEFAULT_SENTENCE)
    second = int(np.argsort(-p)[1])
    box = at.selectbox(key="backward.label_y")
    assert box.value == second                          # default: the model's second choice
    T = len(DEFAULT_SENTENCE)
    labels = np.r_[np.full(T - 1, -1), second]
    assert metric(at, "Loss L") == f"{-np.log(p[second]):.4f}"
    norm = global_norm(expected(model, labels).grads)
    assert metric(at, "||∂L/∂W|| (all parameters)") == f"{norm:.4g}"
    assert any("you choose it" in c.value for c in at.caption)
    for k in range(3):
        at.selectbox(key="backward.label_y").set_value(k).run()
        assert not at.exception
        labels[-1] = k
        res = expected(model, labels)
        assert metric(at, "Loss L") == f"{-np.log(p[k]):.4f}" == f"{res.loss:.4f}"
        assert metric(at, "||∂L/∂W|| (all parameters)") == f"{global_norm(res.grads):.4g}"
        bars = chart(at, "backward.loss_chart")["data"][0]
        assert float(bars["y"][-1]) == pytest.approx(-np.log(p[k]), rel=1e-4)
        assert model.output_labels[k] in bars["customdata"][-1]
    # the gradient check runs on the chosen label's loss
    assert set(tables(at)[0]["check"]) <= {"ok", "ok (tiny)", "ok (rounding)"}


def test_a_tagger_gets_a_label_per_token(monkeypatch):
    model = _model("tagger")
    at, _ = _run_page(monkeypatch, model, "backward")
    assert not at.exception, [e.value for e in at.exception]
    P = model.predict(DEFAULT_SENTENCE).T                      # (n_y, T_x)
    labels = np.argsort(-P, axis=0)[1]
    res = expected(model, labels)
    assert metric(at, "Loss L") == f"{res.loss:.4f}"
    np.testing.assert_allclose(chart(at, "backward.loss_chart")["data"][0]["y"],
                               -np.log(P[labels, np.arange(len(labels))]), rtol=1e-4)
    # relabel step 3, then step 5: both stay (step 3's label is kept when step 5 is chosen)
    for t in (3, 5):
        at.selectbox(key="backward.label_t").set_value(t).run()
        assert at.selectbox(key="backward.label_y").value == labels[t - 1]
        k = int(np.argmax(P[:, t - 1]))                        # now the model's own tag
        at.selectbox(key="backward.label_y").set_value(k).run()
        assert not at.exception
        labels[t - 1] = k
        res = expected(model, labels)
        assert metric(at, "Loss L") == f"{res.loss:.4f}"
        assert metric(at, "||∂L/∂a<T_x>||") == f"{float(res.btrace.grad_norm[-1]):.4g}"
    np.testing.assert_allclose(chart(at, "backward.loss_chart")["data"][0]["y"],
                               -np.log(P[labels, np.arange(len(labels))]), rtol=1e-4)
    assert any("2 token(s) have a label you set" in c.value for c in at.caption)
    at.selectbox(key="backward.label_t").set_value(3).run()
    assert at.selectbox(key="backward.label_y").value == labels[2]


def test_a_language_models_targets_stay_the_text(monkeypatch):
    model = _model("lm")
    at, _ = _run_page(monkeypatch, model, "backward")
    assert not at.exception, [e.value for e in at.exception]
    assert not [s for s in at.selectbox if s.key in ("backward.label_y", "backward.label_t")]
    reading = model.read(DEFAULT_SENTENCE, for_loss=True)
    assert metric(at, "Loss L") == f"{model.backward(reading).loss:.4f}"


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_notes_use_the_notes_names_and_speak_of_this_cell_only(monkeypatch, cell):
    """Issue 23 item 6: the API's Wi is named W_u once (an LSTM's gradient check), the table
    uses the notes' names; the ∂L/∂W note speaks of this cell (and of torch's GRU only for
    one)."""
    from _page_support import all_text
    from test_backward_labels_support import imported

    model = imported(cell)
    at, _ = _run_page(monkeypatch, model, "backward")
    assert not at.exception, [e.value for e in at.exception]
    text = all_text(at)
    assert ("PyTorch's" in text) == (cell == "gru")
    notes = BACKWARD["dw"]
    assert notes["gru_torch" if cell == "gru" else cell] in text
    assert notes["gru"] not in text                  # the notes' GRU: not this model's
    params = set(tables(at)[0]["parameter"])
    assert not {p for p in params if p.startswith(("Wi", "Wf", "Wo", "Waa"))}
    if cell == "lstm":
        assert "W_u" in params and text.count("`Wi`") == 1
    else:
        assert "`Wi`" not in text
