"""What users' files look like: checkpoint wrappers, DataParallel names, an nn.LSTMCell loop, a
Keras file, a vocabulary that does not fit its tokenizer, case, an export that carries
everything, and an LM with no start token (scored from its second token)."""

import json

import numpy as np
import pytest
from core.torch_support import import_torch as _import_torch_module

import rnnviz
from rnnviz.lm import stream_log_probs

torch = _import_torch_module()
from safetensors.torch import save_file  # noqa: E402

CHARS = list("abc .")
WORDS = ["<unk>", "not", "good", "bad", "movie", "."]


class Net(torch.nn.Module):
    def __init__(self, V, n_y, bidirectional=False, readout="h_n"):
        super().__init__()
        self.emb = torch.nn.Embedding(V, 3)
        self.rnn = torch.nn.GRU(3, 4, bidirectional=bidirectional)
        self.fc = torch.nn.Linear(4 * (2 if bidirectional else 1), n_y)
        self.readout = readout

    def forward(self, ids):
        out, h = self.rnn(self.emb(ids)[:, None])
        if self.readout == "mean":
            return self.fc(out[:, 0].mean(0))
        return self.fc(torch.cat(list(h[:, 0])))


def lm_net(seed=0):
    torch.manual_seed(seed)
    return Net(len(CHARS), len(CHARS))


def test_checkpoint_wrappers_and_dataparallel_names_read_as_the_plain_state_dict(tmp_path):
    net = lm_net()
    plain = rnnviz.import_torch(net.state_dict(), vocab=CHARS, task="lm").predict("ab c")
    sd = net.state_dict()
    wrapped = {
        "model_state_dict": {"model_state_dict": sd, "optimizer_state_dict": {}, "epoch": 3},
        "state_dict": {"state_dict": sd, "epoch": 3},
        "module": {"module." + k: v for k, v in sd.items()},
        "both": {"model_state_dict": {"module." + k: v for k, v in sd.items()}, "step": 10},
    }
    for what, obj in wrapped.items():
        path = tmp_path / f"{what}.pt"
        torch.save(obj, path)
        got = rnnviz.import_torch(path, vocab=CHARS, task="lm")
        np.testing.assert_array_equal(got.predict("ab c"), plain, err_msg=what)
        assert got.card["modules"] == {"rnn": "rnn.", "embedding": "emb.", "head": "fc."}
    save_file({"module." + k: v for k, v in sd.items()}, str(tmp_path / "dp.safetensors"))
    got = rnnviz.import_torch(tmp_path / "dp.safetensors", vocab=CHARS, task="lm")
    np.testing.assert_array_equal(got.predict("ab c"), plain)


def test_an_lstmcell_loop_gets_the_conversion_not_a_key_error():
    cell = torch.nn.LSTMCell(len(CHARS), 4)
    sd = {"cell." + k: v for k, v in cell.state_dict().items()}
    with pytest.raises(ValueError, match=r"(?s)nn\.LSTMCell .*lstm\.weight_ih_l0, "
                       r"lstm\.weight_hh_l0 = cell\.weight_ih, cell\.weight_hh"):
        rnnviz.import_torch(sd, vocab=CHARS, task="lm")


