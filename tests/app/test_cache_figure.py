"""`ui.cache_figure`: a figure builder takes the model and the reading the page holds, and the
shared cache keys them by what they are (the model's identity, what was read), not by their
arrays and not by a name: two visitors' models never share a figure."""

from __future__ import annotations

import numpy as np
import pytest
from _plotly_json import decode

import rnnviz
from rnnviz import gradients, vanishing
from rnnviz.figures import backward as bfigs
from rnnviz_app import backward_view, bidirectional_view, vanishing_view
from rnnviz_app.widgets import cache_figure


def _model(seed: int):
    return rnnviz.models.random_model(cell="gru", n_a=4, seed=seed)


def test_a_figure_is_built_once_per_model_and_reading():
    calls = []

    @cache_figure
    def built(model, reading, unit):
        calls.append((model.name, reading.steps.T_x, unit))
        return float(reading.trace["a"][unit, 0, -1])

    a, b = _model(1), _model(2)
    ra, ra_again = a.read("the cat"), a.read("the cat")
    assert ra is not ra_again and ra.of == ra_again.of
    first = built(a, ra, 0)
    assert built(a, ra_again, 0) == first and len(calls) == 1        # the same reading: cached
    built(a, a.read("the cats"), 0)                                   # another text
    built(a, ra, 1)                                                   # another option
    assert len(calls) == 3
    b.__dict__["name"] = a.name                       # another visitor's model, the same name
    rb = b.read("the cat")
    assert rb.trace["a"][0, 0, -1] != ra.trace["a"][0, 0, -1]
    assert built(b, rb, 0) == float(rb.trace["a"][0, 0, -1])          # other weights: its own
    assert len(calls) == 4


def test_what_a_reading_is_of_changes_with_the_model_the_text_and_the_options():
    a, b = _model(1), _model(2)
    base = a.read("abc").of
    assert a.read("abd").of != base
    assert b.read("abc").of != base
    assert a.read("abc", for_loss=True).of != base
    clamp = rnnviz.Clamp("a", [0], value=0.5)
    assert a.read("abc", interventions=[clamp]).of != base


# -- the pages' builders: two visitors' models with one name never share a figure -------------

def _arrays(fig) -> list[np.ndarray]:
    """Every numeric array of a figure's data, as the browser receives it, in order."""
    out = []

    def walk(obj):
        if isinstance(obj, np.ndarray) and obj.dtype.kind in "fiu":
            out.append(obj.astype(np.float64))
        elif isinstance(obj, dict):
            for v in obj.values():
                walk(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                walk(v)

    walk(decode(fig.to_dict())["data"])
    return out


def _equal(fa, fb) -> bool:
    a, b = _arrays(fa), _arrays(fb)
    return len(a) == len(b) and all(x.shape == y.shape and np.allclose(x, y, equal_nan=True)
                                    for x, y in zip(a, b, strict=True))


def _title(fig) -> str:
    return fig.to_dict()["layout"]["title"]["text"]


BACKWARD_TEXT = "the cat sat on the mat"


def _backward_builders(direction, keys):
    """Each Backward builder as the page calls it, and the figure it should draw, uncached."""
    t = 3
    return {
        "loss": (lambda m, r: backward_view.loss_fig(m, r),
                 lambda m, r: bfigs.loss_figure(r.trace, r.steps.targets, m.output_labels,
                                                at=r.at)),
        "bptt": (lambda m, r: backward_view.bptt_fig(r, keys, t),
                 lambda m, r: bfigs.bptt_figure(r.btrace, keys, start_t=t, animate=False)),
        "played": (lambda m, r: backward_view.bptt_played(r, keys, t),
                   lambda m, r: bfigs.bptt_figure(r.btrace, keys, start_t=t, animate=True)),
        "norm": (lambda m, r: backward_view.norm_fig(r, t),
                 lambda m, r: bfigs.grad_norm_figure(r.btrace, t=t)),
        "dw": (lambda m, r: backward_view.dw_fig(m, r, direction, t),
               lambda m, r: bfigs.dw_figure(
                   gradients.dw_contributions(m.model, r.trace, r.btrace, direction=direction),
                   r.trace.token_labels(), t=t)),
    }


@pytest.mark.parametrize("cell, bi", [("rnn", False), ("gru", False), ("lstm", False),
                                      ("lstm", True)], ids=["rnn", "gru", "lstm", "bilstm"])
def test_the_backward_figures_of_two_models_with_one_name_are_each_their_own(cell, bi):
    a = rnnviz.models.random_model(cell=cell, bidirectional=bi, n_a=4, seed=11)
    b = rnnviz.models.random_model(cell=cell, bidirectional=bi, n_a=4, seed=12)
    assert a.name == b.name                           # "random": two visitors, one name
    ra = a.backward(a.read(BACKWARD_TEXT, for_loss=True), at="all")
    rb = b.backward(b.read(BACKWARD_TEXT, for_loss=True), at="all")
    assert ra.of != rb.of
    direction = "fwd" if bi else ""
    keys = tuple(k for k in bfigs.grad_keys(ra.btrace) if not bi or k.endswith("_fwd"))[:2]
    for name, (cached, fresh) in _backward_builders(direction, keys).items():
        fa, fb = cached(a, ra), cached(b, rb)          # a first: b's must not be a's
        assert not _equal(fa, fb), name
        assert _equal(fb, fresh(b, rb)), name
        assert _equal(fa, fresh(a, ra)), name
        assert cached(a, ra) is fa, name               # and a repeat is served from the cache


def test_a_backward_pass_is_keyed_by_its_loss_and_its_targets():
    a = _model(1)
    reading = a.read(BACKWARD_TEXT, for_loss=True)
    every, last = a.backward(reading, at="all"), a.backward(reading, at="last")
    assert every.of[:len(reading.of)] == reading.of and every.of != last.of
    # the same L<t> drawn, another loss marked and summed: the title says L = ...
    assert (_title(backward_view.loss_fig(a, every)) != _title(backward_view.loss_fig(a, last))
            == _title(bfigs.loss_figure(last.trace, last.steps.targets, a.output_labels,
                                        at="last")))
    targets = np.roll(reading.steps.targets, 1)
    other = a.backward(gradients.with_targets(a, reading, targets, "rolled"), at="all")
    assert other.of != every.of
    assert not _equal(backward_view.loss_fig(a, every), backward_view.loss_fig(a, other))
    assert not _equal(backward_view.norm_fig(every, 2), backward_view.norm_fig(other, 2))


def test_the_other_pages_builders_key_the_model_by_what_it_is():
    a = rnnviz.models.random_model(cell="gru", bidirectional=True, n_a=4, seed=21)
    b = rnnviz.models.random_model(cell="gru", bidirectional=True, n_a=4, seed=22)
    assert a.name == b.name
    ca = vanishing_view._your_curve(a, "the cat", 12, "loss")
    cb = vanishing_view._your_curve(b, "the cat", 12, "loss")
    assert not np.allclose(ca["norms"], cb["norms"])
    np.testing.assert_allclose(cb["norms"], vanishing.model_curve(b, "the cat", 12, "loss")
                               ["norms"])
    da = bidirectional_view.directions_figure(a, a.read("the cat"), 1)
    db = bidirectional_view.directions_figure(b, b.read("the cat"), 1)
    assert not _equal(da, db)
