"""Figures of the Backward-pass page: losses, BPTT heatmaps, ∂L/∂W per step, gradient check."""

import numpy as np
import pytest
from _fig_spec import spec
from _traces import ARCH_IDS, ARCHS, VOCAB, make

from rnnviz import gradients as G
from rnnviz.core.analysis import gradient_check
from rnnviz.figures import backward as F


def backward(cell, bi, at="all", **kw):
    model, trace, targets = make(cell, bi, **kw)
    y = targets[None, :]
    loss, grads, bt = model.backward(trace, y, at=at)
    return model, trace, targets, y, loss, grads, bt


@pytest.mark.parametrize("at", ["all", "last"])
def test_step_losses_add_up_to_the_model_loss(at):
    model, trace, targets, y, loss, _, _ = backward("lstm", False, at=at)
    L = G.step_losses(trace, targets)
    np.testing.assert_allclose(L, -np.log(trace["y_hat"][targets, 0, np.arange(trace.T_x)]))
    expected = L.sum() if at == "all" else L[-1]
    assert expected == pytest.approx(loss, rel=1e-9)
    s = spec(F.loss_figure(trace, targets, VOCAB.itos, at=at))
    np.testing.assert_allclose(s["data"][0]["y"], L, rtol=1e-6)
    assert f"= {loss:.3f})" in s["layout"]["title"]["text"]


@pytest.mark.parametrize(("cell", "bi"), ARCHS, ids=ARCH_IDS)
def test_dw_contributions_sum_to_the_weight_gradients(cell, bi):
    model, trace, _, _, _, grads, bt = backward(cell, bi)
    for d in model.config.directions:
        contrib = G.dw_contributions(model, trace, bt, direction=d)
        assert len(contrib) == {"rnn": 1, "gru": 3, "lstm": 4}[cell]
        for c in contrib.values():
            g = grads[c["param"]]
            if cell == "rnn":
                g = np.concatenate([g, grads[c["param"].replace("Waa", "Wax")]], axis=1)
            # Summed from T_x down to t = 1, the steps' terms are the whole gradient.
            assert c["cumulative"][0] == pytest.approx(np.linalg.norm(g), rel=1e-8)
            assert c["cumulative"][-1] == pytest.approx(c["per_step"][-1], rel=1e-12)
            assert np.all(c["per_step"] >= 0)


def test_dw_contributions_start_from_a_carried_state():
    """A primed LM starts from a<0> != 0: step 1's term uses it."""
    model, trace, targets = make("lstm", n_a=4)
    state0 = trace.final_state
    x = trace["x"]
    tr2 = model.forward(x, state0=state0, tokens=trace.tokens)
    _, grads, bt = model.backward(tr2, targets[None, :])
    contrib = G.dw_contributions(model, tr2, bt)
    assert contrib["W_f"]["cumulative"][0] == pytest.approx(np.linalg.norm(grads["Wf"]),
                                                            rel=1e-8)


@pytest.mark.parametrize(("cell", "bi"), ARCHS, ids=ARCH_IDS)
def test_bptt_heatmaps_are_the_backward_trace(cell, bi):
    _, trace, _, _, _, _, bt = backward(cell, bi)
    keys = F.grad_keys(bt)[:3]
    s = spec(F.bptt_figure(bt, keys, start_t=4))
    heat = [d for d in s["data"] if d["type"] == "heatmap"]
    assert len(heat) == len(keys)
    for d, key in zip(heat, keys, strict=True):
        np.testing.assert_allclose(d["z"], bt[key][:, 0, :], rtol=1e-5, atol=1e-12)
    # Frames move the cover: at step t it hides t' < t.
    T = trace.T_x
    assert len(s["frames"]) == T
    f = next(fr for fr in s["frames"] if fr["name"] == "4")
    assert f["data"][0]["x"][1] == pytest.approx(3.5)
    play = s["layout"]["updatemenus"][0]["buttons"][0]["args"][0]
    assert play == [str(t) for t in range(4, 0, -1)]          # BPTT: from t = 4 down to 1
    full = spec(F.bptt_figure(bt, keys))["layout"]["updatemenus"][0]["buttons"][0]["args"][0]
    assert full[0] == str(T) and full[-1] == "1"


