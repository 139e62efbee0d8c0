"""The upload panel in a browser: a file of a type rnnviz does not read is what "Load model"
looks at (never the previous file), with a plain message saying what is not accepted; and an
rnnviz export uploaded alone (Vocabulary "in the weights") brings the model back with its
settings, as after a page reload."""

from __future__ import annotations

import json
import re

import pytest
from core.torch_support import import_torch
from playwright.sync_api import expect
from st_dom import EXCEPTION, SIDEBAR, selectbox_value, upload_panel, wait_for_charts

import rnnviz

torch = import_torch()
from safetensors.torch import save_file  # noqa: E402

VOCAB = list("abcdefghijklmnopqrstuvwxyz .,'") + ["R", "T", "I"]
ERROR = "[data-testid='stAlertContentError']"
SUCCESS = "[data-testid='stAlertContentSuccess']"


@pytest.fixture
def user_files(tmp_path):
    torch.manual_seed(3)
    net = torch.nn.Module()
    net.emb = torch.nn.Embedding(len(VOCAB), 4)
    net.rnn = torch.nn.LSTM(4, 5)
    net.fc = torch.nn.Linear(5, len(VOCAB))
    save_file(net.state_dict(), str(tmp_path / "mylstm.safetensors"))
    (tmp_path / "vocab.json").write_text(json.dumps(VOCAB), encoding="utf-8")
    (tmp_path / "model.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    (tmp_path / "weights.bin").write_bytes(bytes(64))
    m = rnnviz.import_torch(net.state_dict(), vocab=VOCAB, task="lm", start=" ",
                            name="again")
    m.export(tmp_path / "again.safetensors")
    return tmp_path


def _choose(page, index, path, wait_for_app):
    panel = upload_panel(page)
    panel.locator("[data-testid='stFileUploaderDropzoneInput']").nth(index).set_input_files(
        str(path))
    wait_for_app(page)
    return panel


def _load(page, wait_for_app):
    upload_panel(page).get_by_role("button", name="Load model").click()
    wait_for_app(page)


def test_a_file_type_not_read_is_named_and_the_previous_file_is_not_loaded(
        open_app, app_menu, wait_for_app, user_files):
    page = open_app(app_menu["Activations"])
    wait_for_charts(page)
    _choose(page, 0, user_files / "mylstm.safetensors", wait_for_app)
    _choose(page, 1, user_files / "vocab.json", wait_for_app)
    _load(page, wait_for_app)
    expect(page.locator(SIDEBAR).locator(SUCCESS)).to_contain_text("Loaded mylstm")
    loaded = selectbox_value(page, "Model", SIDEBAR)
    assert loaded.startswith("mylstm: LSTM")

    # A Keras file: no "files are not allowed" from the uploader, and Load reads *it*
    panel = _choose(page, 0, user_files / "model.h5", wait_for_app)
    expect(panel.locator("[data-testid='stFileUploader']").first).to_contain_text("model.h5")
    expect(panel).not_to_contain_text("not allowed")
    _load(page, wait_for_app)
    err = page.locator(SIDEBAR).locator(ERROR)
    expect(err).to_contain_text("model.h5 is a Keras file")
    expect(err).to_contain_text("recurrent_kernel is weight_hh_l0")
    expect(page.locator(SIDEBAR).locator(SUCCESS)).to_have_count(0)
    assert selectbox_value(page, "Model", SIDEBAR) == loaded       # the session keeps it

    # Any other type: said plainly, nothing loaded
    _choose(page, 0, user_files / "weights.bin", wait_for_app)
    _load(page, wait_for_app)
    expect(page.locator(SIDEBAR).locator(ERROR)).to_contain_text(
        re.compile(r"weights\.bin: \.bin is not accepted; the weights must be one of "
                   r"\.safetensors, \.npz"))
    assert page.locator(EXCEPTION).count() == 0


def test_an_export_alone_brings_the_model_back(open_app, app_menu, wait_for_app, user_files):
    page = open_app(app_menu["Activations"])
    wait_for_charts(page)
    panel = upload_panel(page)
    expect(panel).to_contain_text("A reload of the page drops an uploaded model")
    panel.get_by_text("in the weights (an rnnviz export)").click()
    wait_for_app(page)
    _choose(page, 0, user_files / "again.safetensors", wait_for_app)
    _load(page, wait_for_app)
    expect(page.locator(SIDEBAR).locator(SUCCESS)).to_contain_text("Loaded again")
    assert selectbox_value(page, "Model", SIDEBAR).startswith("again: LSTM")
    expect(upload_panel(page).get_by_role("button", name="Download it as one file")
           ).to_be_visible()
    assert page.locator(EXCEPTION).count() == 0
