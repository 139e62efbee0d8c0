"""Clamp and Patch against the cell equations written out by hand in this file (no rnnviz
cell code): every cell and variant, one and two layers, one and two directions."""

import numpy as np
import pytest

from rnnviz.core.interventions import Clamp, Patch
from rnnviz.core.model import Model, RNNConfig

N_X, N_A, N_Y, T = 5, 4, 3, 6
CELLS = [("rnn", "course"), ("gru", "course"), ("gru", "torch"), ("lstm", "course")]


def sig(z):
    return 1 / (1 + np.exp(-z))


def by_hand_step(cell, variant, p, x, a, c, edit):
    """One step of the cell's equations as the notes write them; edit(name, v) -> v."""
    if cell == "rnn":
        a = edit("a", np.tanh(p["Waa"] @ a + p["Wax"] @ x + p["ba"][:, 0]))
        return a, None
    h = np.concatenate([a, x])
    if cell == "lstm":
        f = edit("gamma_f", sig(p["Wf"] @ h + p["bf"][:, 0]))
        u = edit("gamma_u", sig(p["Wi"] @ h + p["bi"][:, 0]))
        ct = edit("c_tilde", np.tanh(p["Wc"] @ h + p["bc"][:, 0]))
        c = edit("c", f * c + u * ct)
        o = edit("gamma_o", sig(p["Wo"] @ h + p["bo"][:, 0]))
        return edit("a", o * np.tanh(c)), c
    u = edit("gamma_u", sig(p["Wu"] @ h + p["bu"][:, 0]))
    r = edit("gamma_r", sig(p["Wr"] @ h + p["br"][:, 0]))
    Wca, Wcx = p["Wc"][:, :N_A], p["Wc"][:, N_A:]
    if variant == "torch":
        ct = np.tanh(Wcx @ x + p["bc"][:, 0] + r * (Wca @ a + p["bca"][:, 0]))
    else:
        ct = np.tanh(Wca @ (r * a) + Wcx @ x + p["bc"][:, 0])
    ct = edit("c_tilde", ct)
    c = edit("a", edit("c", u * ct + (1 - u) * a))
    return c, c


def by_hand(model, x, sets):
    """(per layer {key: (T, n)} values, ŷ (T, n_y)) of example 0, with sets[(layer, dir,
    t, quantity)] = (units, values) applied after the quantity is computed."""
    cfg, p = model.config, model.params
    inp = x[:, 0, :].T                                   # (T, n_in)
    out = []
    for layer in range(1, cfg.layers + 1):
        vals, parts = {}, []
        for d in cfg.directions:
            pre = cfg.prefix(d, layer)
            q = {k[len(pre):]: v for k, v in p.items() if k.startswith(pre) and
                 "." not in k[len(pre):]}
            a, c = np.zeros(N_A), np.zeros(N_A)
            A = np.zeros((T, N_A))
            order = range(T - 1, -1, -1) if d == "bwd" else range(T)
            for t in order:
                def edit(name, v, t=t, layer=layer, d=d, vals=vals):
                    hit = sets.get((layer, d, t + 1, name))
                    if hit is not None:
                        v = v.copy()
                        v[list(hit[0])] = hit[1]
                    vals.setdefault(name + (f"_{d}" if d else ""), np.zeros((T, N_A)))[t] = v
                    return v

                a, c = by_hand_step(cfg.cell, cfg.variant, q, inp[t], a, c, edit)
                A[t] = a
            if cfg.cell == "gru":                 # a<t> = c<t>: one vector, after both edits
                vals["c" + (f"_{d}" if d else "")] = A
            parts.append(A)
        inp = np.concatenate(parts, axis=1)
        out.append(vals)
    z = inp @ p["Wy"].T + p["by"][:, 0]
    y = np.exp(z - z.max(axis=1, keepdims=True))
    return out, y / y.sum(axis=1, keepdims=True)


def make(cell, variant, layers=1, bidirectional=False, seed=0):
    cfg = RNNConfig(cell=cell, variant=variant, n_x=N_X, n_a=N_A, n_y=N_Y, layers=layers,
                    bidirectional=bidirectional)
    return Model.init(cfg, np.random.default_rng(seed))


def one_hot(ids):
    x = np.zeros((N_X, 1, len(ids)))
    x[ids, 0, np.arange(len(ids))] = 1
    return x


X = one_hot([0, 3, 1, 4, 2, 2])
X_B = one_hot([4, 4, 0, 1, 3, 0, 2])


def gate_of(cell):
    return {"rnn": "a", "gru": "gamma_r", "lstm": "gamma_f"}[cell]


