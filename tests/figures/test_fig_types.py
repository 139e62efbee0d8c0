"""Figures of the types-of-RNNs page: the four architectures and the sentiment output."""

import numpy as np
import pytest
from _fig_spec import spec, strings

from rnnviz.figures import types as F

HOSTILE = "<img src=x onerror=alert(1)>"


def cells(s, fill=None):
    """The cell boxes of a diagram (rectangles with a cell colour)."""
    fills = (F.CELL, F.DECODER) if fill is None else (fill,)
    return [sh for sh in s["layout"]["shapes"] if sh["type"] == "rect" and
            sh.get("fillcolor") in fills]


def texts(s):
    return [a["text"] for a in s["layout"]["annotations"]]


def test_compress_keeps_the_start_and_the_end():
    assert F.compress(5, 8) == [0, 1, 2, 3, 4]
    assert F.compress(20, 8) == [0, 1, 2, 3, 4, None, 18, 19]


def test_many_to_many_has_one_output_per_input():
    words = ["Harry", "Potter", "met", HOSTILE]
    s = spec(F.fig_architecture("many_to_many", words, ["0.97", "0.95", "0.02", "0.01"],
                                y_highlight=[True, True, False, False]))
    assert len(cells(s)) == 4
    t = texts(s)
    assert {"Harry", "Potter", "met", "0.97", "0.95", "0.02", "0.01"} <= set(t)
    assert "a<1>" in t and "a<4>" in t and "a<0>" in t
    red = [a["text"] for a in s["layout"]["annotations"]
           if a.get("font", {}).get("color") == "#d62728"]
    assert red == ["0.97", "0.95"]
    assert not any("<img" in x for x in strings(s))
    assert any(x.startswith("&lt;img") for x in t)


def test_long_inputs_are_shortened_with_an_ellipsis():
    words = [f"w{i}" for i in range(20)]
    s = spec(F.fig_architecture("many_to_many", words, [str(i) for i in range(20)]))
    assert len(cells(s)) == 7 and "…" in texts(s)
    assert "w19" in texts(s) and "w10" not in texts(s)
    assert "T_x = T_y = 20" in texts(s)


def test_many_to_one_answers_once_at_the_end():
    s = spec(F.fig_architecture("many_to_one", ["not", "bad", "at", "all"], ["4 stars (0.8)"]))
    assert len(cells(s)) == 4
    # Over two lines at the diagram's right edge, where the whole line would leave it.
    assert texts(s).count("4 stars<br>(0.8)") == 1
    hover = s["data"][0]["text"]
    outputs = [h for h in hover if h.startswith("output")]
    assert outputs == ["output ŷ<4> = g(W_y a<4> + b_y): 4 stars (0.8)"]


def test_one_to_many_feeds_every_output_back():
    s = spec(F.fig_architecture("one_to_many", [], list("abc d")))
    assert len(cells(s)) == 5 and "∅" in texts(s)
    dotted = [sh for sh in s["layout"]["shapes"] if sh["type"] == "line"]
    assert len(dotted) == 4                          # ŷ<t> -> x<t+1> for t = 1..4
    # Each input after the first is the previous output, drawn in grey under its column.
    inputs = [a for a in s["layout"]["annotations"] if a.get("y") == 0.0]
    assert [a["text"] for a in inputs] == ["∅", "a", "b", "c", "␣"]
    assert [a["font"]["color"] for a in inputs] == ["#333"] + ["#999"] * 4


def test_encoder_decoder_has_different_lengths():
    x = ["Voulez-vous", "chanter", "avec", "moi", "?"]
    y = ["Do", "you", "want", "to", "sing", "with", "me", "?"]
    s = spec(F.fig_architecture("encoder_decoder", x, y))
    enc, dec = cells(s, F.CELL), cells(s, F.DECODER)
    assert len(enc) == 3 and len(dec) == 4           # compressed: x<1> … x<4> x<5>
    assert "T_x = 5, T_y = 8: the encoder's last a<T_x> starts the decoder" in texts(s)
    assert "&lt;s&gt;" in texts(s)
    s = spec(F.fig_architecture("encoder_decoder", x, y, max_cols=16))
    assert (len(cells(s, F.CELL)), len(cells(s, F.DECODER))) == (5, 8)
    assert "…" not in texts(s)


def test_unknown_kind():
    with pytest.raises(ValueError):
        F.fig_architecture("one_to_one")


def test_star_probs_highlight_the_most_likely_rating():
    p = np.array([0.1, 0.05, 0.2, 0.6, 0.05])
    s = spec(F.fig_star_probs(p, ["1 star", "2", "3", "4", HOSTILE]))
    (bars,) = s["data"]
    np.testing.assert_allclose(bars["y"], p, rtol=1e-6)
    assert bars["marker"]["color"] == [F.BASE, F.BASE, F.BASE, F.ACCENT, F.BASE]
    assert bars["x"][4].startswith("&lt;img")


