"""Issue 12: what each page sends for the default sentence stays within the budget of an
edit (≤ 150 kB over the websocket), and the CSV downloads hold the page's numbers.

The bytes are those of every element the page draws (their protobuf sizes, as Streamlit
sends them when the browser holds none of them yet: a new sentence), measured with AppTest;
benchmarks/browser.py measures the websocket in Chromium.
"""

import io

import numpy as np
import pandas as pd
import pytest
from _page_support import open_page

from rnnviz_app.shell import PAGES
from rnnviz_app.state import DEFAULT_SENTENCE

BUDGET_KB = 140          # elements only; the websocket adds ~0.1 kB per message (≤ 110 messages)


def _element_bytes(node) -> list[tuple[int, str]]:
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        return [b for child in children.values() for b in _element_bytes(child)]
    proto = getattr(node, "proto", None)
    return [] if proto is None else [(proto.ByteSize(), getattr(node, "key", None) or node.type)]


@pytest.fixture(scope="module")
def pages(request):
    mp = pytest.MonkeyPatch()
    request.addfinalizer(mp.undo)
    at = open_page(mp, PAGES[0].path)
    out = {}
    for page in PAGES:
        at.switch_page(page.path)
        at.run()
        assert not at.exception, (page.title, at.exception)
        out[page.title] = sorted(_element_bytes(at._tree), reverse=True)
    return out


@pytest.mark.parametrize("title", [p.title for p in PAGES])
def test_each_page_sends_at_most_the_budget_for_a_new_sentence(pages, title):
    sizes = pages[title]
    total_kb = sum(n for n, _ in sizes) / 1000
    assert total_kb <= BUDGET_KB, f"{title}: {total_kb:.0f} kB, biggest {sizes[:4]}"
    assert total_kb > 1.5, f"{title}: {total_kb:.1f} kB is not a drawn page"  # ~ the sidebar


def test_the_light_pages_are_light_and_the_chart_pages_send_their_charts(pages):
    kb = {t: sum(n for n, _ in s) / 1000 for t, s in pages.items()}
    assert kb["About"] < 15
    for title in ("Activations", "Forward pass", "Backward pass (BPTT)"):
        assert kb[title] > 2 * kb["About"], title            # the charts are really there


def test_the_csv_downloads_hold_the_trace_and_the_gradients():
    import rnnviz_app as ui
    from rnnviz.models import ModelSpec
    from rnnviz_app.loaders import get_csv
    from rnnviz_app.state import DEFAULT_PRETRAINED

    spec = ModelSpec(name=DEFAULT_PRETRAINED)
    trace = ui.get_trace(spec, DEFAULT_SENTENCE)
    frame = pd.read_csv(io.BytesIO(get_csv(spec, DEFAULT_SENTENCE)))
    rows = frame[frame.quantity == "gamma_f"].sort_values(["t", "unit"])
    np.testing.assert_allclose(rows.value.to_numpy().reshape(trace.T_x, -1),
                               trace.rows["gamma_f"][:, 0, :], rtol=1e-6, atol=1e-7)
    btrace = ui.get_backward(spec, DEFAULT_SENTENCE, "all").btrace
    grads = pd.read_csv(io.BytesIO(get_csv(spec, DEFAULT_SENTENCE, "all")))
    assert set(grads.quantity) == set(btrace.keys())
    rows = grads[grads.quantity == "da"].sort_values(["t", "unit"])
    np.testing.assert_allclose(rows.value.to_numpy().reshape(btrace.T_x, -1),
                               btrace.rows["da"][:, 0, :], rtol=1e-6, atol=1e-9)
    assert btrace.T_x == trace.T_x - 1 == len(DEFAULT_SENTENCE) - 1   # y<t> = x<t+1>
