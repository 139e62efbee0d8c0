"""The Bidirectional page with an uploaded bidirectional tagger, in Chromium at 1024 px: one
exported file (vocabulary, task and labels inside) is enough; the page draws "Your model"
(a→/a←, the score split, the order of computation, the sensitivity) and nothing in those
charts collides or is cut (page_layout.measure)."""

from __future__ import annotations

import re

import numpy as np
from page_layout import measure
from playwright.sync_api import expect
from st_dom import EXCEPTION, SIDEBAR, chart_by_key, upload_panel, wait_for_charts

import rnnviz
from rnnviz.core.torch_layout import to_torch
from rnnviz_app.upload import export_bytes

CHARS = list("abcdefghijklmnopqrstuvwxyz ,.'") + ["R", "T", "I", "H"]


def test_an_uploaded_bidirectional_tagger_is_drawn_and_readable(open_app_at_width, app_menu,
                                                                wait_for_app, tmp_path):
    cfg = rnnviz.RNNConfig(cell="lstm", n_x=len(CHARS), n_a=6, n_y=3, bidirectional=True)
    sd = to_torch(cfg, rnnviz.Model.init(cfg, rng=np.random.default_rng(1)).params,
                  prefix="rnn.", head="fc.")
    model = rnnviz.import_torch(sd, vocab=CHARS, task="tagger", name="mybi",
                                labels=["other", "person", "place"])
    path = tmp_path / "mybi.safetensors"
    path.write_bytes(export_bytes(model))

    page = open_app_at_width(app_menu["Bidirectional context"], 1024)
    wait_for_charts(page)
    panel = upload_panel(page)
    panel.get_by_text("in the weights (an rnnviz export)").click()
    wait_for_app(page)
    dropzone = upload_panel(page).locator("[data-testid='stFileUploaderDropzoneInput']")
    dropzone.nth(0).set_input_files(str(path))
    wait_for_app(page)
    upload_panel(page).get_by_role("button", name="Load model").click()
    wait_for_app(page)
    expect(page.locator(SIDEBAR).get_by_role("combobox", name="Model", exact=True).first
           ).to_have_value(re.compile("^mybi"), timeout=30_000)
    wait_for_app(page)
    wait_for_charts(page)
    expect(page.locator(EXCEPTION)).to_have_count(0)
    expect(page.get_by_role("heading", name=re.compile("^Your model: mybi"))).to_be_visible()

    sentence = page.locator(SIDEBAR).locator("textarea").first.input_value()
    tr = model.trace(sentence)
    z = np.array(chart_by_key(page, "bidirectional.your_directions")["traces"][1]["z"],
                 dtype=float)
    np.testing.assert_allclose(z, tr["a_bwd"][:, 0, :], rtol=1e-5, atol=1e-6)
    found = measure(page)
    problems = found["chart_text"] + found["tables"] + found["overflow"]
    assert problems == [], "\n".join(problems)
    assert found["katex_errors"] == 0
    assert page.console_errors == []
