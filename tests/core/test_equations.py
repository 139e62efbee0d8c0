"""Each cell owns its forward and backward equations; one function renders them for any layer.

Rendered for every cell × variant × layer of a 3-layer stack, the lines name exactly the
cell's own gates, carry the layer index on every state, read a^[l-1]<t> in place of x<t> above
the first layer, and take ∂L/∂a from layer l+1 below the top. PyTorch's GRU differs from the
notes' GRU exactly where Γr enters.
"""

from __future__ import annotations

import re

import pytest

from rnnviz.core.model import RNNConfig
from rnnviz.core.recurrent import REGISTRY, cell_for

# The LaTeX name of each gate's gradient, by the gate's key.
GRADIENT = {"gamma_f": r"d\Gamma_f", "gamma_u": r"d\Gamma_u", "gamma_o": r"d\Gamma_o",
            "gamma_r": r"d\Gamma_r", "c_tilde": r"\tilde{c}", "a": "dz^{<t>}"}
ALL_GATES = {"gamma_f": r"\Gamma_f", "gamma_o": r"\Gamma_o", "gamma_r": r"\Gamma_r"}
CELLS = sorted(REGISTRY)          # (cell, variant) pairs: rnn, gru (course, torch), lstm


def _cell(cell, variant):
    return cell_for(RNNConfig(cell=cell, variant=variant))


@pytest.mark.parametrize(("cell", "variant"), CELLS)
@pytest.mark.parametrize("layer", [None, 1, 2, 3])
def test_backward_equations_name_the_cells_own_gates_at_every_layer(cell, variant, layer):
    c = _cell(cell, variant)
    lines = c.bptt_equations(layer, 3 if layer else 1)
    text = "\n".join(lines)
    assert lines and len(lines) == len(c.backward_updates)
    keys = {g.key for g in c.gates}
    for key in keys:
        assert GRADIENT[key] in text, (cell, variant, key)
    for key, symbol in ALL_GATES.items():        # no gate the cell does not have
        assert (symbol in text) == (key in keys), (cell, variant, key)
    states = re.findall(r"(?<![a-z])([ac])\^\{([^}]*)\}", text)
    if layer is None:                            # one layer: the notes' lines, no [l]
        assert not any("[" in s for _, s in states)
    else:
        assert states and all(s.startswith(f"[{layer}]") or s.startswith(f"[{layer - 1}]")
                              for _, s in states), states
        assert ("x^{<t>}" in text) == (layer == 1 and "x^{<t>}" in "".join(c.backward_updates))
        if layer > 1:
            assert f"a^{{[{layer - 1}]<t>}}" in text
        assert (f"from layer {layer + 1}" in text) == (layer < 3)
        assert (r"\hat{y}" in text) == (layer == 3)


def test_one_layer_renders_the_lines_as_written():
    for cell, variant in CELLS:
        c = _cell(cell, variant)
        assert c.bptt_equations() == list(c.backward_updates)
        assert c.bptt_equations(1, 1) == list(c.backward_updates)


def test_torch_gru_differs_where_the_reset_gate_enters():
    course, torch = _cell("gru", "course"), _cell("gru", "torch")
    differ = [(a, b) for a, b in zip(course.backward_updates, torch.backward_updates,
                                     strict=True) if a != b]
    # dΓr: the notes' (W_caᵀ dz_c) * c<t-1>, torch's dz_c * (W_ca c<t-1> + b_ca)
    assert any(r"d\Gamma_r = (W_{ca}^T dz_c) * c^{<t-1>}" in a
               and r"d\Gamma_r = dz_c * (W_{ca} c^{<t-1>} + b_{ca})" in b for a, b in differ)
    assert r"W_{ca}^T (dz_c * \Gamma_r)" in "".join(torch.backward_updates)
    assert "b_{ca}" not in "".join(course.backward_updates)
    assert course.backward_updates[0] == torch.backward_updates[0]   # the same ∂L/∂c<t>
