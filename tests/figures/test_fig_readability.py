"""What a learner sees at 1024 px (issue 14): every character of the sentence under the
charts, controls below the labels, readable cells, valid colours, decade-only log axes and a
cell diagram whose boxes never overlap. Checked on the figures' data and layout."""

import itertools
import math
import re

import numpy as np
import pytest
from _fig_spec import spec
from _traces import VOCAB, make

from rnnviz.core import analysis as A
from rnnviz.figures import (
    activations,
    backward,
    bidirectional,
    forward,
    sampling,
    training,
    vanishing,
)
from rnnviz.figures import types as types_figs
from rnnviz.figures.colours import PROBABILITY
from rnnviz.figures.safe_text import visible_token

LEARNER = "The cats, which already ate a lot, were full."
VISIBLE = "".join(visible_token(c) for c in LEARNER)


def _axis(s, name):
    return s["layout"][name]


# -- item 4: every character under the charts ------------------------------------------------


def test_forty_five_characters_are_all_labelled_on_the_bptt_and_norm_charts():
    model, trace, targets = make("lstm", text=LEARNER, n_a=4)
    _, _, bt = model.backward(trace, targets)
    keys = backward.grad_keys(bt)
    for fig, ax in ((backward.bptt_figure(bt, keys), f"xaxis{len(keys)}"),
                    (backward.grad_norm_figure(bt), "xaxis"),
                    (backward.loss_figure(trace, targets, VOCAB.itos), "xaxis"),
                    (activations.heatmap_figure(trace, "a"), "xaxis"),
                    (activations.onehot_figure(trace, VOCAB.itos), "xaxis")):
        x = _axis(spec(fig), ax)
        assert "".join(x["ticktext"]) == VISIBLE, (ax, x["ticktext"])
        assert len(x["tickvals"]) == len(LEARNER)
        assert "every" not in x.get("title", {}).get("text", "")


def test_the_narrow_forward_heatmap_decimates_on_purpose_and_says_so():
    _, trace, _ = make("rnn", text=LEARNER, n_a=3)
    x = _axis(spec(forward.forward_figure(trace, VOCAB.itos)), "xaxis2")
    # Every 2nd step, regularly: t = 1, 3, 5, ... with its own character.
    assert x["tickvals"] == list(range(1, len(LEARNER) + 1, 2))
    assert "".join(x["ticktext"]) == VISIBLE[::2]
    assert "every 2nd step labelled" in x["title"]["text"]


def test_three_hundred_characters_label_every_kth_step_and_say_so():
    text = "abcdefghij" * 30
    model, trace, targets = make("gru", text=text, n_a=3)
    _, _, bt = model.backward(trace, targets)
    x = _axis(spec(backward.grad_norm_figure(bt)), "xaxis")
    stride = x["tickvals"][1] - x["tickvals"][0]
    assert stride == math.ceil(300 / 60) == 5
    assert np.all(np.diff(x["tickvals"]) == stride)
    assert x["ticktext"] == [text[i] for i in range(0, 300, stride)]
    assert "every 5th step labelled" in x["title"]["text"] and "300" in x["title"]["text"]


# -- item 7: Play/Pause and the slider below the token labels ---------------------------------

LABELS_PX, TITLE_PX, CONTROLS_PX = 24, 22, 70      # independent estimates, in pixels


def _below_plot_px(lay, ax):
    """How far the tick labels (and title) of x axis `ax` reach below the plot area."""
    x = lay[ax]
    if x.get("visible") is False:
        return 0
    band = (LABELS_PX if not x.get("tickangle") else 50) if x.get("showticklabels", True) \
        else 0
    band += TITLE_PX if x.get("title") else 0
    y_dom = lay["yaxis" + ax[5:]].get("domain", [0, 1])
    plot_h = lay["height"] - lay["margin"]["t"] - lay["margin"]["b"]
    return band - y_dom[0] * plot_h


