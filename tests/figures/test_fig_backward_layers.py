"""The Backward page's figures on one layer of a stacked model, and on the "h_n" readout of a
bidirectional classifier (torch's h_n = [a→<T_x>; a←<1>]): values against the package's
own gradients and against a network built from the layers above alone."""

import dataclasses

import numpy as np
import pytest
from _fig_spec import spec, strings
from _traces import ARCH_IDS, ARCHS, TEXT, VOCAB

from rnnviz import gradients as G
from rnnviz.core.model import Model, RNNConfig
from rnnviz.figures import backward as F


def stacked(cell, bi, layers=2, head="many_to_many", readout="step", seed=1):
    n = len(VOCAB)
    cfg = RNNConfig(cell=cell, n_x=n, n_a=5, n_y=n if head == "many_to_many" else 3,
                    bidirectional=bi, layers=layers, head=head, readout=readout)
    model = Model.init(cfg, rng=np.random.default_rng(seed))
    ids = VOCAB.encode(TEXT)
    trace = model.forward(VOCAB.one_hot(ids, dtype="float64"), tokens=list(TEXT))
    y = np.array([[*ids[1:], 0]]) if head == "many_to_many" else np.array([2])
    loss, grads, bt = model.backward(trace, y, at="all")
    return model, trace, y, grads, bt


@pytest.mark.parametrize(("cell", "bi"), ARCHS, ids=ARCH_IDS)
def test_dw_contributions_of_every_layer_sum_to_its_gradients(cell, bi):
    model, trace, _, grads, bt = stacked(cell, bi)
    for layer in (1, 2):
        for d in model.config.directions:
            contrib = G.dw_contributions(model, trace, bt, direction=d, layer=layer)
            for c in contrib.values():
                assert c["param"].startswith(model.config.prefix(d, layer) + "W")
                g = grads[c["param"]]
                if cell == "rnn":
                    g = np.concatenate([g, grads[c["param"].replace("Waa", "Wax")]], axis=1)
                assert c["cumulative"][0] == pytest.approx(np.linalg.norm(g), rel=1e-8)


@pytest.mark.parametrize(("cell", "bi"), ARCHS, ids=ARCH_IDS)
def test_da_split_of_a_lower_layer_is_what_the_layer_above_sends_back(cell, bi):
    """Layer 1's ∂L/∂a^[1]<t> = (from layer 2 at step t) + (from its own next step). The part
    from above, computed again by a one-layer network made of layer 2 and the head alone,
    reading a^[1] as its input."""
    model, trace, y, _, bt = stacked(cell, bi)
    cfg = model.config
    top = dataclasses.replace(cfg, layers=1, n_x=len(cfg.directions) * cfg.n_a)
    params = {k[3:] if k.startswith("l2.") else k: v for k, v in model.params.items()
              if k.startswith("l2.") or k in ("Wy", "by")}
    alone = Model(top, params)
    a1 = trace.layer(1)["a"]
    _, _, bt_alone = alone.backward(alone.forward(a1), y, at="all")
    T = trace.T_x
    for j, d in enumerate(cfg.directions):
        sfx = f"_{d}" if d else ""
        for t in (1, T // 2, T):
            local, carried, total = G.da_split(model, trace, bt, y, t=t, direction=d, layer=1)
            above = bt_alone["dx"][j * cfg.n_a:(j + 1) * cfg.n_a, 0, t - 1]
            assert local == pytest.approx(np.linalg.norm(above), rel=1e-9)
            assert total == pytest.approx(np.linalg.norm(bt.layer(1)["da" + sfx][:, 0, t - 1]),
                                          rel=1e-12)
        # the end of the direction's sweep: nothing comes from a next step
        end = 1 if d == "bwd" else T
        local, carried, total = G.da_split(model, trace, bt, y, t=end, direction=d, layer=1)
        assert carried == pytest.approx(0.0, abs=1e-12) and local == pytest.approx(total)


def test_da_split_of_the_h_n_readout_enters_a_bwd_at_step_1():
    model, trace, y, _, bt = stacked("lstm", True, layers=1, head="many_to_one", readout="h_n")
    T, n = trace.T_x, model.config.n_a
    p = np.asarray(trace["y_hat"][:, 0, -1], dtype=np.float64).copy()
    p[y[0]] -= 1
    from_y = model.params["Wy"].T @ p
    local, carried, total = G.da_split(model, trace, bt, y, at="last", t=1, direction="bwd")
    assert local == pytest.approx(np.linalg.norm(from_y[n:]), rel=1e-9)
    assert carried == pytest.approx(0.0, abs=1e-12)
    local, _, _ = G.da_split(model, trace, bt, y, at="last", t=T, direction="bwd")
    assert local == 0.0                          # ŷ<T_x> does not read a←<T_x>
    local, carried, total = G.da_split(model, trace, bt, y, at="last", t=T, direction="fwd")
    assert local == pytest.approx(np.linalg.norm(from_y[:n]), rel=1e-9) == total


def test_da_sources_name_where_each_part_of_da_comes_from():
    """The words beside the split: the h_n readout's ŷ<T_x> enters a← at step 1, a lower layer
    hears from the layer above, and the carried part comes from the direction's next step."""
    model, trace, y, _, bt = stacked("lstm", True, layers=1, head="many_to_one", readout="h_n")
    T = trace.T_x
    first = G.da_sources(model, trace, bt, y, at="last", t=1, direction="bwd")
    assert (first["source"], first["next"], first["carried"]) == ("ŷ<T_x>", "step 0", 0.0)
    assert first["dc"] == pytest.approx(np.linalg.norm(bt["dc_bwd"][:, 0, 0]), rel=1e-12)
    last = G.da_sources(model, trace, bt, y, at="last", t=T, direction="fwd")
    assert (last["source"], last["next"]) == (f"ŷ<{T}>", "step T_x+1")
    assert last["local"] == pytest.approx(last["total"], rel=1e-9)
    mid = G.da_sources(model, trace, bt, y, at="last", t=2, direction="bwd")
    assert (mid["next"], mid["local"]) == ("step 1", 0.0)
    assert mid["carried"] == pytest.approx(mid["total"], rel=1e-9) and mid["total"] > 0
    model, trace, y, _, bt = stacked("gru", False, layers=2)
    low = G.da_sources(model, trace, bt, y, t=3, layer=1)
    assert (low["source"], low["next"], low["dc"]) == ("layer 2", "step 4", None)


def test_figures_of_a_layer_use_the_layer_notation():
    _, _, _, _, bt = stacked("lstm", False, layers=3)
    s = spec(F.bptt_figure(bt.layer(2), ["da", "dc"], start_t=3, animate=False, layer=2))
    text = strings(s)
    assert any("∂L/∂a^[2]&lt;t&gt;" in x for x in text)
    assert any("∂L/∂c^[2]&lt;t&gt;" in x for x in text)
    assert "layer 2: a^[2]" in s["layout"]["title"]["text"]
    heat = [d for d in s["data"] if d["type"] == "heatmap"]
    np.testing.assert_allclose(heat[0]["z"], bt.layer(2)["da"][:, 0, :], rtol=1e-6)
    g = spec(F.grad_norm_figure(bt.layer(2), t=2, layer=2))
    assert "||∂L/∂a^[2]&lt;t&gt;||" in g["layout"]["title"]["text"]
    np.testing.assert_allclose(g["data"][0]["y"], bt.layer(2).grad_norm, rtol=1e-6)
    assert not np.allclose(bt.layer(2).grad_norm, bt.layer(3).grad_norm)