@pytest.mark.parametrize("cell,variant", CELLS)
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (1, True), (2, True)])
def test_a_clamp_equals_the_equations_by_hand(cell, variant, layers, bidirectional):
    model = make(cell, variant, layers, bidirectional)
    d = "bwd" if bidirectional else ""
    q = gate_of(cell)
    ivs = [Clamp(q, [1, 3], 0.9, steps=[2, 5], layer=1, direction=d or None),
           Clamp("a", 0, -0.4, steps=[4], layer=layers)]
    got = model.forward(X, interventions=ivs)
    sets = {(1, d, t, q): ([1, 3], 0.9) for t in (2, 5)}
    for dd in model.config.directions:
        sets[layers, dd, 4, "a"] = ([0], -0.4)
    want, y = by_hand(model, X, sets)
    for layer, vals in enumerate(want, start=1):
        rows = got.layer_rows[layer - 1]
        for key, v in vals.items():
            np.testing.assert_allclose(rows[key][:, 0, :], v, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(got.rows["y_hat"][:, 0, :], y, atol=1e-12)
    intact = model.forward(X)
    assert not np.allclose(intact.rows["y_hat"], got.rows["y_hat"])     # the clamp mattered


@pytest.mark.parametrize("cell,variant", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_patch_takes_the_source_values_at_the_same_step(cell, variant, bidirectional):
    model = make(cell, variant, layers=2, bidirectional=bidirectional, seed=1)
    q = "c" if cell == "lstm" else "a"
    d = "fwd" if bidirectional else ""
    src, _ = by_hand(model, X_B[:, :, :T], {})   # the source's own values (its first T steps)
    got = model.forward(X, interventions=[Patch(X_B, q, steps=[3], units=[0, 2], layer=1,
                                                direction=d or None)])
    key = q + (f"_{d}" if d else "")
    sets = {(1, d, 3, q): ([0, 2], src[0][key][2, [0, 2]])}
    want, y = by_hand(model, X, sets)
    np.testing.assert_allclose(got.rows["y_hat"][:, 0, :], y, atol=1e-12)
    np.testing.assert_allclose(got.layer_rows[0][key][2, 0, [0, 2]], src[0][key][2, [0, 2]],
                               atol=1e-12)


def test_mean_ablation_uses_the_reference_means():
    model = make("lstm", "course")
    ref = one_hot([1, 1, 2, 3, 0, 4, 4, 2, 1])
    means = model.forward(ref).rows["c"][:, 0, :].mean(axis=0)
    got = model.forward(X, interventions=[Clamp("c", [2], "mean")], reference=ref)
    np.testing.assert_allclose(got.rows["c"][:, 0, 2], means[2], atol=1e-12)
    own = model.forward(X, interventions=[Clamp("c", [2], "mean")])      # x itself
    np.testing.assert_allclose(own.rows["c"][:, 0, 2],
                               model.forward(X).rows["c"][:, 0, 2].mean(), atol=1e-12)


def test_clamping_the_forget_gate_to_one_and_the_update_to_zero_keeps_the_memory():
    model = make("lstm", "course")
    got = model.forward(X, interventions=[Clamp("gamma_f", [1], 1.0, steps=[3, 4, 5, 6]),
                                          Clamp("gamma_u", [1], 0.0, steps=[3, 4, 5, 6])])
    c = got.rows["c"][:, 0, 1]
    np.testing.assert_allclose(c[2:], c[1], atol=1e-15)             # c<2> carried to T_x


def test_the_trace_marks_what_was_changed():
    model = make("gru", "torch", layers=2, bidirectional=True)
    got = model.forward(X, interventions=[Clamp("a", [1, 2], 0.0, steps=[2], layer=1,
                                                direction="bwd")])
    df = got.layer(1).to_dataframe(keys=["a_bwd", "a_fwd", "a", "gamma_u_bwd"])
    hit = df[df.intervened]
    assert set(hit.quantity) == {"a_bwd", "a"}
    assert sorted(hit[hit.quantity == "a_bwd"].unit) == [1, 2]
    assert set(hit.t) == {2}
    assert sorted(hit[hit.quantity == "a"].unit) == [N_A + 1, N_A + 2]   # [a→; a←]
    np.testing.assert_array_equal(hit.value, 0.0)
    assert not model.forward(X).to_dataframe().intervened.any()


def test_no_interventions_is_the_fused_path_unchanged():
    model = make("lstm", "course", layers=2)
    a, b = model.forward(X), model.forward(X, interventions=[])
    for k in a.rows:
        np.testing.assert_array_equal(a.rows[k], b.rows[k])
    assert b.changed is None


@pytest.mark.parametrize("iv,message", [
    (Clamp("a", [4]), r"units must be in 0..3 \(n_a = 4\), got \[4\]"),
    (Clamp("a", [-1, 0]), r"units must be in 0..3"),
    (Clamp("a", []), "pick at least one unit"),
    (Clamp("a", 0, steps=[0]), r"steps must be in 1..6 \(T_x = 6\), got \[0\]"),
    (Clamp("a", 0, steps=[7]), r"steps must be in 1..6"),
    (Clamp("gamma_f", 0), r"the GRU cell has no 'gamma_f'"),
    (Clamp("a", 0, value=float("nan")), "finite number"),
    (Clamp("a", 0, value=float("inf")), "finite number"),
    (Clamp("a", 0, value="median"), "'mean'"),
    (Clamp("a", 0, layer=3), r"layer must be in 1..2"),
    (Clamp("a", 0, direction="bwd"), r"direction must be None or 'fwd'"),
    (Patch(one_hot([1, 2]), steps=[4]), "the source has 2 tokens: too short to patch step 4"),
])
def test_bad_interventions_say_what_is_wrong(iv, message):
    model = make("gru", "course", layers=2)
    with pytest.raises(ValueError, match=message):
        model.forward(X, interventions=[iv])


def test_an_rnn_has_no_memory_cell():
    with pytest.raises(ValueError, match=r"the RNN cell has no 'c': its quantities are a"):
        make("rnn", "course").forward(X, interventions=[Clamp("c", 0)])