def _check_controls(s):
    lay = s["layout"]
    plot_h = lay["height"] - lay["margin"]["t"] - lay["margin"]["b"]
    labels = max(_below_plot_px(lay, ax) for ax in lay if re.fullmatch(r"xaxis\d*", ax))
    for ctrl in lay["updatemenus"] + lay["sliders"]:
        assert ctrl["yanchor"] == "top"
        top = -ctrl["y"] * plot_h                          # px below the plot area
        assert top >= labels - 1, (top, labels)            # not on the labels
        assert top + CONTROLS_PX <= lay["margin"]["b"]      # inside the figure
    menu, slider = lay["updatemenus"][0], lay["sliders"][0]
    assert menu["y"] == slider["y"]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_bptt_controls_do_not_cover_the_token_labels(cell):
    model, trace, targets = make(cell, text=LEARNER, n_a=4)
    _, _, bt = model.backward(trace, targets)
    keys = backward.grad_keys(bt)
    for ks in (keys, keys[:1]):
        _check_controls(spec(backward.bptt_figure(bt, ks)))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_forward_controls_do_not_cover_the_axis_labels(cell):
    _, trace, _ = make(cell, text=LEARNER, n_a=4)
    _check_controls(spec(forward.forward_figure(trace, VOCAB.itos)))


# -- item 1: the cell diagram keeps its proportions; no box overlaps another -----------------

MAIN_AT_1024 = 564          # px of the main column at a 1024 px window with the sidebar open
                            # (measured in Chromium: the Forward chart's width)


def _rects(s):
    """(name, x0, x1, y0, y1) of every box trace and every operator circle."""
    out = []
    for d in s["data"]:
        if str(d.get("name", "")).startswith("box "):
            out.append((d["name"], min(d["x"]), max(d["x"]), min(d["y"]), max(d["y"])))
    for sh in s["layout"]["shapes"]:
        if sh["type"] == "circle":
            out.append(("op", sh["x0"], sh["x1"], sh["y0"], sh["y1"]))
    return out


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_no_two_boxes_of_the_cell_diagram_overlap_and_their_text_fits(cell):
    _, trace, _ = make(cell, n_a=4)
    s = spec(forward.forward_figure(trace, VOCAB.itos, unit=1))
    lay = s["layout"]
    # y is scaled like x: the diagram keeps its proportions at any width.
    assert lay["yaxis"]["scaleanchor"] == "x" and lay["yaxis"]["scaleratio"] == 1
    rects = _rects(s)
    assert len([r for r in rects if r[0] != "op"]) == len(forward._DIAGRAMS[cell]["nodes"]) - \
        sum(v[2] in ("op", "input", "output") for v in forward._DIAGRAMS[cell]["nodes"].values())
    for a, b in itertools.combinations(rects, 2):
        apart = a[2] <= b[1] or b[2] <= a[1] or a[4] <= b[3] or b[4] <= a[3]
        assert apart, (a, b)
    # Every label fits in its box at 1024 px: ~0.6 em a character, 1.25 em a line.
    x_range = lay["xaxis"]["range"]
    dom = lay["xaxis"]["domain"]
    px_per_unit = (MAIN_AT_1024 - lay["margin"]["l"] - lay["margin"]["r"]) * (dom[1] - dom[0]) \
        / (x_range[1] - x_range[0])
    # y is scaled like x: the smaller of the two scales holds (the page's chart, without
    # Plotly's own controls, keeps the same plot height).
    y_range, y_dom = lay["yaxis"]["range"], lay["yaxis"]["domain"]
    plot_h = lay["height"] - lay["margin"]["t"] - lay["margin"]["b"]
    px_per_unit = min(px_per_unit, plot_h * (y_dom[1] - y_dom[0]) / (y_range[1] - y_range[0]))
    assert px_per_unit >= 35, px_per_unit
    text = next(d for d in s["data"] if d.get("name") == "node labels")
    font = text["textfont"]["size"]
    boxes = [r for r in rects if r[0] != "op"]
    for label, box in zip(text["text"], boxes, strict=False):
        lines = [re.sub(r"&[a-z]+;", "x", ln) for ln in label.split("<br>")]
        width = max(len(ln) for ln in lines) * 0.6 * font
        assert width <= (box[2] - box[1]) * px_per_unit, (label, box)
        assert len(lines) * 1.25 * font <= (box[4] - box[3]) * px_per_unit + 1, (label, box)


