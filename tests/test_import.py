"""rnnviz.import_torch on torch models built here and saved the way users save them
(state_dict -> safetensors, vocabulary -> JSON): every cell × layers 1-3 × uni/bidirectional ×
task against torch's own forward (every layer's hidden states and the probabilities, 1e-5),
the export round trip torch -> rnnviz -> torch, and every bad input of issue 10."""

import json
import struct

import numpy as np
import pytest
from core.torch_support import first_layers
from core.torch_support import import_torch as _import_torch_module

import rnnviz
from rnnviz.models.imported import MAX_BYTES, TokenVocab, TorchClassifier

torch = _import_torch_module()
from safetensors.torch import save_file  # noqa: E402  (after torch: skip/fail like the rest)

TOL = 1e-5
N_E, N_A = 5, 6
CHARS = list("abcdefgh .")
WORDS = ["<unk>", "the", "cat", "sat", "on", "mat", ",", "."]
LABELS = ["O", "B", "I"]
MODULES = {"rnn-tanh": ("RNN", "tanh"), "rnn-relu": ("RNN", "relu"), "gru": ("GRU", None),
           "lstm": ("LSTM", None)}
TASKS = {  # task -> (tokenizer, vocabulary, text, embedding in front of the RNN)
    "lm": ("char", CHARS, "a bad cafe. hg", True),
    "tagger": ("word", WORDS, "the cat sat on the mat, the dog.", True),
    "classifier": ("char", CHARS, "fed a bead. ache", False),
}


class Net(torch.nn.Module):
    """What users train: [Embedding ->] RNN/GRU/LSTM -> Linear, over token ids."""

    def __init__(self, kind, layers, bidirectional, task, V):
        super().__init__()
        name, nonlinearity = MODULES[kind]
        kw = {"nonlinearity": nonlinearity} if nonlinearity else {}
        self.task, self.V = task, V
        self.emb = torch.nn.Embedding(V, N_E) if TASKS[task][3] else None
        self.rnn = getattr(torch.nn, name)(N_E if self.emb else V, N_A, num_layers=layers,
                                           bidirectional=bidirectional, **kw)
        n_y = V if task == "lm" else len(LABELS)
        self.fc = torch.nn.Linear(N_A * (2 if bidirectional else 1), n_y)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-0.7, 0.7)

    def forward(self, ids):
        """probabilities (T, n_y) or (n_y,) for a classifier; ids (T,) long."""
        x = (self.emb(ids) if self.emb is not None
             else torch.nn.functional.one_hot(ids, self.V).float())
        out, h = self.rnn(x[:, None, :])
        if self.task == "classifier":               # h_n of the top layer, both directions
            h = h[0] if isinstance(h, tuple) else h
            top = torch.cat([h[-2, 0], h[-1, 0]]) if self.rnn.bidirectional else h[-1, 0]
            return torch.softmax(self.fc(top), -1)
        return torch.softmax(self.fc(out[:, 0]), -1)


def layer_states(net, ids, layers):
    """torch's hidden states of layer l: a module of the first l layers with the same weights."""
    x = net.emb(ids) if net.emb is not None else torch.nn.functional.one_hot(ids, net.V).float()
    outs = []
    for l in range(1, layers + 1):
        outs.append(first_layers(net.rnn, l)(x[:, None, :])[0][:, 0].detach().numpy())
    return outs


