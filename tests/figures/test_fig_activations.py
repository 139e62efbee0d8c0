"""Figures of the Activations page, checked on their data (no Streamlit, no browser)."""

import html
import re

import numpy as np
import pytest
from _fig_spec import spec, strings
from _traces import ARCH_IDS, ARCHS, TEXT, VOCAB, arr, make

from rnnviz.figures import activations as F
from rnnviz.figures.safe_text import escape_all, visible_char, visible_token

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<style>body{display:none}</style>",
    "<script>window.pwned = 1</script>",
    "a *b* _c_ $x$ :red[y] `z` ![i](http://x)",
    "He said 😀👍🏽 \u202eTeddy\u202c مرحبا \x00\x07\tend\n",
]


@pytest.mark.parametrize(("cell", "bi"), ARCHS, ids=ARCH_IDS)
def test_heatmap_z_is_the_trace_array(cell, bi):
    _, trace, _ = make(cell, bi)
    keys = F.heatmap_keys(trace)
    assert keys, "every architecture shows at least a<t>"
    for key in keys:
        s = spec(F.heatmap_figure(trace, key))
        z = s["data"][0]["z"]
        assert z.dtype == np.float32                         # half the bytes of float64
        np.testing.assert_allclose(z, trace[key][:, 0, :], rtol=1e-6, atol=1e-7)
        assert s["data"][0]["y"] == list(range(trace[key].shape[0]))
        assert len(s["data"][0]["x"]) == trace.T_x
        # The seed's symbol, escaped so that Plotly shows "a<t>" instead of eating a tag.
        assert trace.symbol(key).replace("<", "&lt;").replace(">", "&gt;") in \
            s["layout"]["title"]["text"]


def test_heatmap_keys_follow_the_architecture():
    expected = {
        ("rnn", False): ["a"],
        ("gru", False): ["a", "c_tilde", "gamma_u", "gamma_r"],
        ("lstm", False): ["a", "c", "c_tilde", "gamma_f", "gamma_u", "gamma_o"],
        ("lstm", True): ["a_fwd", "a_bwd", "c_fwd", "c_bwd", "c_tilde_fwd", "c_tilde_bwd",
                         "gamma_f_fwd", "gamma_f_bwd", "gamma_u_fwd", "gamma_u_bwd",
                         "gamma_o_fwd", "gamma_o_bwd"],
    }
    for (cell, bi), keys in expected.items():
        _, trace, _ = make(cell, bi)
        assert F.heatmap_keys(trace) == keys


def test_gates_use_zero_one_and_states_are_centred():
    _, trace, _ = make("lstm")
    gate = spec(F.heatmap_figure(trace, "gamma_f"))["data"][0]
    assert (gate["zmin"], gate["zmax"]) == (0.0, 1.0)
    cell = spec(F.heatmap_figure(trace, "c"))["data"][0]
    m = np.abs(trace["c"][:, 0, :]).max()
    assert cell["zmid"] == 0 and cell["zmax"] == pytest.approx(m, rel=1e-6)


def test_heatmap_units_subset_and_nonfinite_gaps():
    _, trace, _ = make("rnn")
    s = spec(F.heatmap_figure(trace, "a", units=np.array([4, 1])))
    np.testing.assert_allclose(s["data"][0]["z"], trace["a"][[4, 1], 0, :], rtol=1e-6)
    trace.rows["a"][3, 0, 2] = np.inf                     # an overflow at t = 4, unit 2
    z = spec(F.heatmap_figure(trace, "a"))["data"][0]["z"]
    assert np.isnan(z[2, 3]) and np.isfinite(np.delete(z.ravel(), 2 * trace.T_x + 3)).all()


def test_onehot_rows_are_the_vocabulary_entries_in_use():
    text = "abba😀"
    _, trace, _ = make("rnn", text=text)
    s = spec(F.onehot_figure(trace, VOCAB.itos))
    used = sorted({VOCAB.stoi["a"], VOCAB.stoi["b"], 0})     # 0 = <UNK> for the emoji
    z = s["data"][0]["z"]
    assert z.shape == (3, 5)
    np.testing.assert_array_equal(z, trace["x"][used, 0, :])
    assert s["data"][0]["y"][0].startswith("0: &lt;UNK&gt;")
    assert "3 of n_x = 98 rows used" in s["layout"]["title"]["text"]