def test_bptt_hover_names_each_rows_unit_and_only_the_bottom_panel_labels_steps():
    """Drawing a subset of units (the page's top units), row j's hover says the unit it is
    (a typed int32 array, not nested lists); the panels above the last draw no tick labels
    and no panel draws grid lines under its heatmap."""
    _, trace, _, _, _, _, bt = backward("lstm", False, n_a=6)
    keys = F.grad_keys(bt)[:3]
    units = [5, 1, 3]
    s = spec(F.bptt_figure(bt, keys, start_t=2, units=units, animate=False))
    heat = [d for d in s["data"] if d["type"] == "heatmap"]
    for d, key in zip(heat, keys, strict=True):
        custom = np.asarray(d["customdata"])
        assert custom.dtype == np.int32 and custom.shape == (3, trace.T_x)
        np.testing.assert_array_equal(custom, np.repeat(np.array(units)[:, None], trace.T_x, 1))
        np.testing.assert_allclose(d["z"], bt[key][units, 0, :], rtol=1e-5, atol=1e-12)
    lay = s["layout"]
    xs = [lay["xaxis" if i == 0 else f"xaxis{i + 1}"] for i in range(len(keys))]
    assert [x.get("showticklabels", True) for x in xs] == [False, False, True]
    assert [x.get("ticktext") is not None for x in xs] == [False, False, True]
    assert xs[-1]["ticktext"][0] == trace.token_labels()[0]
    ys = [lay["yaxis" if i == 0 else f"yaxis{i + 1}"] for i in range(len(keys))]
    assert all(a["showgrid"] is False for a in xs + ys)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_bptt_cover_covers_exactly_the_steps_not_reached_yet(cell):
    """Issue 23, item 1: at step t the grey cover is a filled rectangle, in the heatmap's own
    (numeric) coordinates, over every row of the columns BPTT has not reached (t' < t: to the
    right of t in BPTT's order T_x, ..., 1), and leaves the columns t..T_x visible."""
    _, trace, _, _, _, _, bt = backward(cell, False)
    keys = F.grad_keys(bt)[:2]
    s = spec(F.bptt_figure(bt, keys))
    T = trace.T_x
    heat = [d for d in s["data"] if d["type"] == "heatmap"]
    for fr in s["frames"]:
        t = int(fr["name"])
        for i, (cover, hm) in enumerate(zip(fr["data"], heat, strict=True)):
            yax = s["layout"]["yaxis" if i == 0 else f"yaxis{i + 1}"]
            assert yax["type"] == "linear"             # a category axis misplaces the cover
            rows = np.asarray(hm["y"], dtype=float)
            x, y = np.asarray(cover["x"], float), np.asarray(cover["y"], float)
            cols = np.arange(1, T + 1)
            covered = (cols >= x.min()) & (cols <= x.max()) if t > 1 else np.zeros(T, bool)
            np.testing.assert_array_equal(covered, cols < t)
            if t > 1:                                  # every row, edge to edge
                assert y.min() <= rows.min() - 0.5 and y.max() >= rows.max() + 0.5
                assert sorted(yax["range"]) == [rows.min() - 0.5, rows.max() + 0.5]
    fill = next(d for d in s["data"] if d["type"] == "scatter")
    assert fill["fill"] == "toself" and fill["mode"] == "lines"


def test_grad_keys_show_a_grus_dc_once():
    _, _, _, _, _, _, bt = backward("gru", False)
    assert F.grad_keys(bt) == ["da", "dgamma_u", "dgamma_r", "dc_tilde"]
    _, _, _, _, _, _, bt = backward("gru", True)
    assert "dc_fwd" not in F.grad_keys(bt)


def test_grad_norm_figure_plots_the_backward_norms():
    _, _, _, _, _, _, bt = backward("rnn", False)
    s = spec(F.grad_norm_figure(bt, t=3))
    np.testing.assert_allclose(s["data"][0]["y"], bt.grad_norm, rtol=1e-6)
    assert s["layout"]["yaxis"]["type"] == "log"
    assert s["layout"]["shapes"][0]["x0"] == 3


@pytest.mark.parametrize("at", ["all", "last"])
def test_da_split_into_output_and_recurrence(at):
    model, trace, targets, y, _, _, bt = backward("lstm", False, at=at)
    T = trace.T_x
    local, carried, total = G.da_split(model, trace, bt, y, at=at, t=T)
    # At T_x nothing comes back from a later step.
    assert carried == pytest.approx(0.0, abs=1e-12)
    assert local == pytest.approx(total, rel=1e-9)
    local, carried, total = G.da_split(model, trace, bt, y, at=at, t=2)
    if at == "last":
        assert local == 0.0 and carried == pytest.approx(total)
    else:
        p = trace["y_hat"][:, 0, 1].copy()
        p[targets[1]] -= 1
        assert local == pytest.approx(np.linalg.norm(model.params["Wy"].T @ p), rel=1e-9)


def test_gradcheck_table_on_the_models_own_check():
    model, trace, targets = make("gru", n_a=4)
    rows = gradient_check(model, trace["x"], targets[None, :], keys=["Wu", "Wc"], n_entries=2)
    table = F.gradcheck_table(rows)
    assert [r["parameter"] for r in table] == ["W_u", "W_u", "W_c", "W_c"]
    assert all(r["check"].startswith("ok") for r in table)
    bad = F.gradcheck_table([{"param": "W", "index": (0, 1), "analytic": 1.0,
                              "numeric": 2.0, "rel_error": 1 / 3}])
    assert bad[0]["check"] == "MISMATCH" and bad[0]["entry"] == "(0, 1)"
    # A tiny gradient of a large loss is only as exact as the rounding of L.
    small = {"param": "W", "index": (0,), "analytic": 2.2e-7, "numeric": 2.21e-7,
             "rel_error": 2.3e-3}
    assert F.gradcheck_table([small])[0]["check"] == "MISMATCH"
    assert F.gradcheck_table([small], loss=40.0)[0]["check"] == "ok (rounding)"


def test_dw_figure_traces():
    model, trace, _, _, _, _, bt = backward("lstm", False)
    contrib = G.dw_contributions(model, trace, bt)
    s = spec(F.dw_figure(contrib, trace.token_labels(), t=5))
    bars = [d for d in s["data"] if d["type"] == "bar"]
    assert [d["name"] for d in bars] == ["∂L/∂W_f", "∂L/∂W_u", "∂L/∂W_o", "∂L/∂W_c"]
    np.testing.assert_allclose(bars[0]["y"], contrib["W_f"]["per_step"], rtol=1e-6)


def test_parameters_carry_the_notes_names():
    """Learner's report: the table said Wo, Wf, Wi, Wc while everything else says W_u."""
    assert [F.param_name(k) for k in ("Wo", "Wf", "Wi", "Wc", "bi", "Waa", "Wax", "by")] == [
        "W_o", "W_f", "W_u", "W_c", "b_u", "W_aa", "W_ax", "b_y"]
    assert F.param_name("bwd.Wi") == "W_u ←"
    assert F.param_name("l2.Wf") == "W_f^[2]"
