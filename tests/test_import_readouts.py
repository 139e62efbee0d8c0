"""A classifier's head read the way it was trained: readout "h_n" | "last" | "mean" of
`rnnviz.import_torch`, for every cell × layers 1–2 × uni/bidirectional, against torch:

    h_n:  fc(cat(h_n[-2], h_n[-1]))      (fc(h_n[-1]) unidirectional)
    last: fc(out[-1])                     [a→<T_x>; a←<T_x>]
    mean: fc(out.mean(0))                 (1/T_x) Σ_t [a→<t>; a←<t>]

Forward: the imported float32 model's ŷ<T_x> against torch's softmax (float64 torch).
BPTT: the loss with a chosen true label and every parameter's gradient against torch autograd
(float64), and against centred finite differences. `parity_table()` prints max |Δ| per
readout: cd tests && python test_import_readouts.py
"""

import dataclasses

import numpy as np
import pytest
from core.reference import numeric_grad_sampled, rel_error
from core.torch_support import import_torch, torch_grads_in_rnnviz_layout

import rnnviz
from rnnviz.core.torch_layout import from_torch

torch = import_torch()

VOCAB = list("abcdeh .")
TEXT = "a bad cab. head"
N_A, N_Y, LABEL = 5, 3, 2          # LABEL: the true class of the loss, not the model's own
CELLS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
READOUTS = ("h_n", "last", "mean")


class Net(torch.nn.Module):
    """What torch users write: ids -> [Embedding] -> nn.RNN/GRU/LSTM -> readout -> Linear."""

    def __init__(self, cell, layers, bidirectional, readout, embedding):
        super().__init__()
        n_in = 4 if embedding else len(VOCAB)
        self.emb = torch.nn.Embedding(len(VOCAB), n_in) if embedding else None
        self.rnn = getattr(torch.nn, CELLS[cell])(n_in, N_A, num_layers=layers,
                                                  bidirectional=bidirectional)
        self.fc = torch.nn.Linear(N_A * (2 if bidirectional else 1), N_Y)
        self.readout = readout
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-0.8, 0.8)

    def forward(self, ids):
        if self.emb is not None:
            x = self.emb(ids)
        else:
            x = torch.nn.functional.one_hot(ids, len(VOCAB)).to(self.fc.weight.dtype)
        out, h = self.rnn(x[:, None, :])
        out = out[:, 0]
        h = h[0] if isinstance(h, tuple) else h                 # an LSTM's (h_n, c_n)
        if self.readout == "h_n":
            z = torch.cat([h[-2, 0], h[-1, 0]]) if self.rnn.bidirectional else h[-1, 0]
        elif self.readout == "last":
            z = out[-1]
        else:
            z = out.mean(dim=0)
        return self.fc(z)


def make(cell, layers, bidirectional, readout, embedding, seed=0):
    torch.manual_seed(seed + 13 * layers + 7 * bidirectional + len(cell) + len(readout))
    return Net(cell, layers, bidirectional, readout, embedding).double()


def forward_error(cell, layers, bidirectional, readout) -> float:
    """max |Δ| between the imported (float32) model's ŷ<T_x> and torch's softmax."""
    net = make(cell, layers, bidirectional, readout, embedding=True)
    m = rnnviz.import_torch({k: v.float() for k, v in net.state_dict().items()}, vocab=VOCAB,
                            task="classifier", readout=readout)
    ids = torch.tensor(m.vocab.encode(TEXT))
    with torch.no_grad():
        p = torch.softmax(net(ids), -1).numpy()
    return float(np.abs(m.predict(TEXT) - p).max())


def backward_errors(cell, layers, bidirectional, readout):
    """(|Δ loss|, max |Δ| of any gradient vs torch autograd, the network, x, y) in float64."""
    net = make(cell, layers, bidirectional, readout, embedding=False)
    m = rnnviz.import_torch(net.state_dict(), vocab=VOCAB, task="classifier", readout=readout)
    _, exact = from_torch(net.state_dict(), prefix="rnn.", head="fc.",
                          task_head="many_to_one", dtype="float64")
    model = rnnviz.Model(dataclasses.replace(m.config, dtype="float64"), exact)
    ids = torch.tensor(m.vocab.encode(TEXT))
    logits = net(ids)
    loss = torch.nn.functional.cross_entropy(logits[None], torch.tensor([LABEL]))
    loss.backward()
    expected = torch_grads_in_rnnviz_layout(net, N_A)
    x = np.zeros((len(VOCAB), 1, len(ids)))
    x[ids.numpy(), 0, np.arange(len(ids))] = 1
    y = np.array([LABEL])
    value, grads, _ = model.backward(model.forward(x), y, at="last")
    assert set(grads) == set(expected)
    worst = max(float(np.abs(grads[k] - g).max()) for k, g in expected.items())
    return abs(value - loss.item()), worst, model, x, y


CASES = [(c, layers, bi) for c in CELLS for layers in (1, 2) for bi in (False, True)]
IDS = [f"{c}-{layers}-{'bi' if bi else 'uni'}" for c, layers, bi in CASES]


@pytest.mark.parametrize("readout", READOUTS)
@pytest.mark.parametrize(("cell", "layers", "bidirectional"), CASES, ids=IDS)
def test_forward_equals_torch(cell, layers, bidirectional, readout):
    assert forward_error(cell, layers, bidirectional, readout) < 2e-6


@pytest.mark.parametrize("readout", READOUTS)
@pytest.mark.parametrize(("cell", "layers", "bidirectional"), CASES, ids=IDS)
def test_bptt_equals_torch_autograd_and_finite_differences(cell, layers, bidirectional,
                                                           readout):
    d_loss, d_grad, model, x, y = backward_errors(cell, layers, bidirectional, readout)
    assert d_loss < 1e-12 and d_grad < 1e-10, (d_loss, d_grad)
    rng = np.random.default_rng(5)
    _, grads, _ = model.backward(model.forward(x), y, at="last")

    def loss():
        return model.loss(model.forward(x), y, at="last")

    for name, W in model.params.items():
        assert rel_error(*numeric_grad_sampled(loss, W, grads[name], rng, k=6)) < 1e-6, name


def test_the_three_readouts_differ():
    """Not vacuous: one bidirectional LSTM's weights read three ways give three predictions."""
    net = make("lstm", 2, True, "h_n", embedding=True)
    sd = {k: v.float() for k, v in net.state_dict().items()}
    preds = [rnnviz.import_torch(sd, vocab=VOCAB, task="classifier", readout=r).predict(TEXT)
             for r in READOUTS]
    for i in range(3):
        for j in range(i):
            assert np.abs(preds[i] - preds[j]).max() > 1e-3


def test_an_unknown_readout_is_a_clear_error():
    net = make("gru", 1, False, "h_n", embedding=False)
    with pytest.raises(ValueError, match="readout must be one of"):
        rnnviz.import_torch(net.state_dict(), vocab=VOCAB, task="classifier", readout="max")


def parity_table() -> str:
    rows = ["| readout | forward max abs diff (float32 import) | loss abs diff | "
            "gradient max abs diff (float64) |", "|---|---|---|---|"]
    for readout in READOUTS:
        fw = max(forward_error(*case, readout) for case in CASES)
        bw = [backward_errors(*case, readout)[:2] for case in CASES]
        rows.append(f"| {readout} | {fw:.1e} | {max(b[0] for b in bw):.1e} | "
                    f"{max(b[1] for b in bw):.1e} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(parity_table())
