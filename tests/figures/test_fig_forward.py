"""Figures of the Forward-pass page: the animated cell, its frames and the filled equations."""

import re

import numpy as np
import pytest
from _fig_spec import spec
from _katex import AVAILABLE, katex_errors
from _traces import ARCH_IDS, ARCHS, VOCAB, make

from rnnviz.core.model import RNNConfig
from rnnviz.figures import forward as F

NUMBER = r"[-+]?\d+\.\d+"


def frame(s, t):
    return next(f for f in s["frames"] if f["name"] == str(t))


@pytest.mark.parametrize(("cell", "bi"), ARCHS, ids=ARCH_IDS)
def test_one_frame_per_step_with_the_unit_values(cell, bi):
    _, trace, _ = make(cell, bi, n_a=5)
    direction = "fwd" if bi else ""
    unit = 3
    s = spec(F.forward_figure(trace, VOCAB.itos, unit=unit, start_t=2, direction=direction))
    T = trace.T_x
    assert [f["name"] for f in s["frames"]] == [str(t) for t in range(1, T + 1)]
    sfx = f"_{direction}" if direction else ""
    for t in (1, 4, T):
        texts = frame(s, t)["data"][0]["text"]
        # Every value box shows its quantity at step t for the chosen unit, two decimals.
        key = {"rnn": "a", "gru": "gamma_u", "lstm": "gamma_f"}[cell]
        v = trace[key + sfx][unit, 0, t - 1]
        assert any(txt.endswith(f"<br>{v:+.2f}") for txt in texts), (t, texts)
        # The x<t> label names the token read at step t.
        assert any(txt.startswith("x&lt;t&gt; = ") for txt in texts)
    # The base figure shows the start step, the slider points at it and Play starts there.
    assert s["layout"]["sliders"][0]["active"] == 1
    play = s["layout"]["updatemenus"][0]["buttons"][0]["args"]
    assert play[0] == [str(t) for t in range(2, T + 1)] and play[1]["fromcurrent"]
    labels = next(d for d in s["data"] if d.get("name") == "node labels")
    assert labels["text"] == frame(s, 2)["data"][0]["text"]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_every_edge_is_a_segment_with_its_head_at_the_end_turned_along_it(cell):
    """The diagram's edges are one trace (no annotation arrows): per edge a segment from
    the source's box to the target's, and at its end an arrowhead whose angle (clockwise
    from up) points from the source to the target."""
    _, trace, _ = make(cell, False, n_a=5)
    s = spec(F.forward_figure(trace, VOCAB.itos, animate=False))
    assert not [a for a in s["layout"]["annotations"] if a.get("showarrow")]
    edges = next(t for t in s["data"] if t.get("name") == "edges")
    diagram = F._DIAGRAMS[cell]
    nodes = diagram["nodes"]
    x, y = np.asarray(edges["x"], dtype=float), np.asarray(edges["y"], dtype=float)
    size = np.asarray(edges["marker"]["size"], dtype=float)
    angle = np.asarray(edges["marker"]["angle"], dtype=float)
    assert len(x) == 3 * len(diagram["edges"])
    for i, (a, b) in enumerate(diagram["edges"]):
        (x0, y0, *_), (x1, y1, *_) = nodes[a], nodes[b]
        sx, sy, ex, ey = x[3 * i], y[3 * i], x[3 * i + 1], y[3 * i + 1]
        assert np.isnan(x[3 * i + 2]) and size[3 * i] == 0 and size[3 * i + 1] > 0
        d = np.array([x1 - x0, y1 - y0])
        assert np.dot([ex - sx, ey - sy], d) > 0, (a, b)             # towards the target
        # from the edge of the source's box to the edge of the target's (as before)
        np.testing.assert_allclose([sx, sy], F._edge(a, nodes[a], x1, y1))
        np.testing.assert_allclose([ex, ey], F._edge(b, nodes[b], x0, y0))
        head = np.radians(angle[3 * i + 1])
        np.testing.assert_allclose([np.sin(head), np.cos(head)], d / np.linalg.norm(d),
                                   atol=1e-3, err_msg=f"{a} -> {b}")


def test_cover_hides_the_steps_not_read_yet_and_bars_are_top_k():
    _, trace, _ = make("lstm", n_a=4)
    T = trace.T_x
    s = spec(F.forward_figure(trace, VOCAB.itos, unit=0, start_t=1, top_k=5))
    (heat,) = [d for d in s["data"] if d["type"] == "heatmap"]
    np.testing.assert_allclose(heat["z"], trace["a"][:, 0, :], rtol=1e-6)
    for t in (1, 7, T):
        cover, _, bars = frame(s, t)["data"][1:4]
        assert cover["x"][0] == pytest.approx(t + 0.5) and cover["x"][1] == pytest.approx(T + 0.5)
        y = trace["y_hat"][:, 0, t - 1]
        np.testing.assert_allclose(bars["x"], np.sort(y)[::-1][:5], atol=1e-4)