def test_the_conversion_it_gives_for_an_lstmcell_works():
    """The few lines of torch the message gives do produce a file the importer reads."""
    torch.manual_seed(1)
    cell = torch.nn.LSTMCell(len(CHARS), 4)
    lstm = torch.nn.LSTM(cell.input_size, cell.hidden_size)
    lstm.weight_ih_l0, lstm.weight_hh_l0 = cell.weight_ih, cell.weight_hh
    lstm.bias_ih_l0, lstm.bias_hh_l0 = cell.bias_ih, cell.bias_hh
    m = rnnviz.import_torch({"rnn." + k: v for k, v in lstm.state_dict().items()},
                            vocab=CHARS, task="tagger")
    x = torch.nn.functional.one_hot(torch.tensor([0, 1, 2]), len(CHARS)).float()
    h = c = torch.zeros(1, 4)
    for t in range(3):
        h, c = cell(x[t:t + 1], (h, c))
    a = m.read("abc").trace["a"][:, 0, -1]
    np.testing.assert_allclose(a, h[0].detach().numpy(), atol=1e-6)


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_a_keras_file_says_how_to_convert(tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    with pytest.raises(ValueError, match="Keras file.*recurrent_kernel is weight_hh_l0"):
        rnnviz.import_torch(path, vocab=CHARS, task="lm")


def test_a_word_vocabulary_read_as_characters_is_flagged_and_lowercase_reads_capitals():
    torch.manual_seed(2)
    net = Net(len(WORDS), 2)
    m = rnnviz.import_torch(net.state_dict(), vocab=WORDS, task="classifier")   # "char"
    assert any('tokenizer is "char"' in w and "'not'" in w for w in m.warnings)
    chars = rnnviz.import_torch(lm_net().state_dict(), vocab=CHARS, task="lm",
                                tokenizer="word")
    assert any('tokenizer is "word"' in w for w in chars.warnings)
    kept = rnnviz.import_torch(net.state_dict(), vocab=WORDS, task="classifier",
                               tokenizer="word")
    assert kept.warnings == ()
    assert "no capital letter" in kept.card_markdown
    lower = rnnviz.import_torch(net.state_dict(), vocab=WORDS, task="classifier",
                                tokenizer="word", lowercase=True)
    assert "no capital letter" not in lower.card_markdown
    assert list(kept.vocab.encode("NOT good")) == [0, 2]            # NOT is <unk> ...
    assert list(lower.vocab.encode("NOT good")) == [1, 2]           # ... unless lowercased
    with torch.no_grad():
        p = torch.softmax(net(torch.tensor([1, 2])), -1).numpy()
    np.testing.assert_allclose(lower.predict("NOT good"), p, atol=1e-6)
    assert not np.allclose(kept.predict("NOT good"), p, atol=1e-4)


def test_an_export_carries_everything_and_explicit_arguments_override_with_a_warning(
        tmp_path):
    torch.manual_seed(4)
    net = Net(len(WORDS), 2, bidirectional=True, readout="mean")
    m = rnnviz.import_torch(net.state_dict(), vocab=WORDS, task="classifier", tokenizer="word",
                            lowercase=True, labels=["negative", "positive"], readout="mean")
    path = m.export(tmp_path / "mine.safetensors")
    again = rnnviz.import_torch(path)
    assert (again.kind, again.vocab.kind, again.vocab.lowercase, again.labels,
            again.config.readout) == ("classifier", "word", True, ["negative", "positive"],
                                      "mean")
    assert again.warnings == ()
    with torch.no_grad():
        p = torch.softmax(net(torch.tensor([1, 2, 5])), -1).numpy()
    np.testing.assert_allclose(again.predict("NOT good ."), p, atol=1e-6)
    # the user's class loads the export as it is
    back = Net(len(WORDS), 2, bidirectional=True, readout="mean")
    from safetensors.torch import load_file
    back.load_state_dict(load_file(str(path)))
    # an explicit argument wins, and says where it disagrees with the file
    other = rnnviz.import_torch(path, readout="h_n", task="classifier")
    assert other.config.readout == "h_n"
    assert other.warnings == ("The file says readout = 'mean'; the readout you gave ('h_n') "
                              "is used.",)
    assert not np.allclose(other.predict("NOT good ."), p, atol=1e-4)


def test_a_plain_state_dict_still_needs_a_task():
    with pytest.raises(ValueError, match="task is required"):
        rnnviz.import_torch(lm_net().state_dict(), vocab=CHARS)


def test_an_lm_without_a_start_token_scores_tokens_2_to_T():
    net = lm_net(5)
    m = rnnviz.import_torch(net.state_dict(), vocab=CHARS, task="lm")
    assert m.first_scored == 2
    text = "ab ca."
    ids = torch.tensor(m.vocab.encode(text))
    with torch.no_grad():
        out, _ = net.rnn(net.emb(ids)[:, None])
        logp = torch.log_softmax(net.fc(out[:, 0]), -1).numpy()
    expected = logp[np.arange(len(ids) - 1), ids[1:].numpy()]      # ŷ<t> predicts token t+1
    sc = m.score(text)
    assert sc["scored_from"] == 2 and len(sc["per_char"]) == len(text) - 1
    np.testing.assert_allclose(sc["per_char"], expected, atol=1e-5)
    assert sc["log_prob"] == pytest.approx(float(expected.sum()), abs=1e-4)
    assert m.score("a")["log_prob"] == 0.0 and np.isnan(m.score("a")["bits_per_char"])
    primed = rnnviz.import_torch(net.state_dict(), vocab=CHARS, task="lm", start=".")
    assert primed.first_scored == 1 and len(primed.score(text)["per_char"]) == len(text)
    np.testing.assert_allclose(primed.score(text)["per_char"],
                               stream_log_probs(primed.model, primed.vocab.encode(text),
                                                start_id=CHARS.index(".")))


def test_labels_in_the_export_are_json(tmp_path):
    torch.manual_seed(6)
    m = rnnviz.import_torch(Net(len(WORDS), 3).state_dict(), vocab=WORDS, task="tagger",
                            tokenizer="word", labels=["O", "B", "I"])
    from safetensors import safe_open
    with safe_open(str(m.export(tmp_path / "t.safetensors")), "np") as f:
        meta = f.metadata()
    assert json.loads(meta["rnnviz.labels"]) == ["O", "B", "I"]
    assert json.loads(meta["rnnviz.lowercase"]) is False
