"""Figures of the bidirectional page, tested on their data (and against the core's math)."""

import numpy as np
import pytest
from _fig_spec import spec, strings

from rnnviz.core.analysis import direction_split, sensitivity_matrix
from rnnviz.core.model import Model, RNNConfig
from rnnviz.figures import bidirectional as F

HOSTILE = "<script>alert(1)</script>"


def bimodel(cell="lstm", n_y=2, bidirectional=True, n_x=7):
    cfg = RNNConfig(cell=cell, n_x=n_x, n_a=5, n_y=n_y, bidirectional=bidirectional)
    return Model.init(cfg, rng=np.random.default_rng(0))


def one_hot(ids, n_x=7):
    x = np.zeros((n_x, 1, len(ids)))
    x[ids, 0, np.arange(len(ids))] = 1
    return x


def test_tagger_probs_one_series_per_model():
    s = spec(F.fig_tagger_probs(["He", "said", HOSTILE], {"uni": [0.1, 0.2, 0.3],
                                                          "bi": [0.4, 0.5, 0.6]}))
    uni, bi = s["data"]
    np.testing.assert_allclose(uni["y"], [0.1, 0.2, 0.3], rtol=1e-6)
    np.testing.assert_allclose(bi["y"], [0.4, 0.5, 0.6], rtol=1e-6)
    assert (uni["name"], bi["name"]) == ("uni", "bi")
    assert s["layout"]["xaxis"]["ticktext"][2].startswith("&lt;script&gt;")
    assert s["layout"]["shapes"][0]["y0"] == 0.5                       # decision threshold
    assert not any("<script" in t for t in strings(s))


