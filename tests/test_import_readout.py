"""The export records what a classifier's head reads (`RNNConfig.readout`) and the import
honours it: an rnnviz-trained bidirectional classifier reading [a→<T_x>; a←<T_x>] ("step")
comes back reading that, not torch's h_n; a file without the record (a torch user's) reads h_n.
No torch needed: rnnviz -> .safetensors -> rnnviz."""

import json

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

import rnnviz
from rnnviz.core.model import Model, RNNConfig
from rnnviz.models.imported import TokenVocab, export_state_dict
from rnnviz.models.inuse import Classifier

CHARS = list("abcdefgh .")
LABELS = ["neg", "neu", "pos"]
TEXTS = ["fed a bead. ache", "a cab", "hhh. gag"]
CELLS = [("lstm", "course"), ("gru", "torch"), ("rnn", "course")]


def classifier(cell, variant, readout, seed=4):
    """A bidirectional classifier as rnnviz trains one, random weights, float32."""
    cfg = RNNConfig(cell=cell, variant=variant, n_x=len(CHARS), n_a=6, n_y=len(LABELS),
                    bidirectional=True, head="many_to_one", readout=readout, dtype="float32")
    model = Model.init(cfg, rng=np.random.default_rng(seed))
    model.params["by"][:] = 0.3 * np.arange(len(LABELS))[:, None]
    return Classifier("mine", model, TokenVocab(CHARS, kind="char"), {"kind": "classifier"},
                      output_labels=LABELS, source="trained")


@pytest.mark.parametrize("readout", ["step", "h_n"])
@pytest.mark.parametrize(("cell", "variant"), CELLS, ids=[c for c, _ in CELLS])
def test_a_classifiers_readout_survives_the_round_trip(cell, variant, readout, tmp_path):
    m = classifier(cell, variant, readout)
    path = m.export(tmp_path / "mine.safetensors")
    with safe_open(str(path), framework="numpy") as f:
        assert f.metadata()["rnnviz.readout"] == readout
    again = rnnviz.import_torch(path, task="classifier", tokenizer=None)
    assert again.config.readout == readout
    assert again.labels == LABELS
    for text in TEXTS:
        np.testing.assert_allclose(again.predict(text), m.predict(text), atol=1e-6)
    # the readout matters on this model: the other one predicts something else
    other = classifier(cell, variant, "h_n" if readout == "step" else "step")
    assert not np.allclose(other.predict(TEXTS[0]), m.predict(TEXTS[0]), atol=1e-3)


def test_a_file_without_the_record_reads_h_n(tmp_path):
    """A torch user's file (no rnnviz metadata), and an rnnviz export of something that is
    not a classifier imported as one, read h_n as torch users' classifiers do."""
    m = classifier("lstm", "course", "step")
    sd, meta = export_state_dict(m)
    save_file(sd, str(tmp_path / "plain.safetensors"))
    plain = rnnviz.import_torch(tmp_path / "plain.safetensors", vocab=CHARS, task="classifier",
                                labels=LABELS)
    assert plain.config.readout == "h_n"
    h_n = classifier("lstm", "course", "h_n")
    np.testing.assert_allclose(plain.predict(TEXTS[0]), h_n.predict(TEXTS[0]), atol=1e-6)
    tagger_meta = {**meta, "rnnviz.task": "tagger"}
    save_file(sd, str(tmp_path / "tagger.safetensors"), metadata=tagger_meta)
    assert rnnviz.import_torch(tmp_path / "tagger.safetensors", task="classifier",
                               labels=LABELS).config.readout == "h_n"


def test_an_unknown_readout_in_the_metadata_is_a_clear_error(tmp_path):
    sd, meta = export_state_dict(classifier("lstm", "course", "step"))
    save_file(sd, str(tmp_path / "odd.safetensors"), metadata={**meta, "rnnviz.readout": "median"})
    with pytest.raises(ValueError, match="rnnviz.readout is 'median'"):
        rnnviz.import_torch(tmp_path / "odd.safetensors", task="classifier")
    assert json.loads(meta["rnnviz.labels"]) == LABELS
