"""Sampling at 1024 px (issue 23 item 3): every number the page shows in a metric keeps its
ends ("P(sentence) 3.62 ×…", "-95.42…" and "4.73 b…" were cut), and the step view speaks one
index: the slider's t is the t of ŷ<t> in the top-k chart's title and of a<t> in the hidden
state's (issue 23 item 6)."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from st_dom import EXCEPTION, MAIN, chart_title, slider_value, wait_for_charts

# Any element of a metric whose text is wider than its box (an ellipsis, or a clipped end).
CUT_METRICS_JS = r"""
() => Array.from(document.querySelectorAll("[data-testid='stMain'] [data-testid='stMetric']"))
  .flatMap((m) => [m, ...m.querySelectorAll("*")]
    .filter((el) => el.scrollWidth > el.clientWidth + 1 && el.textContent.trim())
    .map((el) => m.textContent.trim()))
"""


def test_sampling_numbers_keep_their_ends_and_one_index_at_1024(open_app_at_width, app_menu):
    page = open_app_at_width(app_menu["Sampling"], 1024)
    wait_for_charts(page)
    expect(page.locator(EXCEPTION)).to_have_count(0)
    values = page.locator(f"{MAIN} [data-testid='stMetricValue']")
    assert values.count() == 7            # 3 at the step, 4 for the sidebar's sentence
    assert any(re.fullmatch(r"\d\.\d\d × 10⁻[⁰¹²³⁴⁵⁶⁷⁸⁹]+", v.strip())
               for v in values.all_inner_texts())           # P(sentence), whole
    assert page.evaluate(CUT_METRICS_JS) == []
    t = int(slider_value(page, "Step t"))
    assert chart_title(page, "sampling.topk_chart").startswith(f"ŷ<{t}>:")
    notes = page.evaluate(
        "() => document.querySelector('.st-key-sampling-hidden_chart .js-plotly-plot')"
        "._fullLayout.annotations.map(a => a.text)")
    assert f"a<{t}>" in notes
    assert page.console_errors == []
