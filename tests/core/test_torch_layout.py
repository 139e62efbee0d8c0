"""rnnviz.core.torch_layout against torch's own forward (float32): every cell (nn.RNN tanh /
ReLU, nn.GRU, nn.LSTM) × layers 1-3 × uni/bidirectional, the hidden states of every layer and
the outputs of a Linear head to 1e-5; embeddings folded into W_ax; torch -> rnnviz -> torch."""

import numpy as np
import pytest

from rnnviz import Model
from rnnviz.core.torch_layout import find_recurrent_prefix, from_torch, to_torch

from .torch_support import first_layers, import_torch

torch = import_torch()

N_X, N_A, N_Y, M, T_X = 5, 6, 4, 3, 7
MODULES = {"rnn-tanh": ("RNN", "tanh"), "rnn-relu": ("RNN", "relu"), "gru": ("GRU", None),
           "lstm": ("LSTM", None)}
TOL = 1e-5


class Net(torch.nn.Module):
    """What users train: an optional embedding, the recurrent module, a Linear head."""

    def __init__(self, kind, layers, bidirectional, embedding=False, n_x=N_X):
        super().__init__()
        name, nonlinearity = MODULES[kind]
        kw = {"nonlinearity": nonlinearity} if nonlinearity else {}
        self.emb = torch.nn.Embedding(11, n_x) if embedding else None
        self.rnn = getattr(torch.nn, name)(n_x, N_A, num_layers=layers,
                                           bidirectional=bidirectional, **kw)
        self.fc = torch.nn.Linear(N_A * (2 if bidirectional else 1), N_Y)
        with torch.no_grad():                 # biases too, so folding them is tested
            for p in self.parameters():
                p.uniform_(-0.6, 0.6)

    def forward(self, x):
        out, _ = self.rnn(self.emb(x) if self.emb is not None else x)
        return out, self.fc(out)


def rnnviz_model(net, kind, embedding=False):
    sd = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    cfg, params = from_torch(sd, head="fc.", embedding="emb." if embedding else None,
                             nonlinearity=MODULES[kind][1] or "tanh")
    return Model(cfg, params)


def layer_outputs(net, x, layers):
    """torch's hidden states of layer l: a torch module of the first l layers, same weights."""
    outs = []
    for l in range(1, layers + 1):
        outs.append(first_layers(net.rnn, l)(x)[0].detach().numpy())
    return outs


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("kind", list(MODULES))
def test_every_layer_and_the_outputs_equal_torch(kind, layers, bidirectional):
    torch.manual_seed(layers + 10 * bidirectional)
    net = Net(kind, layers, bidirectional)
    x = torch.randn(T_X, M, N_X)
    out, logits = net(x)
    model = rnnviz_model(net, kind)
    cfg = model.config
    assert (cfg.layers, cfg.bidirectional, cfg.n_a, cfg.n_x, cfg.dtype) == (
        layers, bidirectional, N_A, N_X, "float32")
    assert cfg.variant == ("torch" if kind == "gru" else "course")
    trace = model.forward(np.transpose(x.numpy(), (2, 1, 0)))    # (n_x, m, T_x)
    for l, expected in enumerate(layer_outputs(net, x, layers), start=1):
        np.testing.assert_allclose(trace.layer(l).rows["a"], expected, atol=TOL, rtol=0,
                                   err_msg=f"layer {l}")
    np.testing.assert_allclose(trace.rows["a"], out.detach().numpy(), atol=TOL, rtol=0)
    np.testing.assert_allclose(trace.rows["z_y"], logits.detach().numpy(), atol=TOL, rtol=0)


@pytest.mark.parametrize("kind", list(MODULES))
def test_an_embedding_folds_into_W_ax(kind):
    torch.manual_seed(3)
    net = Net(kind, 2, True, embedding=True)
    ids = torch.randint(0, 11, (T_X, M))
    _, logits = net(ids)
    model = rnnviz_model(net, kind, embedding=True)
    assert model.config.n_x == 11
    x = np.eye(11, dtype=np.float32)[ids.numpy()]                 # one-hot (T, m, V)
    trace = model.forward(np.transpose(x, (2, 1, 0)))
    np.testing.assert_allclose(trace.rows["z_y"], logits.detach().numpy(), atol=TOL, rtol=0)


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("kind", list(MODULES))
def test_torch_to_rnnviz_to_torch(kind, bidirectional):
    torch.manual_seed(4)
    net = Net(kind, 2, bidirectional)
    x = torch.randn(T_X, M, N_X)
    _, logits = net(x)
    model = rnnviz_model(net, kind)
    sd = to_torch(model.config, model.params, prefix="rnn.", head="fc.")
    assert set(sd) == set(net.state_dict())
    back = Net(kind, 2, bidirectional)
    back.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    np.testing.assert_allclose(back(x)[1].detach().numpy(), logits.detach().numpy(), atol=TOL,
                               rtol=0)
    # the two biases come back folded into bias_ih (the GRU's b_hn excepted)
    orig = net.state_dict()
    np.testing.assert_allclose(sd["rnn.weight_hh_l1"], orig["rnn.weight_hh_l1"].numpy(),
                               atol=1e-7)
    if kind != "gru":
        np.testing.assert_allclose(sd["rnn.bias_ih_l0"], (orig["rnn.bias_ih_l0"]
                                                          + orig["rnn.bias_hh_l0"]).numpy(),
                                   atol=1e-6)
        assert not sd["rnn.bias_hh_l0"].any()


def test_a_model_trained_in_rnnviz_exports_with_an_embedding():
    """rnnviz -> torch for a model born in rnnviz (one-hot x<t>): Embedding(I) + LSTM + Linear."""
    from rnnviz import RNNConfig
    cfg = RNNConfig(cell="lstm", n_x=9, n_a=N_A, n_y=N_Y, layers=2, dtype="float32")
    model = Model.init(cfg, np.random.default_rng(0))
    sd = to_torch(cfg, model.params, embedding="emb.")
    net = Net("lstm", 2, False, embedding=True, n_x=9)
    net.emb = torch.nn.Embedding(9, 9)
    net.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    ids = np.random.default_rng(1).integers(0, 9, (T_X, M))
    _, logits = net(torch.from_numpy(ids))
    trace = model.forward(np.transpose(np.eye(9, dtype=np.float32)[ids], (2, 1, 0)))
    np.testing.assert_allclose(trace.rows["z_y"], logits.detach().numpy(), atol=TOL, rtol=0)


def test_the_notes_gru_does_not_export_and_bad_dicts_are_named():
    from rnnviz import RNNConfig
    cfg = RNNConfig(cell="gru", n_x=3, n_a=2, n_y=2)
    with pytest.raises(ValueError, match="variant='torch'"):
        to_torch(cfg, Model.init(cfg, np.random.default_rng(0)).params)
    sd = {k: v.numpy() for k, v in torch.nn.LSTM(3, 2, num_layers=2).state_dict().items()}
    assert find_recurrent_prefix(sd) == ""
    del sd["weight_ih_l1"]
    with pytest.raises(ValueError, match=r"missing recurrent weights \['weight_ih_l1'\]"):
        from_torch(sd)
    sd = {k: v.numpy() for k, v in torch.nn.LSTM(3, 2, proj_size=1).state_dict().items()}
    with pytest.raises(ValueError, match="proj_size"):
        from_torch(sd)
    with pytest.raises(ValueError, match="exactly one recurrent module"):
        from_torch({"fc.weight": np.zeros((2, 2))})
