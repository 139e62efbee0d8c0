"""Your model, in a browser: a torch model saved the way users save it (state_dict ->
.safetensors, vocabulary -> JSON) is uploaded through the sidebar's "Your model…" panel, and
the Activations page draws it: the plotted heatmap is the imported model's own trace, and the
imported torch module's own hidden states."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from core.torch_support import import_torch
from playwright.sync_api import expect
from st_dom import (
    EXCEPTION,
    SIDEBAR,
    chart_by_key,
    selectbox_value,
    upload_panel,
    wait_for_charts,
)

import rnnviz

torch = import_torch()
from safetensors.torch import save_file  # noqa: E402

VOCAB = list("abcdefghijklmnopqrstuvwxyz .,'") + ["R", "T", "I"]
SENTENCE = "Return the number of items in the list."


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(len(VOCAB), 5)
        self.rnn = torch.nn.GRU(5, 6, num_layers=2)
        self.fc = torch.nn.Linear(6, len(VOCAB))


@pytest.fixture
def user_files(tmp_path):
    torch.manual_seed(5)
    net = Net()
    save_file(net.state_dict(), str(tmp_path / "mygru.safetensors"))
    (tmp_path / "vocab.json").write_text(json.dumps(VOCAB), encoding="utf-8")
    (tmp_path / "broken.safetensors").write_bytes(b"\x00" * 3)
    return net, tmp_path


def test_an_uploaded_model_draws_on_the_activations_page(open_app, app_menu, wait_for_app,
                                                         user_files):
    net, files = user_files
    page = open_app(app_menu["Activations"])
    wait_for_charts(page)
    before = selectbox_value(page, "Model", SIDEBAR)

    # Bad input first: a clear message, and the session keeps its model.
    panel = upload_panel(page)
    uploaders = panel.locator("[data-testid='stFileUploaderDropzoneInput']")
    uploaders.nth(0).set_input_files(str(files / "broken.safetensors"))
    wait_for_app(page)
    uploaders.nth(1).set_input_files(str(files / "vocab.json"))
    wait_for_app(page)
    panel.get_by_role("button", name="Load model").click()
    wait_for_app(page)
    expect(page.locator(SIDEBAR).locator("[data-testid='stAlertContentError']")).to_contain_text(
        "broken.safetensors is not a safetensors file")
    assert selectbox_value(page, "Model", SIDEBAR) == before

    # The real file: the model picker switches to it and the page draws it.
    panel = upload_panel(page)
    uploaders = panel.locator("[data-testid='stFileUploaderDropzoneInput']")
    uploaders.nth(0).set_input_files(str(files / "mygru.safetensors"))
    wait_for_app(page)
    panel.get_by_role("button", name="Load model").click()
    expect(page.locator(SIDEBAR).get_by_role("combobox", name="Model", exact=True).first
           ).to_have_value(re.compile("^mygru: GRU, 2 layers"), timeout=30_000)
    wait_for_app(page)
    wait_for_charts(page)
    assert page.locator(EXCEPTION).count() == 0
    assert "mygru" in selectbox_value(page, "Model", SIDEBAR)
    expect(page.locator(SIDEBAR)).to_contain_text("Loaded mygru")

    mine = rnnviz.import_torch(files / "mygru.safetensors", vocab=files / "vocab.json",
                               task="lm")
    expected = mine.trace(SENTENCE)["a"][:, 0, :]                  # (n_a, T_x)
    z = np.array(chart_by_key(page, "activations.heatmap.a")["traces"][0]["z"], dtype=float)
    assert z.shape == expected.shape == (6, len(SENTENCE))
    np.testing.assert_allclose(z, expected, rtol=1e-5, atol=1e-6)
    # and that is torch's own top layer reading the same characters
    ids = torch.tensor([VOCAB.index(c) if c in VOCAB else -1 for c in SENTENCE])
    known = ids >= 0
    assert known.all(), "the test sentence must be inside the vocabulary"
    with torch.no_grad():
        h = net.rnn(net.emb(ids)[:, None])[0][:, 0].numpy().T
    np.testing.assert_allclose(z, h, atol=1e-5)
