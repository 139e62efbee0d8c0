"""A bidirectional torch classifier (nn.LSTM / nn.GRU -> h_n -> nn.Linear) imported with
rnnviz.import_torch: its loss and every gradient against torch autograd (float64), through the
route the Backward page uses (`read(text, for_loss=True)`, `backward`, `check_gradients`).
Skipped without torch on a developer's machine, failed without it in CI (torch_support)."""

import dataclasses

import numpy as np
import pytest

import rnnviz
from rnnviz.core.torch_layout import from_torch

from .torch_support import import_torch, torch_grads_in_rnnviz_layout

torch = import_torch()

VOCAB = list("abcdeh .")
TEXT = "a bad cab. head"
N_A, N_Y = 5, 3


class Classifier(torch.nn.Module):
    """What torch users write: one-hot ids -> bidirectional RNN -> h_n of the top layer ->
    Linear -> logits."""

    def __init__(self, kind, layers):
        super().__init__()
        self.rnn = getattr(torch.nn, kind)(len(VOCAB), N_A, num_layers=layers,
                                           bidirectional=True)
        self.fc = torch.nn.Linear(2 * N_A, N_Y)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-0.8, 0.8)

    def forward(self, ids):
        x = torch.nn.functional.one_hot(ids, len(VOCAB)).to(self.fc.weight.dtype)
        _, h = self.rnn(x[:, None, :])
        h = h[0] if isinstance(h, tuple) else h                 # an LSTM's (h_n, c_n)
        return self.fc(torch.cat([h[-2, 0], h[-1, 0]]))        # [h→<T_x>; h←<1>]


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_loss_and_gradients_equal_torch_autograd(kind, layers):
    torch.manual_seed(7 * layers + len(kind))
    net = Classifier(kind, layers).double()
    m = rnnviz.import_torch({k: v.float() for k, v in net.state_dict().items()}, vocab=VOCAB,
                            task="classifier", labels=["x", "y", "z"])
    assert m.config.readout == "h_n" and m.warnings == ()
    # the same classifier in float64 (its folded biases b_ih + b_hh not rounded to float32),
    # for a comparison to rounding error
    _, exact = from_torch(net.state_dict(), prefix="rnn.", head="fc.",
                          task_head="many_to_one", dtype="float64")
    net64 = rnnviz.Model(dataclasses.replace(m.config, dtype="float64"), exact)
    m64 = type(m)(m.name, net64, m.vocab, m.card, output_labels=m.labels)
    ids = torch.tensor(m.vocab.encode(TEXT))
    logits = net(ids)
    target = int(torch.argmax(logits))
    loss = torch.nn.functional.cross_entropy(logits[None], torch.tensor([target]))
    loss.backward()
    expected = torch_grads_in_rnnviz_layout(net, N_A)

    res = m64.backward(m64.read(TEXT, for_loss=True))
    assert res.at == "last" and int(res.y[0]) == target         # the model's own class
    assert res.loss == pytest.approx(loss.item(), rel=1e-12)
    assert set(res.grads) == set(expected)
    for k, g in expected.items():
        np.testing.assert_allclose(res.grads[k], g, rtol=1e-9, atol=1e-12, err_msg=k)
    # the float32 model the pages use: the same numbers to float32 rounding
    res32 = m.backward(m.read(TEXT, for_loss=True))
    assert res32.loss == pytest.approx(loss.item(), rel=1e-5)
    for k, g in expected.items():
        np.testing.assert_allclose(res32.grads[k], g, rtol=1e-3, atol=2e-6, err_msg=k)
    np.testing.assert_allclose(m.predict(TEXT), torch.softmax(logits, -1).detach().numpy(),
                               atol=1e-6)
    # the page's gradient check (finite differences on a float64 copy) agrees
    rows, checked_loss = m.check_gradients(res32)
    assert checked_loss == pytest.approx(loss.item(), rel=1e-6)
    assert max(r["rel_error"] for r in rows if abs(r["analytic"]) > 1e-6) < 1e-6


def test_the_step_readout_would_differ():
    """The check above is not vacuous: the notes' head on [a→<T_x>; a←<T_x>] gives another
    loss for the same weights."""
    torch.manual_seed(3)
    net = Classifier("LSTM", 1).double()
    m = rnnviz.import_torch(net.state_dict(), vocab=VOCAB, task="classifier")
    step = rnnviz.Model(dataclasses.replace(m.config, readout="step"), m.model.params)
    x = m.read(TEXT).steps.x
    assert not np.allclose(step.forward(x)["y_hat"][:, 0, -1], m.predict(TEXT), atol=1e-3)
