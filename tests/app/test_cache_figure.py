"""`ui.cache_figure`: a figure builder takes the model and the reading the page holds, and the
shared cache keys them by what they are (the model's identity, what was read), not by their
arrays and not by a name: two visitors' models never share a figure."""

from __future__ import annotations

import rnnviz
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
