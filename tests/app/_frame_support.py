"""Support for the AppTest tests of the frame and pages 1-4 (on top of `_page_support`).

* `switch_model(at, name="random", **random_settings)`: pick a model in the sidebar and run.
* `set_sentence(at, text)`: type a sentence in the sidebar and run.
* `expected_loaded(at)`: the `ModelInUse` the sidebar currently selects, built outside the
  app (no cache), to compare the page's numbers with.
* `markdown_html(at)`: the HTML the page passed to st.markdown(unsafe_allow_html=True).
"""

from __future__ import annotations

import rnnviz
from rnnviz_app.state import ModelSpec, clip_text

RANDOM_KEYS = {"cell": "sidebar.cell", "bidirectional": "sidebar.bidirectional",
               "n_a": "sidebar.n_a", "seed": "sidebar.seed", "init_scale": "sidebar.init_scale"}


def switch_model(at, name="random", **settings):
    at.selectbox(key="sidebar.model").set_value(name).run()
    assert not at.exception, at.exception
    for field, value in settings.items():
        key = RANDOM_KEYS[field]
        widget = {"cell": at.radio, "bidirectional": at.toggle, "n_a": at.slider,
                  "seed": at.number_input, "init_scale": at.slider}[field](key=key)
        widget.set_value(value).run()
        assert not at.exception, at.exception
    return at


def set_sentence(at, text):
    at.text_area(key="sidebar.sentence").input(text).run()
    return at


def current_spec(at) -> ModelSpec:
    ss = at.session_state
    return ModelSpec(name=ss["sidebar.model"], cell=ss["sidebar.cell"],
                     bidirectional=ss["sidebar.bidirectional"], n_a=ss["sidebar.n_a"],
                     seed=ss["sidebar.seed"], init_scale=ss["sidebar.init_scale"]).normalized()


def expected_loaded(at) -> rnnviz.ModelInUse:
    return rnnviz.models.load(current_spec(at))


def sentence(at) -> str:
    return clip_text(at.session_state["sidebar.sentence"])[0]


def markdown_html(at) -> list[str]:
    """The page's HTML shown through Markdown, but its tables (read those with
    `_page_support.tables`)."""
    return [m.value for m in at.markdown if getattr(m.proto, "allow_html", False)
            and 'class="rnnviz-table"' not in m.value]