def test_directions_figure_aligns_both_sweeps_per_token():
    model = bimodel()
    trace = model.forward(one_hot([1, 2, 3, 4]))
    a_f, a_b = trace["a_fwd"][:, 0], trace["a_bwd"][:, 0]
    split = direction_split(model.params["Wy"], model.params["by"], a_f, a_b)
    s = spec(F.fig_directions(a_f, a_b, ["Teddy", "bears", HOSTILE, "."], split,
                              trace["y_hat"][1, 0]))
    heat_f, heat_b, bar_f, bar_b, total = s["data"]
    np.testing.assert_allclose(heat_f["z"], a_f, rtol=1e-6)
    np.testing.assert_allclose(heat_b["z"], a_b, rtol=1e-6)
    np.testing.assert_allclose(bar_f["y"], split["fwd"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bar_b["y"], split["bwd"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(total["y"], split["total"], rtol=1e-5, atol=1e-6)
    assert (heat_f["yaxis"], heat_b["yaxis"], bar_f["yaxis"]) == ("y", "y2", "y3")
    # Cut to 14 characters, then escaped.
    assert s["layout"]["xaxis"]["ticktext"] == ["Teddy", "bears", "&lt;script&gt;alert…", "."]
    assert len(s["data"]) == 5
    assert len(spec(F.fig_directions(a_f, a_b, list("abcd")))["data"]) == 2


def test_sweep_frames_follow_the_course_notes_order():
    frames = F.sweep_frames(4)
    assert len(frames) == 2 * 4 + 2
    assert [f["current"] for f in frames] == [
        (None, 0), ("fwd", 1), ("fwd", 2), ("fwd", 3), ("fwd", 4),
        ("bwd", 4), ("bwd", 3), ("bwd", 2), ("bwd", 1), ("y", 0)]
    assert frames[6]["bwd_done"] == {3, 4} and frames[6]["fwd_done"] == {1, 2, 3, 4}
    assert not any(f["y_done"] for f in frames[:-1]) and frames[-1]["y_done"]


def _trace(s, name):
    return next(t for t in s["data"] if t.get("name") == name)


def test_sweep_animation_frames():
    s = spec(F.fig_sweep_order(["x1", "x2", "x3"]))
    frames = s["frames"]
    assert [f["name"] for f in frames] == [str(k) for k in range(8)]
    pending, fwd, bwd, out = (F.CELL_CODES[k] for k in ("pending", "fwd", "bwd", "out"))
    # Frame 2: a→<1>, a→<2> done; no a← yet. Cells: 3 forward, 3 backward, 3 outputs.
    c = frames[2]["data"][0]["marker"]["color"]
    assert c[:3].tolist() == [fwd, fwd, pending] and c[3:6].tolist() == [pending] * 3
    # Frame 4 computes a←<3> first (the backward sweep starts at the end), as computation 4.
    c = frames[4]["data"][0]["marker"]["color"]
    assert c[3:6].tolist() == [pending, pending, bwd]
    assert frames[4]["data"][0]["text"][3:6] == [" ", " ", "4"]
    assert frames[4]["data"][0]["marker"]["line"]["color"].tolist() == [0] * 5 + [1] + [0] * 3
    assert "a←<3>" in frames[4]["layout"]["title"]["text"]
    # The last frame: every ŷ<t> computed. The figure opens on it; buttons animate.
    assert frames[-1]["data"][0]["marker"]["color"][6:].tolist() == [out] * 3
    cells = _trace(s, "cells")
    np.testing.assert_array_equal(cells["marker"]["color"],
                                  frames[-1]["data"][0]["marker"]["color"])
    assert all(f["traces"] == [s["data"].index(cells)] for f in frames)
    assert s["layout"]["sliders"][0]["active"] == 7
    assert {b["method"] for b in s["layout"]["updatemenus"][0]["buttons"]} == {"animate"}
    # The codes map to the direction colours on the trace's fixed colour scale.
    stops = cells["marker"]["colorscale"]
    colour = {code: [c for p, c in stops if p <= code / 3][-1] for code in range(4)}
    assert colour == {pending: F.PENDING, fwd: F.FWD, bwd: F.BWD, out: F.OUT}


def test_sweep_arrows_are_traces_under_the_cells_with_heads_off_their_targets():
    """6 T - 2 arrows (x -> both cells, both cells -> ŷ, the two chains), no annotation
    arrows: one trace per colour, drawn before the cells (under them), heads turned on
    screen along their segment and standing off the cell (15 px half-size) or the ŷ circle."""
    s = spec(F.fig_sweep_order(["x1", "x2", "x3", "x4"]))
    assert not [a for a in s["layout"]["annotations"] if a.get("showarrow")]
    arrows = [t for t in s["data"] if t["name"].startswith("arrows")]
    assert s["data"][:len(arrows)] == arrows
    assert {t["line"]["color"] for t in arrows} == {"#999", F.FWD, F.BWD}
    n = sum(len(t["x"]) for t in arrows) // 3
    assert n == 6 * 4 - 2
    for t in arrows:
        assert t["marker"]["angleref"] == "previous"
        off = np.asarray(t["marker"]["standoff"])
        assert (off[0::3] == 0).all() and set(off[1::3]) <= {16, 13}
    fwd = next(t for t in arrows if t["line"]["color"] == F.FWD)
    x = np.asarray(fwd["x"], dtype=float)
    assert (x[1::3] > x[0::3]).all()                        # a→ runs left to right
    bwd = next(t for t in arrows if t["line"]["color"] == F.BWD)
    x = np.asarray(bwd["x"], dtype=float)
    assert (x[1::3] < x[0::3]).all()                        # a← right to left


def test_sweep_animation_cuts_long_inputs():
    s = spec(F.fig_sweep_order([f"w{i}" for i in range(30)] + [HOSTILE], max_tokens=6))
    assert len(s["frames"]) == 2 * 6 + 2
    assert _trace(s, "labels")["text"][:6] == ["w0", "w1", "w2", "w3", "w4", "…"]
    assert not any("<script" in t for t in strings(s))
    assert len(spec(F.fig_sweep_order([]))["frames"]) == 4               # one "x" column


def test_sensitivity_side_by_side_with_one_colour_scale():
    uni, bi = bimodel(bidirectional=False), bimodel()
    x = one_hot([1, 5, 2, 2, 6])
    S_uni, S_bi = sensitivity_matrix(uni, x), sensitivity_matrix(bi, x)
    s = spec(F.fig_sensitivity({"uni": S_uni, "bi": S_bi}, list("abcde"), scale="raw"))
    h_uni, h_bi = s["data"]
    np.testing.assert_allclose(h_uni["z"], S_uni, rtol=1e-6)
    np.testing.assert_allclose(h_bi["z"], S_bi, rtol=1e-6)
    assert np.all(np.triu(h_uni["z"], k=1) == 0) and np.triu(h_bi["z"], k=1).max() > 0
    assert s["layout"]["coloraxis"]["cmax"] == pytest.approx(max(S_uni.max(), S_bi.max()),
                                                             rel=1e-6)
    assert (h_uni["xaxis"], h_bi["xaxis"]) == ("x", "x2")
    s = spec(F.fig_sensitivity({"uni": S_uni, "bi": S_bi}, list("abcde"), scale="row"))
    np.testing.assert_allclose(s["data"][1]["z"].max(axis=1), 1.0, rtol=1e-6)
    assert s["layout"]["coloraxis"]["cmax"] == pytest.approx(1.0)
    np.testing.assert_allclose(s["data"][1]["customdata"], S_bi, rtol=1e-6)   # hover: raw


def test_sensitivity_log_scale_leaves_exact_zeros_blank():
    S = np.array([[1e-2, 0.0], [1e-9, 10.0]])
    s = spec(F.fig_sensitivity({"m": S}, ["a", "b"], scale="log"))
    z = s["data"][0]["z"]
    np.testing.assert_allclose(z[[0, 1, 1], [0, 0, 1]], [-2, -9, 1], rtol=1e-5)
    assert np.isnan(z[0, 1])
    axis = s["layout"]["coloraxis"]
    assert axis["cmax"] == pytest.approx(1.0) and axis["cmin"] == pytest.approx(1.0 - 8)
    with pytest.raises(ValueError):
        F.fig_sensitivity({"m": S}, ["a", "b"], scale="sqrt")


def test_sensitivity_with_nonfinite_values_draws_zeros():
    S = np.array([[1.0, np.nan], [np.inf, 2.0]])
    z = spec(F.fig_sensitivity({"m": S}, ["a", "b"], scale="raw"))["data"][0]["z"]
    np.testing.assert_array_equal(z, [[1.0, 0.0], [0.0, 2.0]])


def test_the_quoted_shares_are_the_row_scales_colours():
    """Issue 23 item 5: the numbers the text quotes (`next_word_share`, `future_share`) are
    cells of the default ("row") chart, on a bidirectional network's exact Jacobian norms."""
    uni, bi = bimodel(bidirectional=False), bimodel()
    x = one_hot([1, 5, 2, 2, 6])
    S_uni, S_bi = sensitivity_matrix(uni, x), sensitivity_matrix(bi, x)
    s = spec(F.fig_sensitivity({"uni": S_uni, "bi": S_bi}, list("abcde")))     # the default
    z_uni, z_bi = (np.asarray(d["z"], dtype=float) for d in s["data"])
    for t in range(1, 5):
        nxt, own = F.next_word_share(S_bi, t)
        assert (nxt, own) == pytest.approx((z_bi[t - 1, t], z_bi[t - 1, t - 1]), rel=1e-6)
    assert F.future_share(S_bi) == pytest.approx(np.triu(z_bi, k=1).max(), rel=1e-6)
    assert F.future_share(S_bi) > 0 and F.future_share(S_uni) == 0.0 == np.triu(z_uni, 1).max()
    assert F.quoted_row(list("abcde"), S_bi) == 1 + int(np.argmax(
        [z_bi[t, t + 1] for t in range(4)]))
    assert F.quoted_row(["x", "teddy", "bears"], S_bi) == 2          # the word the text names
    assert F.quoted_row(["x"], S_bi[:1, :1]) is None


def test_sweep_diagram_text_stays_apart():
    """Issue 23 item 3: neighbouring tokens sit on alternating rows (never "TeddyRoosevelt"),
    the frame titles are short enough for a 1024 px window, and the slider's step name sits
    at its right end, clear of ▶ Play / ❚❚ Pause at its left."""
    words = "He said , Teddy Roosevelt was a great president .".split()
    s = spec(F.fig_sweep_order(words))
    labels = _trace(s, "labels")
    T = len(words)
    y_tok = np.asarray(labels["y"][:T], dtype=float)
    assert list(labels["text"][:T]) == words
    assert np.all(y_tok[:-1] != y_tok[1:])                  # neighbours on different rows
    assert len(set(y_tok)) == 2
    titles = [f["layout"]["title"]["text"] for f in s["frames"]]
    assert max(len(t) for t in titles) <= 42, max(titles, key=len)   # fits at 1024 px (audit)
    assert titles[-1].startswith(f"{2 * T + 1}/{2 * T + 1}: now every ŷ<t>")
    slider = s["layout"]["sliders"][0]
    assert slider["currentvalue"]["xanchor"] == "right"


def test_a_long_input_labels_every_kth_row_and_column_regularly():
    """39 characters (an uploaded char model): the 480 px heatmap holds 22 row labels, so
    every 2nd row is labelled, t = 1, 3, 5, ... with its own token; a short one, every row."""
    toks = list("Return the number of items in the list.")
    S = np.random.default_rng(0).random((39, 39))
    lay = spec(F.fig_sensitivity({"m": S}, toks))["layout"]
    assert lay["yaxis"]["tickvals"] == list(range(1, 40, 2))
    assert lay["yaxis"]["ticktext"] == F.token_labels(toks)[::2]
    assert lay["xaxis"]["tickvals"] == list(range(1, 40))          # alone: 40 tilted fit
    two = spec(F.fig_sensitivity({"a": S, "b": S}, toks))["layout"]
    assert two["xaxis2"]["tickvals"] == list(range(1, 40, 2))       # side by side: 20
    short = spec(F.fig_sensitivity({"m": S[:10, :10]}, toks[:10]))["layout"]
    assert short["yaxis"]["tickvals"] == list(range(1, 11))