def test_running_stars_and_expected_rating():
    Y = np.random.default_rng(0).dirichlet(np.ones(5), size=6).T     # (5 classes, 6 steps)
    s = spec(F.fig_running_stars(list("abcdef"), Y, ["1", "2", "3", "4", "5"]))
    heat, line = s["data"]
    np.testing.assert_allclose(heat["z"], Y, rtol=1e-6)
    np.testing.assert_allclose(line["customdata"], (np.arange(1, 6)[:, None] * Y).sum(0),
                               rtol=1e-5)
    s = spec(F.fig_running_stars([f"w{i}" for i in range(200)],
                                 np.full((5, 200), 0.2), list("12345"), max_cols=50))
    assert s["data"][0]["z"].shape == (5, 50) and s["data"][0]["x"][0] == 151


def test_long_labels_alternate_between_two_lines():
    """Labels longer than 4 characters: every other one sits STAGGER lower (inputs) or
    higher (outputs), so neighbours ("Hermione", "Granger") never share a line."""
    words = ["Yesterday,", "Harry", "Potter", "met", "Hermione", "Granger", "."]
    s = spec(F.fig_architecture("many_to_many", words, ["0.01"] * 7))
    inputs = {a["text"]: a["y"] for a in s["layout"]["annotations"] if a["text"] in words}
    assert [inputs[w] for w in words] == [0.0, -F.STAGGER] * 3 + [0.0]
    outputs = [a["y"] for a in s["layout"]["annotations"] if a["text"] == "0.01"]
    assert outputs == [2.0] * 7                       # short outputs stay on one line
    assert s["layout"]["yaxis"]["range"][0] == pytest.approx(-0.3 - F.STAGGER)
    short = spec(F.fig_architecture("many_to_many", ["a", "b", "cd"], ["x", "y", "z"]))
    assert {a["y"] for a in short["layout"]["annotations"]
            if a["text"] in ("a", "b", "cd")} == {0.0}
    # Encoder-decoder: the band labels move down below the lower line.
    x = ["Voulez-vous", "chanter", "avec", "moi", "?"]
    ed = spec(F.fig_architecture("encoder_decoder", x, ["Do", "you"], max_cols=16))
    band = next(a for a in ed["layout"]["annotations"] if a["text"].startswith("encoder"))
    assert band["y"] == pytest.approx(-0.32 - F.STAGGER)
    chanter = next(a for a in ed["layout"]["annotations"] if a["text"] == "chanter")
    assert chanter["y"] == -F.STAGGER


def test_name_probs_are_the_taggers_outputs_with_upright_words():
    words = ["Yesterday,", "Harry", "Potter", HOSTILE]
    p = np.array([0.01, 0.97, 0.6, 0.2])
    s = spec(F.fig_name_probs(words, p))
    (bars,) = s["data"]
    np.testing.assert_allclose(bars["y"], p, rtol=1e-6)
    assert bars["marker"]["color"] == [F.BASE, F.ACCENT, F.ACCENT, F.BASE]
    x = s["layout"]["xaxis"]
    # Upright words: a slanted first word would reach the y axis's tick labels.
    assert x["tickangle"] == -90 and x["ticktext"][:3] == ["Yesterday,", "Harry", "Potter"]
    assert not any("<img" in t for t in strings(s))


def test_the_arrows_are_one_trace_from_box_to_box():
    """Many-to-many over 3 words: a<0> -> a<1>, a<1> -> a<2> -> a<3>, three inputs up into
    their cells and three cells up to their outputs: 9 arrows in one trace (no annotation
    arrows), heads at the ends, horizontal ones turned right (90°), vertical ones up (0°),
    each ARROW_GAP short of the box it leaves and of the box it enters."""
    s = spec(F.fig_architecture("many_to_many", ["a", "b", "c"], ["x", "y", "z"]))
    assert not [a for a in s["layout"]["annotations"] if a.get("showarrow")]
    tr = next(t for t in s["data"] if t.get("name") == "arrows")
    x, y = np.asarray(tr["x"], dtype=float), np.asarray(tr["y"], dtype=float)
    size, angle = np.asarray(tr["marker"]["size"]), np.asarray(tr["marker"]["angle"])
    assert len(x) == 27 and np.isnan(x[2::3]).all()
    assert (size[0::3] == 0).all() and (size[1::3] > 0).all()
    horizontal = y[0::3] == y[1::3]
    assert horizontal.sum() == 3 and (~horizontal).sum() == 6
    assert (angle[1::3][horizontal] == 90).all() and (angle[1::3][~horizontal] == 0).all()
    # a<1> -> a<2>: from the right edge of cell 1 to the left edge of cell 2, 2 gaps short
    i = next(k for k in range(9) if horizontal[k] and x[3 * k] > 0)
    np.testing.assert_allclose([x[3 * i], x[3 * i + 1]],
                               [F._HALF_W + F.ARROW_GAP, 1 - F._HALF_W - F.ARROW_GAP])
