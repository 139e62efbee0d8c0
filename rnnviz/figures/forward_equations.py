"""The Forward page's equations: the seed's equations with the numbers of one unit at step t,
as LaTeX lines (`equation_lines`), and the state a pass starts from (`initial_state`).

`latex_token` writes a token for KaTeX's \\text{...}. Split from `forward` (the animated
figure); `forward` re-exports these names.
"""

from __future__ import annotations

import math
import string

import numpy as np

from rnnviz.figures.safe_text import visible_token


def initial_state(trace, base, direction="", example=0):
    """a<0> (base "a") or c<0> (base "c") of one direction, (n_a,) float64: the state the
    pass started from (zero, or a shipped LM's primed state), kept by the kernel tape."""
    tape = trace.tapes.get(direction) if direction != "bwd" else None
    if tape is None:                     # the backward direction starts from zeros
        return np.zeros(trace.config.n_a)
    v = tape.c0 if base == "c" or not hasattr(tape, "a0") else tape.a0   # GRU: a = c
    return np.asarray(v, dtype=np.float64)[example]


def _num(v: float) -> str:
    return f"{v:.3f}" if math.isfinite(v) else r"\mathrm{NaN}"


def _paren(v: float) -> str:
    s = _num(v)
    return f"({s})" if v < 0 else s


# Characters with a meaning in LaTeX, as KaTeX text-mode commands; the stand-ins of
# invisible characters as symbols KaTeX has glyphs for ("\\textvisiblespace" is not one of
# them: it shows as red raw LaTeX, and a "␣" inside \\text{} logs a console warning).
_LATEX_TEXT = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
               "#": r"\#", "_": r"\_", "%": r"\%", "^": r"\textasciicircum{}",
               "~": r"\textasciitilde{}",
               "␣": r"$\sqcup$", "↵": r"\textbackslash{}n", "⇥": r"\textbackslash{}t",
               "␍": r"\textbackslash{}r"}
# Every macro `latex_token` may write (the tests render them with KaTeX).
LATEX_TOKEN_MACROS = {"textbackslash", "textasciicircum", "textasciitilde", "sqcup"}


def latex_token(tok: str) -> str:
    """A token for \\text{...} in KaTeX: ASCII with LaTeX's specials escaped, a space as ⊔;
    anything else (accents, emoji, RTL, controls) as U+XXXX so KaTeX never meets a glyph it
    has no metrics for."""
    out = []
    for ch in visible_token(tok)[:12]:
        if ch in _LATEX_TEXT:
            out.append(_LATEX_TEXT[ch])
        elif ch.isascii() and ch.isprintable():
            out.append(ch)
        else:
            out.append(f"U+{ord(ch):04X}")
    return "".join(out) or "?"


_FN = {"sigmoid": "\\sigma", "tanh": "\\tanh", "relu": r"\mathrm{ReLU}"}


class _Numbers(string.Formatter):
    """Fills a cell's LaTeX update lines (`cell.updates`, rnnviz.core.recurrent) with one
    unit's numbers: {key} is the trace's value at step t ({c_prev}: c<t-1>), {key:p} puts a
    negative number in parentheses, {key:1-} writes 1 - value, {j} is the unit."""

    def __init__(self, q, j):
        self.q, self.j = q, j

    def get_value(self, key, args, kwargs):
        if key == "j":
            return str(self.j)
        if key.endswith("_prev"):
            return self.q(key[:-len("_prev")], 1)
        return self.q(key)

    def format_field(self, value, spec):
        if isinstance(value, str):
            return value
        if spec == "p":
            return _paren(value)
        return _num(1 - value) if spec == "1-" else _num(value)


def _terms(model, params, key, h_prev, r, x, unit):
    """(recurrent, input, bias) parts of z for row `unit` of gate `key`, from the cell object:
    the same named quantities its forward pass computes."""
    return model.cell.terms(params, key, h_prev, r, x, unit)