def test_gru_state_label_stays_in_its_box():
    s = spec(forward.forward_figure(make("gru", n_a=3)[1], VOCAB.itos))
    text = next(d for d in s["data"] if d.get("name") == "node labels")["text"]
    assert not any("=a&lt;t&gt;" in t for t in text)           # no "c<t>=a<t>" in a box
    notes = [a["text"] for a in s["layout"]["annotations"]]
    assert any(n.startswith("c&lt;t&gt; = a&lt;t&gt;") for n in notes)


# -- item 10: the top-5 chart is readable -------------------------------------------------------


def _lum(c):
    def lin(v):
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(int(c[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _on_scale(scale, v):
    pos = [p for p, _ in scale]
    i = max(0, min(len(pos) - 2, int(np.searchsorted(pos, v, side="right")) - 1))
    w = (v - pos[i]) / (pos[i + 1] - pos[i])
    a = [int(scale[i][1][k:k + 2], 16) for k in (1, 3, 5)]
    b = [int(scale[i + 1][1][k:k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * w):02x}" for x, y in zip(a, b, strict=True))


def test_top_k_cells_have_readable_text_and_room():
    model, trace, targets = make("lstm", text=LEARNER * 2, n_a=4)
    s = spec(activations.top_k_figure(trace, VOCAB.itos, targets=targets, k=5))
    heat, white = s["data"][0], s["data"][1]
    assert white["hoverinfo"] == "skip" and white["colorscale"][0][1] == "rgba(0,0,0,0)"
    p = np.asarray(heat["z"], dtype=np.float64)
    np.testing.assert_array_equal(np.asarray(white["z"], dtype=np.float64), p)
    assert (heat["textfont"]["color"], white["textfont"]["color"]) == ("#000000", "#ffffff")
    for r, row in enumerate(p):
        for t, v in enumerate(row):
            texts = [heat["text"][r][t], white["text"][r][t]]
            assert sum(bool(x) for x in texts) == 1, (r, t, texts)      # one layer writes it
            colour = (heat if texts[0] else white)["textfont"]["color"]
            bg = _lum(_on_scale(PROBABILITY, float(v)))
            fg = _lum(colour)
            ratio = (max(bg, fg) + 0.05) / (min(bg, fg) + 0.05)
            assert ratio >= 4.5, (v, colour)
    # 90 steps: at most 30 on screen, so a cell is >= ~20 px wide in a 650 px column.
    x0, x1 = s["layout"]["xaxis"]["range"]
    assert x1 - x0 <= 30 and s["layout"]["dragmode"] == "pan"
    assert "drag sideways" in s["layout"]["title"]["text"]
    assert len(s["layout"]["xaxis"]["tickvals"]) == 2 * len(LEARNER)


# -- item 11: colours the browser can parse --------------------------------------------------

CSS = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|"
                 r"rgba?\(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*(?:,\s*[0-9.]+\s*)?\)|"
                 r"white|black|transparent")


def _colours(obj, path=""):
    """(path, value, owner dict) of every colour-valued property."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.endswith("color") and k not in ("coloraxis",):
                yield f"{path}.{k}", v, obj
            if k not in ("colorscale",):
                yield from _colours(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _colours(v, f"{path}[{i}]")


def _check_colours(s):
    for i, trace in enumerate(s["data"]):
        for where, v, owner in _colours(trace, f"data[{i}]"):
            if isinstance(v, str):
                assert CSS.fullmatch(v), (where, v)
            elif isinstance(v, list) and all(isinstance(c, str) for c in v):
                assert all(CSS.fullmatch(c) for c in v), (where, v)
            else:
                # Numbers are colours only on a colour scale with its range, and never on
                # bars (their per-bar numbers flooded Sampling's console with warnings).
                assert trace["type"] != "bar", (where, v)
                assert {"colorscale", "cmin", "cmax"} <= set(owner), (where, v)
    for where, v, _ in _colours(s["layout"], "layout"):
        assert isinstance(v, str) and CSS.fullmatch(v), (where, v)


def test_every_colour_of_the_sampling_figures_is_css_or_on_a_scale():
    rng = np.random.default_rng(0)
    A_ = rng.uniform(-1.3, 1.3, (80, 40))
    probs = rng.dirichlet(np.ones(20))
    itos = [chr(97 + i) for i in range(20)]
    figs = [sampling.fig_hidden_state(A_, 7, n_prefix=11),
            sampling.fig_topk(probs, 3, itos, k=10, step=2, model_probs=probs),
            sampling.fig_logprob_compare([("A", list("abc"), np.log([0.5, 0.2, 0.1])),
                                          ("B", list("abd"), np.log([0.5, 0.2, 0.3]))])]
    for fig in figs:
        _check_colours(spec(fig))
    bars = spec(figs[0])["data"][1]
    assert bars["type"] == "bar" and all(CSS.fullmatch(c) for c in bars["marker"]["color"])


def test_every_colour_of_the_other_per_bar_figures_is_css():
    model, trace, targets = make("lstm", n_a=4)
    _, _, bt = model.backward(trace, targets)
    summary = A.clip_summary({"W": np.ones((2, 2))}, "norm", 1.0)
    for fig in (types_figs.fig_star_probs(np.array([0.1, 0.2, 0.4, 0.2, 0.1]), list("12345")),
                backward.loss_figure(trace, targets, VOCAB.itos),
                vanishing.clipping_figure({"RNN": summary, "LSTM": summary}),
                bidirectional.fig_tagger_probs(["a", "b"], {"x": [0.1, 0.9]})):
        _check_colours(spec(fig))


# -- item 12: log axes labelled at decades only ---------------------------------------------


def _check_decades(y, values):
    assert y["type"] == "log" and y["exponentformat"] == "power"
    assert isinstance(y["dtick"], int) and y["dtick"] >= 1 and y["tick0"] == 0
    lo, hi = y["range"]
    assert float(lo).is_integer() and float(hi).is_integer() and hi > lo
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    assert 10.0 ** lo <= v.min() and v.max() <= 10.0 ** hi
    labelled = np.arange(lo, hi + 1, y["dtick"])
    assert 2 <= labelled.size <= 9
    assert y.get("minor", {}).get("ticks", "") == ""


def test_log_axes_label_decades_only():
    model, trace, targets = make("rnn", text=LEARNER, n_a=4)
    _, _, bt = model.backward(trace, targets)
    s = spec(backward.grad_norm_figure(bt))
    _check_decades(s["layout"]["yaxis"], bt.grad_norm)
    # A clipping chart within one decade (13 and 1): still two decade labels, 1 and 10 or more.
    g = {"W": np.array([[3.0, -4.0]]), "b": np.array([[12.0]])}
    sums = {"RNN": A.clip_summary(g, "norm", 1.0), "GRU": A.clip_summary(g, "none", 1.0)}
    _check_decades(spec(vanishing.clipping_figure(sums))["layout"]["yaxis"], [1.0, 13.0])
    # 80 decades of a vanishing RNN gradient: labelled every 10th decade, not 80 labels.
    curves = {"RNN": 10.0 ** -np.linspace(80, 0, 100), "LSTM": np.full(100, 0.5)}
    y = spec(vanishing.vanishing_figure(curves))["layout"]["yaxis"]
    _check_decades(y, np.concatenate(list(curves.values())))
    assert y["dtick"] == 10
    norms = {"rnn": 10.0 ** -np.linspace(20, 0, 50), "lstm": np.full(50, 0.5)}
    _check_decades(spec(training.da_now_figure(norms, 3))["layout"]["yaxis"],
                   np.concatenate(list(norms.values())))
