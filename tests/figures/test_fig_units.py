"""Figures of the Units page, checked on their data (no Streamlit, no browser)."""

import re

import numpy as np
import pandas as pd
import pytest
from _fig_spec import spec, strings

from rnnviz import units as U
from rnnviz.figures import units as F
from rnnviz.models import random_model

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>window.pwned = 1</script>",
    "a *b* _c_ $x$ :red[y] `z` ![i](http://x)",
    "He said 😀 \u202eTeddy\u202c مرحبا \x00\x07\tend\n",
]


def decode_entities(s: str) -> str:
    return re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), s)


def lm(cell, n_a=8, seed=0):
    return random_model(cell=cell, n_a=n_a, seed=seed, init_scale=1.5, dtype="float64")


def test_best_r_bars_are_the_tables_abs_r():
    text = "Return (a copy) of the list.\nThe f(x) adds 42 items.\n" * 3
    models = {f"char-lm-{c}": lm(c) for c in ("rnn", "gru", "lstm")}
    table = U.best_units({n: U.corpus_trace(m, text, ("a",)) for n, m in models.items()},
                         dict.fromkeys(models, "a"))
    s = spec(F.best_r_figure(table))
    assert [d["name"] for d in s["data"]] == [f"char-lm-{c} (a&lt;t&gt;)"
                                              for c in ("rnn", "gru", "lstm")]
    colours = [d["marker"]["color"] for d in s["data"]]
    assert len(set(colours)) == 3
    for d in s["data"]:
        rows = table[table.model == d["name"].split(" ")[0]].set_index("feature")
        assert d["orientation"] == "h" and list(d["y"]) == list(rows.index)
        np.testing.assert_allclose(d["x"], np.abs(rows.score.fillna(0)), atol=1e-6)
        np.testing.assert_array_equal(np.asarray(d["customdata"])[:, 0], rows.unit)


@pytest.mark.parametrize("text", HOSTILE)
def test_painted_text_escapes_everything_and_keeps_the_values(text):
    values = np.linspace(-1, 1, len(text))
    spans = [(i, i + 1) for i in range(len(text))]
    out = F.painted_text_html(text, spans, values, label="a<t>[3]")
    assert "<img" not in out and "<script" not in out and "*b*" not in out
    titles = [decode_entities(t) for t in re.findall(r"title='([^']*)'", out)]
    assert len(titles) == len(text)
    for t, (title, v) in enumerate(zip(titles, values, strict=True)):
        assert title.startswith(f"t={t + 1} ") and title.endswith(f"a<t>[3] = {v:.3f}")
    # Positive values red, negative blue, the alpha = |v| / max|v|.
    colours = re.findall(r"background:rgba\((\d+),(\d+),(\d+),([0-9.]+)\)", out)
    assert colours[0][:3] == ("31", "119", "180") and float(colours[0][3]) == pytest.approx(1)
    assert colours[-1][:3] == ("214", "39", "40") and float(colours[-1][3]) == pytest.approx(1)


def test_units_over_time_draws_the_selected_units():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(10, 12))
    labels = list("hello world!")
    s = spec(F.units_over_time_figure(values, labels, [2, 7], 3, 5, 0.3, key="c"))
    lines = [d for d in s["data"] if d.get("name")]
    assert [d["name"] for d in lines] == ["unit 2", "unit 7"]
    np.testing.assert_allclose(lines[1]["y"], values[7], rtol=1e-6)
    rect, thr = s["layout"]["shapes"]
    assert (rect["x0"], rect["x1"]) == (2.5, 5.5) and thr["y0"] == thr["y1"] == 0.3
    assert s["layout"]["yaxis"]["title"]["text"] == "c&lt;t&gt;"
    assert "title" not in s["layout"]                 # the page writes it above the chart
    empty = spec(F.units_over_time_figure(values, labels, [], 3, 5, 0.3))
    assert not empty["layout"]["showlegend"]