def test_long_sentences_are_decimated_but_keep_the_start_step():
    text = "abcdefghij" * 30
    _, trace, _ = make("rnn", text=text, n_a=3)
    s = spec(F.forward_figure(trace, VOCAB.itos, start_t=123, max_frames=50))
    names = [int(f["name"]) for f in s["frames"]]
    assert len(names) <= 51 and 123 in names and names[0] == 1 and names[-1] == 300


def _numbers(line):
    return [float(x) for x in re.findall(NUMBER, line)]


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("t", [1, 5])
def test_equations_add_up_to_the_trace(cell, t):
    model, trace, _ = make(cell, n_a=5)
    unit = 2
    lines = F.equation_lines(model, trace, t, unit, output_labels=VOCAB.itos)
    x_id = int(trace["x"][:, 0, t - 1].argmax())
    assert f"index }}{x_id}" in lines[0]
    gates = [ln for ln in lines if "underbrace" in ln]
    assert len(gates) == {"rnn": 1, "gru": 3, "lstm": 4}[cell]
    for line in gates:
        a, x, b, z, value = _numbers(line)[-5:]
        # memory + input + bias = the pre-activation, and the gate's value is the trace's
        assert a + x + b == pytest.approx(z, abs=2e-3)
    last_value = trace["c" if cell == "gru" else "a"][unit, 0, t - 1]
    # The last state equation ends with the trace's value (GRU: before its a = c note).
    state_line = [ln for ln in lines if ln.startswith(("a^", "c^"))][-1]
    assert _numbers(state_line)[-1] == pytest.approx(last_value, abs=1e-3)
    if cell == "lstm":
        c_line = next(ln for ln in lines if ln.startswith("c^"))
        u, ct, f, cp, c = _numbers(c_line)[-5:]
        assert u * ct + f * cp == pytest.approx(c, abs=2e-3)
        assert c == pytest.approx(trace["c"][unit, 0, t - 1], abs=1e-3)
        if t == 1:
            assert cp == 0.0                                  # c<0> = 0


def test_equations_escape_tokens_for_latex():
    model, trace, _ = make("rnn", text="$_{}\\😀", n_a=3)
    for t in range(1, 7):
        line = F.equation_lines(model, trace, t, 0)[0]
        assert "😀" not in line
    assert "\\$" in F.equation_lines(model, trace, 1, 0)[0]
    assert "U+1F600" in F.equation_lines(model, trace, 6, 0)[0]
    unknown = [False] * 5 + [True]                          # the emoji is not in the vocabulary
    assert "<UNK>" in F.equation_lines(model, trace, 6, 0, unknown=unknown)[0]
    assert "<UNK>" not in F.equation_lines(model, trace, 5, 0, unknown=unknown)[0]
    # Index 0 of an imported vocabulary is a real token: only the reading says what is unknown.
    assert "<UNK>" not in F.equation_lines(model, trace, 6, 0)[0]


def test_shape_rows_follow_the_seed_layout():
    model, trace, _ = make("lstm", n_a=7)
    rows = {r["array"]: r["shape"] for r in F.shape_rows(model.config, trace.T_x)}
    n_x = len(VOCAB)
    assert rows["x<t>"] == f"(n_x, m) = ({n_x}, 1)"
    assert rows["a<t-1>, a<t>"] == "(n_a, m) = (7, 1)"
    assert rows["W_f, W_u, W_o, W_c"] == f"(n_a, n_a + n_x) = (7, {7 + n_x}) each"
    assert rows["a (all steps)"] == f"(n_a, m, T_x) = (7, 1, {trace.T_x})"
    # "What is the shape of W_ax for the shipped LSTM, and why?" (n_a = 256, n_x = 98)
    big = {r["array"]: r for r in F.shape_rows(RNNConfig(cell="lstm", n_x=98, n_a=256,
                                                          n_y=98), 10)}
    row = big["W_fx, W_ux, W_ox, W_cx"]
    assert row["shape"] == "(n_a, n_x) = (256, 98) each"
    assert row["meaning"] == f"W_ax: one block per gate (4 × 256 × 98 = {4 * 256 * 98:,})"
    assert big["W_fa, W_ua, W_oa, W_ca"]["shape"] == "(n_a, n_a) = (256, 256) each"
    # Issue 23, item 7: readable at 1024 px (the table gets ~390 px): short cells, one line.
    assert max(len(r["array"]) for r in big.values()) <= 24
    assert max(len(r["meaning"]) for r in big.values()) <= 50