def test_top_k_is_sorted_probabilities_and_marks_the_target():
    _, trace, _ = make("lstm")
    y = trace["y_hat"][:, 0, :]
    # Targets at rank t mod 7 (ranks 6 and 7 are outside the top 5), none at t = 1.
    order = np.argsort(-y, axis=0, kind="stable")
    targets = np.array([order[t % 7, t] for t in range(trace.T_x)])
    targets[0] = -1
    s = spec(F.top_k_figure(trace, VOCAB.itos, targets=targets, k=5))
    p = s["data"][0]["z"]
    np.testing.assert_allclose(p, -np.sort(-y, axis=0)[:5], rtol=1e-6)
    assert p.shape == (5, trace.T_x)
    top1 = np.argmax(y, axis=0)
    shown = [html.unescape(a or b) for a, b in zip(s["data"][0]["text"][0],
                                                   s["data"][1]["text"][0], strict=True)]
    assert shown == [html.unescape(F._cell_text(VOCAB.itos[i])) for i in top1]
    ranks = (np.argsort(-y, axis=0, kind="stable") == targets[None]).argmax(axis=0)
    hits = [(t, int(r)) for t, r in enumerate(ranks) if r < 5 and targets[t] >= 0]
    assert hits == [(t, t % 7) for t in range(1, trace.T_x) if t % 7 < 5]
    # One frame per hit, exactly on its cell: x from t - 0.5 to t + 0.5 (t = 1..T_x), y from
    # rank - 0.5 to rank + 0.5; a legend-only trace names them.
    frames = [(sh["x0"], sh["x1"], sh["y0"], sh["y1"]) for sh in s["layout"]["shapes"]]
    assert frames == [(t + 0.5, t + 1.5, r + 0.5, r + 1.5) for t, r in hits]
    legend = [d for d in s["data"] if d.get("name") == "the true next token"]
    assert len(legend) == 1 and legend[0]["x"] == [None]


def test_top_k_cells_fit_their_longest_label():
    """Long class names ("positive") get fewer, wider columns than 1-letter ones."""
    _, trace, _ = make("lstm", text="abcdefghij" * 4)
    n_y = trace["y_hat"].shape[0]
    short = spec(F.top_k_figure(trace, ["x"] * n_y))
    x0, x1 = short["layout"]["xaxis"]["range"]
    # 1 letter at 13 px: 0.62 * 13 + 8 = 16.06 px a cell, 265 // 16.06 = 16 columns.
    assert (x0, x1) == (0.5, 16.5)
    assert {d["textfont"]["size"] for d in short["data"][:2]} == {13}
    long = spec(F.top_k_figure(trace, ["positive"] * n_y))
    x0, x1 = long["layout"]["xaxis"]["range"]
    assert {d["textfont"]["size"] for d in long["data"][:2]} == {11}
    assert "positive" in [x for d in long["data"][:2] for row in d["text"] for x in row]
    # 8 letters at 11 px: 0.62 * 11 * 8 + 8 = 62.6 px a cell, 265 // 62.6 = 4 columns.
    assert (x0, x1) == (0.5, 4.5)
    assert "steps 1–4 of 40" in long["layout"]["title"]["text"]


def test_top_k_shows_special_tokens_as_their_text():
    assert html.unescape(F._cell_text("<UNK>")) == "<UNK>"
    assert html.unescape(F._cell_text("<unk>")) == "<unk>"