@pytest.mark.parametrize("T, label", [(12, "a"), (39, "a"), (120, "ab"), (45, "word")])
def test_tick_labels_leave_room_for_each_other(T, label):
    """Issue 23 item 3: at 1024 px the span chart's letters overlapped. Every k-th step is
    labelled, k the smallest that gives each label its width in the narrowest plot."""
    labels = [label] * T
    ticks = F.spaced_ticks(labels)
    k = int(ticks[1] - ticks[0]) if len(ticks) > 1 else T
    need = len(label) * F.CHAR_PX + 10
    assert k * F.PLOT_PX / T >= need                          # room for each label
    assert k == 1 or (k - 1) * F.PLOT_PX / T < need           # and no sparser than needed
    assert ticks[0] == 1 and np.all(np.diff(ticks) == k)
    s = spec(F.units_over_time_figure(np.zeros((2, T)), labels, [0], 1, 1, 0.3))
    assert list(s["layout"]["xaxis"]["tickvals"]) == ticks.tolist()


@pytest.mark.parametrize("text", HOSTILE)
def test_matches_html_highlights_the_span_escaped(text):
    corpus = "before " + text + " after"
    a = corpus.index(text)
    res = pd.DataFrame({"start": [a + 1], "end": [a + len(text)], "score": [0.5],
                        "length": [len(text)], "others": [1], "char_start": [a],
                        "char_end": [a + len(text)]})
    out = F.matches_html(corpus, res)
    assert "<img" not in out and "<script" not in out
    marked = re.findall(r"rgba\(255,200,0,0.6\);border-radius:2px'>(.*?)</span>", out)
    assert [decode_entities(m) for m in marked] == [text.replace("\n", "↵")]
    assert f"t = {a + 1}…{a + len(text)}" in decode_entities(out)


def test_comparison_figure_is_the_distance_and_the_top_units():
    m = lm("gru", n_a=6)
    a, b = U.PRESETS["Agreement (cat ... was / cats ... were)"]
    cmp = U.compare_texts(m, a, b)
    s = spec(F.comparison_figure(cmp, n_units=2))
    np.testing.assert_allclose(s["data"][0]["y"], cmp.distance, rtol=1e-5, equal_nan=True)
    assert np.isnan(s["data"][0]["y"][7])                   # the "s" of "cats": no partner
    u = int(cmp.top.unit.iloc[0])
    assert s["data"][1]["name"] == f"unit {u}, A" and s["data"][2]["name"] == f"unit {u}, B"
    ya = [cmp.values_a[u, i] if i is not None else np.nan for i, _ in cmp.pairs]
    np.testing.assert_allclose(s["data"][1]["y"], ya, rtol=1e-5, equal_nan=True)
    hostile = U.compare_texts(m, HOSTILE[0], HOSTILE[1])
    assert "<img" not in " ".join(strings(spec(F.comparison_figure(hostile))))


def test_saturation_scatter_one_panel_per_model():
    text = "Return (a copy) of the list.\nThe f(x) adds 42 items.\n" * 3
    models = {f"char-lm-{c}": lm(c) for c in ("rnn", "gru", "lstm")}
    sats = {n: U.gate_saturation(m, U.corpus_trace(m, text, U.saturation_keys(m)))
            for n, m in models.items()}
    s = spec(F.saturation_scatter(sats))
    dots = [d for d in s["data"] if d["mode"] == "markers"]
    assert len(dots) == 1 + 2 + 3                             # a; Γu Γr; Γf Γu Γo
    lstm_f = [d for d in dots if d["xaxis"] == "x3" and d["name"] == "Γf&lt;t&gt;"]
    assert len(lstm_f) == 1
    rows = sats["char-lm-lstm"][sats["char-lm-lstm"].quantity == "gamma_f"]
    np.testing.assert_allclose(lstm_f[0]["x"], rows.below, rtol=1e-6)
    np.testing.assert_allclose(lstm_f[0]["y"], rows.above, rtol=1e-6)
    assert {d["xaxis"] for d in s["data"]} == {"x", "x2", "x3"}


def test_selected_html_names_each_step_and_escapes_it():
    labels = ["a", "<b>", " ", "'q'", "z"]
    html = F.selected_html(labels, 2, 4)
    assert html.startswith("<div style='font-size:0.9rem;color:#555'>Selected: ")
    assert "<b>" not in html and "&#60;" in html                     # user text is escaped
    text = re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), html[html.index(": ") + 2:-6])
    assert text.startswith("t=2 <b> t=3 ") and "t=4 " in text and "t=5" not in text
    assert "t=1 " not in text
    long = F.selected_html(["x" * 50] * 20, 1, 20, limit=60)
    shown = re.sub(r"&#(\d+);", "c", long[long.index(": ") + 2:-6])
    assert len(shown) == 60