def save_user_files(net, vocab, tmp_path):
    """The README's recipe: save_file(model.state_dict(), ...), json.dump(itos, ...)."""
    save_file(net.state_dict(), str(tmp_path / "model.safetensors"))
    (tmp_path / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    return tmp_path / "model.safetensors", tmp_path / "vocab.json"


def token_ids(vocab_list, tokenizer, text):
    v = TokenVocab(vocab_list, kind=tokenizer)
    ids = v.encode(text)
    assert (ids >= 0).all()
    return torch.tensor(ids)


def parity(kind, layers, bidirectional, task, tmp_path):
    """(max |rnnviz - torch| over the probabilities, over every layer's states), and the model."""
    tokenizer, vocab, text, _ = TASKS[task]
    torch.manual_seed(100 * layers + 10 * bidirectional + len(kind))
    net = Net(kind, layers, bidirectional, task, len(vocab))
    weights, vocab_file = save_user_files(net, vocab, tmp_path)
    m = rnnviz.import_torch(weights, vocab=vocab_file, task=task, tokenizer=tokenizer,
                            labels=None if task == "lm" else LABELS,
                            nonlinearity=MODULES[kind][1] or "tanh")
    ids = token_ids(vocab, tokenizer, text)
    with torch.no_grad():
        expected = net(ids).numpy()
        states = layer_states(net, ids, layers)
    trace = m.trace(text)
    err_states = max(float(np.abs(trace.layer(l)["a"][:, 0, :].T - s).max())
                     for l, s in enumerate(states, start=1))
    err_p = float(np.abs(m.predict(text) - expected).max())
    return err_p, err_states, m


@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("kind", list(MODULES))
def test_imported_model_equals_torch(kind, layers, bidirectional, task, tmp_path):
    err_p, err_states, m = parity(kind, layers, bidirectional, task, tmp_path)
    assert err_p < TOL and err_states < TOL, (err_p, err_states)
    cfg = m.config
    assert (cfg.cell, cfg.layers, cfg.bidirectional, cfg.n_a) == (
        MODULES[kind][0].lower(), layers, bidirectional, N_A)
    assert cfg.variant == ("torch" if kind == "gru" else "course")
    assert m.source == "imported"
    # no warnings: a classifier's pages read h_n as predict() does (readout "h_n")
    assert m.warnings == ()
    assert cfg.readout == ("h_n" if task == "classifier" else "step")
    if task == "classifier":
        trace = m.trace(TASKS[task][2])
        np.testing.assert_allclose(trace["y_hat"][:, 0, -1], m.predict(TASKS[task][2]),
                                   rtol=1e-6, atol=1e-7)
    expected_class = {"lm": rnnviz.LanguageModel, "tagger": rnnviz.Tagger,
                      "classifier": TorchClassifier}[task]
    assert isinstance(m, expected_class)
    if task != "lm":
        assert m.output_labels == LABELS


def test_predict_shapes_and_start_token(tmp_path):
    _, _, lm = parity("lstm", 2, False, "lm", tmp_path)
    assert lm.predict("abc").shape == (3, len(CHARS))
    # start= reads that token first from a<0> = 0: step 1 then equals reading "." + text
    primed = rnnviz.import_torch(tmp_path / "model.safetensors", vocab=CHARS, task="lm",
                                 start=".")
    np.testing.assert_allclose(primed.predict("abc"), lm.predict(".abc")[1:], atol=1e-6)
    sample = primed.sample("ab", length=5, rng=0)
    assert len(sample.steps) == 5 and all(s.char in CHARS for s in sample.steps)
    _, _, clf = parity("gru", 1, True, "classifier", tmp_path)
    p = clf.predict("abc")
    assert p.shape == (3,) and abs(p.sum() - 1) < 1e-6


def test_vocabulary_formats(tmp_path):
    """A JSON list, a JSON {token: index} map and a text file with one token per line."""
    _, _, m = parity("rnn-tanh", 1, False, "tagger", tmp_path)
    expected = m.predict("the cat")
    weights = tmp_path / "model.safetensors"
    shuffled = {t: i for i, t in enumerate(WORDS)}
    (tmp_path / "map.json").write_text(json.dumps(dict(reversed(shuffled.items()))))
    (tmp_path / "lines.txt").write_text("\n".join(WORDS) + "\n")
    for voc in (tmp_path / "map.json", tmp_path / "lines.txt", WORDS):
        got = rnnviz.import_torch(weights, vocab=voc, task="tagger", tokenizer="word")
        assert got.vocab.itos == WORDS
        np.testing.assert_array_equal(got.predict("the cat"), expected)
    # an unknown word reads the vocabulary's <unk> token, and is marked unknown
    steps = got.read("the dog").steps
    assert steps.ids.tolist() == [1, 0] and steps.unk.tolist() == [False, True]


def test_unknown_token_without_unk_reads_zero_input(tmp_path):
    _, _, m = parity("lstm", 1, False, "lm", tmp_path)
    steps = m.read("a!b").steps
    assert steps.unk.tolist() == [False, True, False]
    assert not steps.x[:, 0, 1].any()                  # x<2> = 0: no input at that step


def test_nn_module_npz_and_pt_sources(tmp_path):
    torch.manual_seed(0)
    net = Net("lstm", 2, True, "tagger", len(WORDS))
    ids = token_ids(WORDS, "word", "the cat sat")
    expected = net(ids).detach().numpy()
    sd = {k: v.numpy() for k, v in net.state_dict().items()}
    np.savez(tmp_path / "w.npz", **sd)
    torch.save(net.state_dict(), tmp_path / "w.pt")
    for source in (net, sd, tmp_path / "w.npz", tmp_path / "w.pt"):
        m = rnnviz.import_torch(source, vocab=WORDS, task="tagger", tokenizer="word")
        assert np.abs(m.predict("the cat sat") - expected).max() < TOL


def test_mapping_names_the_modules_when_detection_is_ambiguous(tmp_path):
    """Two Linear layers that could each be the head: detection refuses, mapping= picks."""
    torch.manual_seed(1)
    net = Net("gru", 1, False, "tagger", len(WORDS))
    sd = {k: v.numpy() for k, v in net.state_dict().items()}
    sd["aux.weight"], sd["aux.bias"] = np.ones((2, N_A), np.float32), np.zeros(2, np.float32)
    with pytest.raises(ValueError, match="more than one module could be the head"):
        rnnviz.import_torch(sd, vocab=WORDS, task="tagger", tokenizer="word")
    with pytest.raises(ValueError, match="unsupported part 'aux.bias'"):
        rnnviz.import_torch(sd, vocab=WORDS, task="tagger", tokenizer="word",
                            mapping={"head": "fc"})
    del sd["aux.weight"], sd["aux.bias"]
    ids = token_ids(WORDS, "word", "the mat")
    m = rnnviz.import_torch(sd, vocab=WORDS, task="tagger", tokenizer="word",
                            mapping={"rnn": "rnn", "embedding": "emb", "head": "fc"})
    assert np.abs(m.predict("the mat") - net(ids).detach().numpy()).max() < TOL


# -- export: torch -> rnnviz -> torch ---------------------------------------------------------


@pytest.mark.parametrize("task", list(TASKS))
@pytest.mark.parametrize("kind", list(MODULES))
def test_export_round_trip(kind, task, tmp_path):
    from safetensors.torch import load_file

    tokenizer, vocab, text, _ = TASKS[task]
    torch.manual_seed(7)
    net = Net(kind, 2, True, task, len(vocab))
    weights, _ = save_user_files(net, vocab, tmp_path)
    m = rnnviz.import_torch(weights, vocab=vocab, task=task, tokenizer=tokenizer,
                            nonlinearity=MODULES[kind][1] or "tanh")
    out = m.export(tmp_path / "exported.safetensors")
    # rnnviz -> torch: the user's own class loads the export as it is (its own module names,
    # its own embedding), and gives the same outputs
    sd = load_file(str(out))
    back = Net(kind, 2, True, task, len(vocab))
    back.load_state_dict(sd)
    ids = token_ids(vocab, tokenizer, text)
    with torch.no_grad():
        assert np.abs(back(ids).numpy() - net(ids).numpy()).max() < TOL
    # and rnnviz reads its own export back with no argument at all (kept in the metadata)
    again = rnnviz.import_torch(out)
    assert again.vocab.itos == vocab and again.vocab.kind == tokenizer
    assert again.kind == m.kind and again.warnings == ()
    np.testing.assert_allclose(again.predict(text), m.predict(text), atol=1e-6)


def test_a_model_trained_in_rnnviz_exports_to_torch(tmp_path):
    """A random rnnviz LSTM (the notes' cell, <UNK>/<EOS> vocabulary) loads into nn.LSTM."""
    from safetensors.torch import load_file

    m = rnnviz.models.random_model("lstm", n_a=8, seed=3)
    sd = load_file(str(m.export(tmp_path / "mine")))
    V = len(m.vocab)
    emb, lstm, fc = (torch.nn.Embedding(V, V), torch.nn.LSTM(V, 8),
                     torch.nn.Linear(8, V))
    emb.load_state_dict({"weight": sd["emb.weight"]})
    lstm.load_state_dict({k[4:]: v for k, v in sd.items() if k.startswith("rnn.")})
    fc.load_state_dict({k[3:]: v for k, v in sd.items() if k.startswith("fc.")})
    text = "Hello, world"
    ids = torch.tensor(m.vocab.encode(text))
    with torch.no_grad():
        p = torch.softmax(fc(lstm(emb(ids)[:, None])[0][:, 0]), -1).numpy()
    assert np.abs(m.predict(text) - p).max() < TOL


def test_the_notes_gru_does_not_export(tmp_path):
    with pytest.raises(ValueError, match="reset gate before the matmul"):
        rnnviz.models.random_model("gru", n_a=4).export(tmp_path / "gru.safetensors")


# -- bad input: each gets a ValueError naming the problem -------------------------------------


@pytest.fixture
def good(tmp_path):
    torch.manual_seed(2)
    net = Net("lstm", 2, False, "lm", len(CHARS))
    weights, vocab = save_user_files(net, CHARS, tmp_path)
    return net, weights, vocab, tmp_path


def _bad(path, match, **kw):
    kw = {"vocab": CHARS, "task": "lm", **kw}
    with pytest.raises(ValueError, match=match) as info:
        rnnviz.import_torch(path, **kw)
    return str(info.value)


def test_truncated_file(good):
    _, weights, _, tmp = good
    data = weights.read_bytes()
    (tmp / "cut.safetensors").write_bytes(data[: len(data) - 40])
    _bad(tmp / "cut.safetensors", r"cut.safetensors is truncated: tensor '.*' ends at byte")


def test_bytes_that_are_not_safetensors(tmp_path):
    (tmp_path / "junk.safetensors").write_bytes(b"PK\x03\x04 this is a zip, not weights" * 10)
    _bad(tmp_path / "junk.safetensors", r"not a valid safetensors file: its header claims")
    (tmp_path / "text.safetensors").write_bytes(struct.pack("<Q", 5) + b"hello")
    _bad(tmp_path / "text.safetensors", "its header is not JSON")


def test_header_claiming_2_to_the_62_bytes(tmp_path):
    (tmp_path / "huge.safetensors").write_bytes(struct.pack("<Q", 2**62) + b"{}")
    msg = _bad(tmp_path / "huge.safetensors", "header claims")
    assert f"{2**62:,}" in msg


def test_empty_file(tmp_path):
    (tmp_path / "empty.safetensors").write_bytes(b"")
    _bad(tmp_path / "empty.safetensors", r"empty.safetensors is empty \(0 bytes\)")


def test_nan_and_inf_weights_are_flagged(good):
    net, _, _, tmp = good
    sd = {k: v.clone() for k, v in net.state_dict().items()}
    sd["rnn.weight_hh_l1"][0, 0] = float("nan")
    sd["fc.bias"][:2] = float("inf")
    save_file(sd, str(tmp / "nan.safetensors"))
    m = rnnviz.import_torch(tmp / "nan.safetensors", vocab=CHARS, task="lm")
    assert len(m.warnings) == 2
    assert sum("rnn.weight_hh_l1 has 1 NaN value:" in w for w in m.warnings) == 1
    assert sum("fc.bias has 2 infinite values:" in w for w in m.warnings) == 1
    assert np.isnan(m.trace("abc")["a"]).any()          # drawn as what it is, not hidden


def test_inconsistent_shapes(good):
    net, _, _, _ = good
    sd = {k: v.numpy() for k, v in net.state_dict().items()}
    sd["rnn.weight_hh_l1"] = sd["rnn.weight_hh_l1"][:, :-1]
    _bad(sd, r"rnn.weight_hh_l1 has shape \(24, 5\), expected \(24, 6\)")
    sd = {k: v.numpy() for k, v in net.state_dict().items()}
    sd["fc.weight"] = np.zeros((len(CHARS), N_A + 1), np.float32)
    _bad(sd, "unsupported part 'fc.bias'")


def test_missing_recurrent_weight(good):
    net, _, _, _ = good
    sd = {k: v.numpy() for k, v in net.state_dict().items() if k != "rnn.weight_hh_l1"}
    _bad(sd, r"missing recurrent weights \['rnn.weight_hh_l1'\]")
    sd = {k: v.numpy() for k, v in net.state_dict().items() if "_ih_" not in k}
    _bad(sd, "expected exactly one recurrent module")


def test_vocabulary_size_mismatch(good):
    _, weights, _, _ = good
    _bad(weights, "the vocabulary has 9 tokens but the embedding emb.weight has 10 rows",
         vocab=CHARS[:-1])
    _bad(weights, "labels for a head", task="tagger", labels=["x", "y"])


def test_pickle_inside_a_pt_is_never_unpickled(tmp_path):
    import pickle

    class Boom:
        def __reduce__(self):
            return (open, (str(tmp_path / "pwned"), "w"))

    (tmp_path / "evil.pt").write_bytes(pickle.dumps({"rnn.weight_ih_l0": Boom()}))
    _bad(tmp_path / "evil.pt", r"torch.load\(weights_only=True\), which never runs")
    assert not (tmp_path / "pwned").exists()
    torch.save({"model": Boom()}, tmp_path / "evil2.pt")      # torch's own zip format
    (tmp_path / "pwned").unlink(missing_ok=True)
    _bad(tmp_path / "evil2.pt", "weights_only=True")
    assert not (tmp_path / "pwned").exists()


def test_a_200_mb_upload_is_refused_by_size_before_reading(tmp_path):
    big = tmp_path / "big.safetensors"
    with open(big, "wb") as f:                       # sparse: 200 MB without writing them
        f.truncate(200 * 2**20)
    assert big.stat().st_size > MAX_BYTES
    _bad(big, "big.safetensors has 200 MB; rnnviz reads weights files of at most 50 MB")

    class Upload:                                     # what st.file_uploader hands over
        name, size = "big.safetensors", 200 * 2**20

        def getvalue(self):
            raise AssertionError("read an upload above the limit")

    _bad(Upload(), "has 200 MB")


def test_vocabulary_file_that_is_not_utf8(good):
    _, weights, _, tmp = good
    (tmp / "latin1.txt").write_bytes("\n".join(CHARS[:-2] + ["é", "ü"]).encode("latin-1"))
    _bad(weights, r"the vocabulary file is not UTF-8 text \(byte 0xe9", vocab=tmp / "latin1.txt")


def test_other_bad_arguments(good):
    _, weights, _, tmp = good
    _bad(weights, "task must be one of", task="translate")
    _bad(weights, "tokenizer must be one of", tokenizer="bpe")
    _bad(weights, "lists the token 'a' twice", vocab=CHARS[:-1] + ["a"])
    _bad(weights, "start token 'z' is not in the vocabulary", start="z")
    _bad(tmp / "nope.safetensors", "weights file not found")
    (tmp / "w.onnx").write_bytes(b"x")
    _bad(tmp / "w.onnx", "unknown weights format")


def test_max_params_refuses_before_folding(good):
    net, weights, _, _ = good
    m = rnnviz.import_torch(weights, vocab=CHARS, task="lm")
    n = m.model.n_params
    # the estimate counts torch's two biases apart: within the bias sizes of the exact count
    from rnnviz.models.imported import detect_structure, folded_size
    sd = {k: v.numpy() for k, v in net.state_dict().items()}
    est = folded_size(sd, detect_structure(sd), len(CHARS))
    assert n <= est <= n + 2 * 4 * N_A
    rnnviz.import_torch(weights, vocab=CHARS, task="lm", max_params=est)
    _bad(weights, f"about {est:,} parameters once the embedding is folded", max_params=est - 1)