def test_gru_shape_rows_use_the_notes_inputs():
    """The notes: Γu, Γr = σ(W[c<t-1>, x<t>] + b), c̃<t> = tanh(W_c[Γr ∗ c<t-1>, x<t>] + b_c)."""
    model, trace, _ = make("gru", n_a=5)
    rows = {r["array"]: r for r in F.shape_rows(model.config, trace.T_x)}
    n_x = len(VOCAB)
    assert rows["[c<t-1>, x<t>]"]["shape"] == f"(n_a + n_x, m) = ({5 + n_x}, 1)"
    assert "Γu and Γr" in rows["[c<t-1>, x<t>]"]["meaning"]
    assert "c̃<t>" in rows["[Γr ∗ c<t-1>, x<t>]"]["meaning"]
    assert rows["W_ux, W_rx, W_cx"]["shape"] == f"(n_a, n_x) = (5, {n_x}) each"
    text = " ".join(f"{r['array']} {r['meaning']}" for r in rows.values())
    assert "a<t-1>" not in text and "[a" not in text


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_equations_at_t1_use_the_carried_start_state(cell):
    """A primed LM starts from a<0> != 0: the decomposition must still add up at t = 1."""
    model, trace, _ = make(cell, n_a=4)
    primed = model.forward(trace["x"], state0=trace.final_state, tokens=trace.tokens)
    lines = F.equation_lines(model, primed, 1, 1)
    gates = [ln for ln in lines if "underbrace" in ln]
    a_part = _numbers(gates[0])[-5]
    assert a_part != 0.0                                   # memory contributes at t = 1
    for line in gates:
        a, x, b, z, _ = _numbers(line)[-5:]
        assert a + x + b == pytest.approx(z, abs=2e-3)
    s = spec(F.forward_figure(primed, VOCAB.itos, unit=1, start_t=1))
    prev = "c&lt;t-1&gt;" if cell == "gru" else "a&lt;t-1&gt;"
    text = next(t for t in frame(s, 1)["data"][0]["text"] if t.startswith(prev))
    h0 = F.initial_state(primed, "c" if cell == "gru" else "a")[1]
    assert text.endswith(f"{h0:+.2f}")


# The equations come from the cell object's named gates: each gate line's pre-activation and
# value are the fused loop's z and gate (trace keys), for PyTorch's GRU and stacked layers too.
_PRE = {"a": "z_a", "gamma_u": "z_u", "gamma_r": "z_r", "gamma_f": "z_f", "gamma_o": "z_o",
        "c_tilde": "z_c"}


@pytest.mark.parametrize(("cell", "variant", "layers", "bi"), [
    ("gru", "torch", 1, False), ("lstm", "course", 2, False), ("gru", "torch", 3, True),
    ("rnn", "course", 2, True), ("gru", "course", 2, False)])
def test_equations_of_every_gate_are_the_traced_quantities(cell, variant, layers, bi):
    from rnnviz import Model, RNNConfig
    cfg = RNNConfig(cell=cell, variant=variant, layers=layers, bidirectional=bi, n_x=6, n_a=5,
                    n_y=6)
    rng = np.random.default_rng(4)
    model = Model.init(cfg, rng)
    for k in model.params:
        model.params[k] += 0.3 * rng.standard_normal(model.params[k].shape)
    trace = model.forward(np.eye(6)[:, None, [1, 4, 2, 5]], tokens=list("abcd"))
    direction = "bwd" if bi else ""
    sfx = f"_{direction}" if direction else ""
    for layer in range(1, layers + 1):
        lines = F.equation_lines(model, trace, 3, 2, direction=direction, layer=layer)
        view = trace.layer(layer)
        gates = [ln for ln in lines if "underbrace" in ln]
        assert len(gates) == len(model.cell.display)
        for key, line in zip(model.cell.display, gates, strict=True):
            a, x, b, z, value = _numbers(line)[-5:]
            assert z == pytest.approx(view[_PRE[key] + sfx][2, 0, 2], abs=1e-3), (layer, key)
            assert value == pytest.approx(view[key + sfx][2, 0, 2], abs=1e-3), (layer, key)
        if layer > 1:
            assert f"a^{{[{layer - 1}]<t>}}" in gates[0]
    # PyTorch's GRU shows where its reset gate acts: after the recurrent product
    torch_c = r"\Gamma_r * (W_{ca}c^{<t-1>} + b_{ca})"
    assert any(torch_c in ln for ln in lines) == (variant == "torch")


TOKENS = [chr(c) for c in range(32, 127)] + ["\n", "\t", "\r", " x ", "é", "😀", "\u202e",
                                              "<UNK>", "a_b^c{d}$e%f&g#h~i\\j"]


def test_latex_token_uses_only_macros_katex_has():
    for tok in TOKENS:
        out = F.latex_token(tok)
        assert set(re.findall(r"\\([A-Za-z]+)", out)) <= F.LATEX_TOKEN_MACROS, (tok, out)
        assert "textvisiblespace" not in out
    assert F.latex_token(" ") == r"$\sqcup$"


@pytest.mark.skipif(not AVAILABLE,
                    reason="needs Node and Streamlit's KaTeX bundle (the macro check above "
                           "runs everywhere)")
def test_latex_token_renders_in_katex_without_error_or_warning(tmp_path):
    """Every printable ASCII character and newline, as the equations show it
    (\\text{`tok'}), through KaTeX with strict mode "error": an unknown macro or a glyph
    without metrics (the console warning a "␣" in \\text{} gives) fails."""
    texs = [rf"\text{{`{F.latex_token(tok)}'}}" for tok in TOKENS]
    errors = {tok: e for tok, e in zip(TOKENS, katex_errors(texs, tmp_path, timeout=60),
                                       strict=True) if e}
    assert not errors
    # The check is real: the old escape of a space fails it.
    old = katex_errors([r"\text{\textvisiblespace{}}"], tmp_path, timeout=60)
    assert "Undefined control sequence" in old[0]