def test_unit_text_html_escapes_every_user_character():
    for text in HOSTILE:
        spans = [(i, i + 1) for i in range(len(text))]
        out = F.unit_text_html(text, spans, np.linspace(-1, 1, len(text)), unit=3)
        # No user character survives as itself: no tag, no Markdown, no LaTeX, no emoji.
        stripped = re.sub(r"<(/?)(div|span|br)( [^<>]*)?>", "", out)
        assert "<" not in stripped and ">" not in stripped
        for bad in ("onerror", "script", "display:none", "*b*", "$x$", ":red", "😀"):
            assert bad not in out
        # Every character is there, in order, as an entity (invisible ones as U+XXXX).
        expected = "".join("↵" if ch == "\n" else visible_char(ch)
                           if len(visible_char(ch)) > 1 else ch for ch in text)
        assert html.unescape(re.sub(r"<[^<>]*>", "", out)) == expected


def test_unit_text_html_colours_follow_the_values():
    out = F.unit_text_html("ab", [(0, 1), (1, 2)], np.array([-0.5, 1.0]), vmax=1.0)
    assert "rgba(31,119,180,0.500)" in out and "rgba(214,39,40,1.000)" in out
    assert escape_all("t=2 'b': a<t>[0] = 1.000") in out


def test_unit_text_html_marks_invisible_characters_and_keeps_rtl_isolated():
    out = F.unit_text_html("a\u202eb\n", [(0, 1), (1, 2), (2, 3), (3, 4)],
                           np.zeros(4), vmax=1.0)
    assert escape_all("U+202E") in out and "\u202e" not in out
    assert "unicode-bidi:isolate" in out and "<br>" in out


@pytest.mark.parametrize(("cell", "bi"), ARCHS, ids=ARCH_IDS)
def test_saturation_points_are_the_fractions(cell, bi):
    _, trace, _ = make(cell, bi, n_a=5)
    keys = F.saturation_keys(trace)
    s = spec(F.saturation_figure(trace))
    points = [d for d in s["data"] if d["mode"] == "markers"]
    assert len(points) == len(keys)
    for key, d in zip(keys, points, strict=True):
        v = arr(trace[key][:, 0, :])
        lo, hi = (0.1, 0.9) if key.startswith("gamma") else (-0.9, 0.9)
        np.testing.assert_allclose(d["x"], (v < lo).mean(axis=1), rtol=1e-6)
        np.testing.assert_allclose(d["y"], (v > hi).mean(axis=1), rtol=1e-6)


def test_no_figure_lets_user_text_through_unescaped():
    for text in HOSTILE[:3]:
        _, trace, targets = make("lstm", text=text)
        for fig in (F.heatmap_figure(trace, "a"), F.onehot_figure(trace, VOCAB.itos),
                    F.top_k_figure(trace, VOCAB.itos, targets=targets)):
            for s in strings(spec(fig)):
                assert "<img" not in s and "<script" not in s and "<style" not in s


def test_visible_tokens_used_by_the_tables():
    assert visible_token(" ") == "␣" and visible_token("\n") == "↵"
    assert visible_token("\u202e") == "U+202E" and visible_token("<UNK>") == "<UNK>"
    assert TEXT  # the shared sentence is not empty


def test_top_k_writes_white_on_dark_cells_and_black_on_light_ones():
    """The shipped LSTM is sure of many next characters: those top-1 cells are dark (white
    text, the transparent second heatmap's), its rank-5 cells light (black, the heatmap's
    own text); every cell is written once, in the ink `ink` picks for its colour."""
    import rnnviz
    from rnnviz.figures.colours import PROBABILITY, ink, scale_colour

    model = rnnviz.load_pretrained("char-lm-lstm")
    trace = model.trace("the quick brown fox jumps over the lazy dog.")
    s = spec(F.top_k_figure(trace, model.output_labels, k=5))
    heat, white = s["data"][0], s["data"][1]
    p = np.asarray(heat["z"], dtype=np.float64)
    for r in range(p.shape[0]):
        for t in range(p.shape[1]):
            want_white = ink(scale_colour(PROBABILITY, float(p[r, t]))) == "#ffffff"
            assert bool(white["text"][r][t]) == want_white
            assert bool(heat["text"][r][t]) != want_white
    assert sum(bool(x) for x in white["text"][0]) >= 5                  # 12 of 44 here
    assert not any(white["text"][-1])                                   # no rank-5 cell
