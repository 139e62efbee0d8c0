"""AppTest: the Backward page on a stacked model (the layer picker) and on an imported
bidirectional classifier whose head reads torch's h_n = [a→<T_x>; a←<1>].

The expected numbers come from the package (`Model.backward`, `BackwardTrace.layer`) or, for
the h_n loss, from the trace's states with the head written out here in float64."""

from __future__ import annotations

import numpy as np
import pytest
from _page_support import all_text, chart, tables
from test_upload_panel import CHARS, _run_page

import rnnviz
from rnnviz.core.torch_layout import to_torch
from rnnviz_app.notes import READOUT_H_N
from rnnviz_app.state import DEFAULT_SENTENCE


def metric(at, label) -> str:
    return next(m.value for m in at.metric if m.label == label)


def imported(cell, layers, bidirectional, task, seed=0):
    """A torch-layout state_dict written by the core's exporter, imported as users import."""
    n_y = len(CHARS) if task == "lm" else 3
    cfg = rnnviz.RNNConfig(cell=cell, n_x=len(CHARS), n_a=7, n_y=n_y, layers=layers,
                           bidirectional=bidirectional,
                           variant="torch" if cell == "gru" else "course")
    net = rnnviz.Model.init(cfg, rng=np.random.default_rng(seed))
    sd = to_torch(cfg, net.params, prefix="rnn.", head="fc.")
    sd["fc.weight"] *= 4                      # a head that cares which states it reads
    return rnnviz.import_torch(sd, vocab=CHARS, task=task, name=f"{cell}{layers}-{task}",
                               labels=None if task == "lm" else ["x", "y", "z"])


def h_n_head(model, text):
    """(ŷ<T_x> from h_n, ŷ<T_x> from [a→<T_x>; a←<T_x>]) in float64 from the trace's states."""
    tr = model.trace(text)
    W = model.model.params["Wy"].astype(np.float64)
    b = model.model.params["by"][:, 0].astype(np.float64)
    fwd, bwd = tr["a_fwd"][:, 0, :].astype(np.float64), tr["a_bwd"][:, 0, :].astype(np.float64)

    def softmax(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    return (softmax(W @ np.concatenate([fwd[:, -1], bwd[:, 0]]) + b),
            softmax(W @ np.concatenate([fwd[:, -1], bwd[:, -1]]) + b))


def test_an_imported_bidirectional_classifier_shows_the_h_n_loss(monkeypatch):
    model = imported("lstm", 2, True, "classifier")
    at, _ = _run_page(monkeypatch, model, "backward")
    assert not at.exception, [e.value for e in at.exception]
    p, p_step = h_n_head(model, DEFAULT_SENTENCE)
    y = int(np.argsort(-p)[1])              # the default true label: the model's second class
    assert metric(at, "Loss L") == f"{-np.log(p[y]):.4f}"
    assert f"{-np.log(p_step[y]):.4f}" != f"{-np.log(p[y]):.4f}"    # the readouts differ here
    loss_bars = chart(at, "backward.loss_chart")["data"][0]["y"]
    assert float(loss_bars[-1]) == pytest.approx(-np.log(p[y]), rel=1e-4)
    # no warning any more; one line says what ŷ<t> means, the loss note names h_n
    assert not at.warning
    assert READOUT_H_N in [c.value for c in at.caption]
    assert "reads h_n = [a→" in all_text(at)
    # the loss enters a← at t = 1: its "from ŷ" part is W_y←ᵀ(ŷ<T_x> − y)
    at.radio(key="backward.direction").set_value("bwd").run()
    at.slider(key="backward.t").set_value(1).run()
    assert not at.exception
    g = p.copy()
    g[y] -= 1
    from_y = model.model.params["Wy"][:, 7:].astype(np.float64).T @ g
    assert float(metric(at, "… from ŷ<T_x>")) == pytest.approx(np.linalg.norm(from_y), rel=1e-3)
    assert metric(at, "… from step 0") == "0"             # a←<1> is its sweep's last step
    # the gradient check of the page passes on this readout
    table = tables(at)[0]
    assert set(table["check"]) <= {"ok", "ok (tiny)", "ok (rounding)"}


def test_the_layer_picker_shows_a_lower_layers_gradients(monkeypatch):
    model = imported("lstm", 2, False, "lm", seed=1)
    at, _ = _run_page(monkeypatch, model, "backward")
    assert not at.exception, [e.value for e in at.exception]
    picker = at.radio(key="backward.layer")
    assert picker.options == ["1", "2 (top)"] and picker.value == 2
    res = model.backward(model.read(DEFAULT_SENTENCE, for_loss=True))
    T = res.steps.T_x
    lower, top = res.btrace.layer(1), res.btrace.layer(2)
    assert metric(at, f"||∂L/∂a^[2]<{T}>||") == f"{np.linalg.norm(top['da'][:, 0, -1]):.4g}"

    at.radio(key="backward.layer").set_value(1).run()
    assert not at.exception
    t = T - 2
    at.slider(key="backward.t").set_value(t).run()
    da = lower["da"][:, 0, t - 1].astype(np.float64)
    assert metric(at, f"||∂L/∂a^[1]<{t}>||") == f"{np.linalg.norm(da):.4g}"
    assert metric(at, f"||∂L/∂c^[1]<{t}>||") == (
        f"{np.linalg.norm(lower['dc'][:, 0, t - 1]):.4g}")
    assert not np.isclose(np.linalg.norm(da), np.linalg.norm(top["da"][:, 0, t - 1]))
    # the part from layer 2 and the part from step t+1 add up to ∂L/∂a^[1]<t>
    above = res.btrace.layer_rows[1]["dx"][t - 1, 0].astype(np.float64)
    assert float(metric(at, "… from layer 2")) == pytest.approx(np.linalg.norm(above), rel=1e-3)
    assert float(metric(at, f"… from step {t + 1}")) == pytest.approx(
        np.linalg.norm(da - above), rel=1e-3)
    # the heatmaps are layer 1's, in a^[1] notation
    s = chart(at, "backward.bptt")
    heat = [d for d in s["data"] if d["type"] == "heatmap"]
    np.testing.assert_allclose(heat[0]["z"], lower["da"][:, 0, :], rtol=1e-5, atol=1e-9)
    assert "layer 1: a^[1]" in s["layout"]["title"]["text"]
    assert "a^[1]" in chart(at, "backward.norm")["layout"]["title"]["text"]
    np.testing.assert_allclose(chart(at, "backward.norm")["data"][0]["y"], lower.grad_norm,
                               rtol=1e-5)
    assert any(r"\partial a^{[1]<t>}" in m.value and "from layer 2" in m.value
               for m in at.markdown)
    # section 3: layer 1's weights; the running sum reaches ||∂L/∂W_f^[1]||
    dw = chart(at, "backward.dw")["data"]
    cumulative = next(d for d in dw if d["type"] == "scatter" and "W_f" in d["name"])
    assert float(cumulative["y"][0]) == pytest.approx(np.linalg.norm(res.grads["Wf"]), rel=1e-4)


def test_a_one_layer_model_has_no_layer_picker_on_the_backward_page(monkeypatch):
    at, _ = _run_page(monkeypatch, imported("gru", 1, True, "tagger"), "backward")
    assert not at.exception
    assert not [r for r in at.radio if r.key == "backward.layer"]
    assert not [c for c in at.caption if c.value == READOUT_H_N]     # a tagger: the notes' head
