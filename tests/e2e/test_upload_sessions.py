"""Two visitors upload the same weights with different settings: each sees its own reading.

The reading cache is shared by the whole server, so a session model's cache name must cover
every setting that changes a reading. Visitor A imports the file with the char tokenizer and
no start token, visitor B the same file with the word tokenizer and a start token. Each must
see its own T_x, its own a<t> and its own first prediction, before and after the other types.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from core.torch_support import import_torch
from playwright.sync_api import Page, expect
from st_dom import (
    EXCEPTION,
    MAIN,
    SIDEBAR,
    chart_by_key,
    choose_radio,
    set_sentence,
    upload_panel,
    wait_for_charts,
)

import rnnviz

torch = import_torch()
from safetensors.torch import save_file  # noqa: E402

# Words and the characters they are made of: the two tokenizers read a text differently.
VOCAB = ["the", "cat", "cats", "sat", "is", "here", ".", " ", *"thecasirx", "<s>"]
FIRST = "the cat sat."
SECOND = "the cats is here."
SETTINGS = {"A": {"tokenizer": "char", "start": None},
            "B": {"tokenizer": "word", "start": "<s>"}}


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(len(VOCAB), 4)
        self.rnn = torch.nn.LSTM(4, 6)
        self.fc = torch.nn.Linear(6, len(VOCAB))


@pytest.fixture
def files(tmp_path):
    torch.manual_seed(11)
    save_file(Net().state_dict(), str(tmp_path / "shared.safetensors"))
    (tmp_path / "vocab.json").write_text(json.dumps(VOCAB), encoding="utf-8")
    return tmp_path


def _upload(page: Page, files, tokenizer: str, start: str | None, wait) -> None:
    panel = upload_panel(page)
    wait(page)                  # the run that opening the panel started has drawn its form
    uploaders = panel.locator("[data-testid='stFileUploaderDropzoneInput']")
    for i, name in enumerate(("shared.safetensors", "vocab.json")):
        uploaders.nth(i).set_input_files(str(files / name))
        expect(panel.get_by_text(name, exact=True)).to_be_visible(timeout=30_000)   # uploaded
        wait(page)
    choose_radio(page, "Tokenizer", tokenizer, wait, SIDEBAR)
    if start:
        box = upload_panel(page).get_by_label("Start token (optional)", exact=True).and_(
            page.locator("input"))
        box.fill(start)
        box.press("Enter")
        wait(page)
    upload_panel(page).get_by_role("button", name="Load model").click()
    expect(page.locator(SIDEBAR).get_by_role("combobox", name="Model", exact=True).first
           ).to_have_value(re.compile("^shared: LSTM"), timeout=30_000)
    wait(page)
    wait_for_charts(page)


def _seen(page: Page) -> dict:
    wait_for_charts(page)
    caption = page.locator(MAIN).get_by_text(re.compile(r"^T_x = \d+ steps")).first.inner_text()
    heat = chart_by_key(page, "activations.heatmap.a")["traces"][0]
    top = chart_by_key(page, "activations.topk")["traces"][0]
    return {"T_x": int(re.match(r"T_x = (\d+)", caption).group(1)),
            "a": np.array(heat["z"], dtype=np.float64), "units": heat["y"],
            "p1": float(top["z"][0][0])}


def _expected(files, who: str, text: str) -> dict:
    model = rnnviz.import_torch(files / "shared.safetensors", vocab=files / "vocab.json",
                                task="lm", **SETTINGS[who])
    trace = model.trace(text)
    return {"T_x": trace["a"].shape[2], "a": np.asarray(trace["a"][:, 0, :], dtype=np.float64),
            "p1": float(np.max(trace["y_hat"][:, 0, 0]))}


def _check(page: Page, files, who: str, text: str) -> None:
    seen, want = _seen(page), _expected(files, who, text)
    assert seen["T_x"] == want["T_x"], (who, seen["T_x"], want["T_x"])
    np.testing.assert_allclose(seen["a"], want["a"][np.asarray(seen["units"], dtype=int)],
                               atol=1e-5)
    assert abs(seen["p1"] - want["p1"]) < 1e-3, (who, seen["p1"], want["p1"])


def test_two_visitors_upload_one_file_with_different_settings(open_app, new_app_page, app_menu,
                                                              wait_for_app, files):
    a = open_app(app_menu["Activations"])
    b = new_app_page(app_menu["Activations"])
    for page in (a, b):
        set_sentence(page, FIRST, wait_for_app)

    _upload(a, files, "char", None, wait_for_app)
    _check(a, files, "A", FIRST)
    _upload(b, files, "word", "<s>", wait_for_app)
    _check(b, files, "B", FIRST)
    # The two readings of one text differ, so the checks above could tell them apart.
    assert _expected(files, "A", FIRST)["T_x"] == len(FIRST)
    assert _expected(files, "B", FIRST)["T_x"] == 4

    # Under one shared cache, B's reading must not have replaced A's, nor A's B's.
    set_sentence(a, SECOND, wait_for_app)
    _check(a, files, "A", SECOND)
    # Each types a sentence the other has read; the other's reading stays its own.
    set_sentence(b, SECOND, wait_for_app)
    _check(b, files, "B", SECOND)
    set_sentence(a, FIRST, wait_for_app)
    _check(a, files, "A", FIRST)
    set_sentence(b, FIRST, wait_for_app)
    _check(b, files, "B", FIRST)

    for page in (a, b):
        expect(page.locator(EXCEPTION)).to_have_count(0)
        assert page.console_errors == []
