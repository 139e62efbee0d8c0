"""Visitors never see each other's state, and one visitor's sentence follows them across pages.

Two browser contexts (two visitors, two Streamlit sessions on one server) pick different
models and sentences, both rerun at the same moment, then each moves between pages from the
menu. Each must keep its own model, sentence and charts; a third visitor who arrives
afterwards sees the defaults.
"""

from __future__ import annotations

import numpy as np
from playwright.sync_api import Page, expect
from st_dom import (
    EXCEPTION,
    MAIN,
    MODEL_LABEL,
    SIDEBAR,
    app_model,
    chart_by_key,
    choose_radio,
    go_to_page,
    radio_value,
    select_option,
    selectbox_options,
    selectbox_value,
    sentence_box,
    wait_for_charts,
)

from rnnviz_app.state import DEFAULT_SENTENCE

SENTENCE_A = "Alpha beta gamma."
SENTENCE_B = "Zebras yawn at noon!"
RANDOM_LABEL = "Random weights (choose below)"
HEATMAP = "activations.heatmap.a"


def _heatmap_keys(page: Page) -> set[str]:
    """The quantities the Activations page offers as heatmaps, a tab each (they depend on the
    cell): the tabs' labels."""
    return {t.strip() for t in page.locator(f"{MAIN} [role='tab']").all_inner_texts()}


def _snapshot(page: Page) -> dict:
    wait_for_charts(page)
    heatmap = chart_by_key(page, HEATMAP)["traces"][0]
    return {
        "model": selectbox_value(page, MODEL_LABEL, SIDEBAR),
        "sentence": sentence_box(page).input_value(),
        "x": heatmap["x"],
        "y": heatmap["y"],
        "z": heatmap["z"],
        "quantities": _heatmap_keys(page),
    }


def test_two_visitors_never_see_each_others_state(open_app, new_app_page, app_menu, wait_for_app):
    # Settings are changed on the light About page; the charts are read on Activations.
    light = app_menu["About"]
    a = open_app(light)
    b = new_app_page(light)

    # Visitor A: random weights, a GRU. Visitor B: the default model (an LSTM).
    if selectbox_value(a, MODEL_LABEL, SIDEBAR) != RANDOM_LABEL:
        assert RANDOM_LABEL in selectbox_options(a, MODEL_LABEL, SIDEBAR)
        select_option(a, MODEL_LABEL, RANDOM_LABEL, wait_for_app, SIDEBAR)
    choose_radio(a, "Cell", "GRU", wait_for_app, SIDEBAR)
    for page in (a, b):
        go_to_page(page, "Activations", wait_for_app)

    # Both type their sentence and submit at the same moment: two reruns at once.
    for page, text in ((a, SENTENCE_A), (b, SENTENCE_B)):
        sentence_box(page).fill(text)
    for page in (a, b):
        sentence_box(page).press("Control+Enter")
    for page in (a, b):
        wait_for_app(page)
    seen_a, seen_b = _snapshot(a), _snapshot(b)

    assert seen_a["sentence"] == SENTENCE_A and seen_b["sentence"] == SENTENCE_B
    assert seen_a["model"] == RANDOM_LABEL
    assert "Γr<t>" in seen_a["quantities"] and "Γf<t>" not in seen_a["quantities"]
    assert "Γf<t>" in seen_b["quantities"] and "Γr<t>" not in seen_b["quantities"]
    # Each heatmap is its own visitor's a<t>, computed by the core for that model and text.
    for seen, model, text in (
        (seen_a, app_model(RANDOM_LABEL, cell="gru"), SENTENCE_A),
        (seen_b, app_model(seen_b["model"]), SENTENCE_B),
    ):
        expected = np.asarray(model.trace(text)["a"][:, 0, :], dtype=np.float64)
        expected = expected[np.asarray(seen["y"], dtype=int)]    # the units drawn, by number
        np.testing.assert_allclose(np.array(seen["z"], dtype=np.float64), expected, atol=1e-5)

    # Each moves through the menu (same session) and comes back: nothing of the other leaks in.
    for page in (a, b):
        go_to_page(page, "About", wait_for_app)
        expect(page.locator(EXCEPTION)).to_have_count(0)
    assert sentence_box(a).input_value() == SENTENCE_A
    assert sentence_box(b).input_value() == SENTENCE_B
    for page in (b, a):
        go_to_page(page, "Activations", wait_for_app)
    assert _snapshot(a) == seen_a
    assert _snapshot(b) == seen_b
    assert radio_value(a, "Cell", SIDEBAR) == "GRU"

    # A third visitor arriving now starts from the defaults.
    c = new_app_page(light)
    assert sentence_box(c).input_value() == DEFAULT_SENTENCE
    assert selectbox_value(c, MODEL_LABEL, SIDEBAR) == seen_b["model"]

    for page in (a, b, c):
        assert page.console_errors == []