def equation_lines(model, trace, t, unit, *, example=0, direction="", output_labels=None,
                   layer=None, unknown=None):
    """The seed's equations of the model's cell at step t (1-based) for one unit, with the
    numbers filled in. Returns a list of LaTeX strings (one equation each).

    Each pre-activation is split into its three parts, W_{·a}a<t-1> (from memory),
    W_{·x}x<t> (from the input: x<t> is one-hot, so this is one column of W_{·x}) and the
    bias, so a learner can see which one drives the gate. The lines are the cell object's
    named gates (symbol, weights, what they read) in the notes' order, then its state update.
    layer: which layer of a stacked model (1-based; default the top, the trace's unprefixed
    keys); above the first, the input is the layer below's a^[l-1]<t> instead of x<t>.
    unknown: per step, True where the token is outside the vocabulary (the reading's
    `steps.unk`), marked "<UNK>" in the x<t> line.
    """
    cfg = model.config
    cell = model.cell
    T = trace.T_x
    t0 = int(np.clip(t, 1, T)) - 1
    direction = direction if cfg.bidirectional else ""
    layer = layer or trace.layer_index or cfg.layers
    params = model.cell_params(direction, layer)
    x_id = int(np.asarray(trace["x"][:, example, t0]).argmax())
    tok = latex_token(trace.token_labels()[t0])
    below = trace.layer(layer - 1)["a"][:, example, t0] if layer > 1 else None
    x_in = x_id if below is None else np.asarray(below, dtype=np.float64)
    x_sym = "x^{<t>}" if below is None else f"a^{{[{layer - 1}]<t>}}"
    if layer != (trace.layer_index or trace.layers):
        trace = trace.layer(layer)

    # "previous" is t-1, or t+1 for the backward direction (it reads x<T_x> first)
    to_prev = -1 if direction != "bwd" else 1

    def q(base, dt=0):
        tt = t0 + to_prev * dt
        if not 0 <= tt < T:
            return float(initial_state(trace, base, direction, example)[unit])
        key = f"{base}_{direction}" if direction else base
        return float(trace[key][unit, example, tt])

    def vec(base, tt):
        key = f"{base}_{direction}" if direction else base
        return np.asarray(trace[key][:cfg.n_a, example, tt], dtype=np.float64)

    # the state every gate reads at step t: a<t-1> (= c<t-1> in the GRU)
    t_prev = t0 + to_prev
    h_prev = (vec("a", t_prev) if 0 <= t_prev < T
              else initial_state(trace, "a", direction, example))
    r = vec("gamma_r", t0) if "gamma_r" in (g.key for g in cell.gates) else None
    j = unit
    unk = r"\ (\text{<UNK>})" if unknown is not None and unknown[t0] else ""
    lines = [rf"x^{{<{t0 + 1}>}} = \text{{one-hot}}(\text{{`{tok}'}}){unk},\ \text{{index }}{x_id}"
             rf"\quad\Rightarrow\quad W_{{\cdot x}}\,x^{{<t>}} = \text{{column }}{x_id}"
             rf"\text{{ of }}W_{{\cdot x}}"]
    if below is not None:
        lines = [rf"\text{{layer }}{layer}\text{{ reads }}{x_sym}\text{{, the states of layer }}"
                 rf"{layer - 1}\text{{, in place of }}x^{{<t>}}"]
    for key in cell.display:
        gate = cell.gate(key)
        ra, rx, rb = _terms(model, params, key, h_prev, r, x_in, j)
        fn, g = _FN[gate.fn], gate.sub
        lines.append(rf"{gate.latex.format(j=j)} = {fn}(\underbrace{{{_num(ra)}}}"
                     rf"_{{{gate.recurrent_latex}}}"
                     rf" + \underbrace{{{_num(rx)}}}_{{W_{{{g}x}}{x_sym}}}"
                     rf" + \underbrace{{{_num(rb)}}}_{{b_{g}}}) = {fn}({_num(ra + rx + rb)})"
                     rf" = {_num(q(key))}")
    numbers = _Numbers(q, j)
    lines += [numbers.format(line) for line in cell.updates]
    if not cfg.bidirectional:
        y = np.asarray(trace["y_hat"][:, example, t0], dtype=np.float64)
        top = int(np.argmax(np.where(np.isfinite(y), y, -1)))
        name = latex_token(output_labels[top]) if output_labels is not None else str(top)
        lines.append(rf"\hat{{y}}^{{<t>}} = \mathrm{{softmax}}(W_y\,a^{{<t>}} + b_y):\ "
                     rf"\text{{most likely `{name}' with }}p = {_num(y[top])}")
    return lines


__all__ = ["equation_lines", "initial_state", "latex_token", "LATEX_TOKEN_MACROS"]
