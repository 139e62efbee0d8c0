"""Support for the AppTest tests of pages 5-7 (bidirectional, sampling, types).

* `open_page(monkeypatch, page)`: an AppTest of app.py switched to `page`, after one run.
  The shipped models are used when they load; otherwise `install(monkeypatch)` serves
  random-weight stand-ins built with the real `rnnviz.models` classes (LanguageModel, Tagger,
  Classifier), so the pages' logic is tested either way. Caches are cleared first
  (`clear_caches`: all but the shipped models' Units readings, which a server keeps too).
* `chart(at, key)`: the Plotly spec of the chart with widget key `key`, as a dict in which
  every typed array ({"dtype", "bdata", "shape"}) is decoded to a NumPy array.
* `HOSTILE`: the inputs every text box must survive.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import streamlit as st
from _plotly_json import decode
from streamlit.testing.v1 import AppTest

import rnnviz
from rnnviz import models
from rnnviz.core.model import Model, RNNConfig
from rnnviz.data.corpus import CHARSET
from rnnviz.text import SPECIALS, Vocab
from rnnviz_app.charts import NAME as CHART
from rnnviz_app.charts import PRELOAD_KEY

NAMES = models.PRETRAINED
_WORDS = ("he said , teddy roosevelt was a great president . bears are on sale the film "
          "movie good bad great boring there is nothing to like in this yesterday harry potter")


def real_models_available() -> bool:
    """True when every shipped model loads."""
    try:
        return all(rnnviz.load_pretrained(n) is not None for n in NAMES)
    except Exception:
        return False


def build(name: str) -> models.ModelInUse:
    rng = np.random.default_rng(NAMES.index(name))
    if name.startswith("char-lm"):
        vocab = Vocab([*SPECIALS, *CHARSET], kind="char")
        n = len(vocab)
        cfg = RNNConfig(cell=name.rsplit("-", 1)[1], n_x=n, n_a=16, n_y=n, dtype="float32")
        card = {"name": name, "kind": "char_lm", "stand_in": True}
        return models.LanguageModel(name, Model.init(cfg, rng=rng), vocab, card,
                                    f"# {name} (stand-in)")
    vocab = Vocab.build(_WORDS, kind="word", lowercase=True)
    if name.startswith("ner"):
        cfg = RNNConfig(cell="lstm", n_x=len(vocab), n_a=8, n_y=2, dtype="float32",
                        bidirectional=name == "ner-bilstm")
        card = {"name": name, "kind": "tagger", "stand_in": True}
        return models.Tagger(name, Model.init(cfg, rng=rng), vocab, card, f"# {name} (stand-in)")
    cfg = RNNConfig(cell="lstm", n_x=len(vocab), n_a=8, n_y=5, head="many_to_one",
                    dtype="float32")
    card = {"name": name, "kind": "classifier", "stand_in": True,
            "labels": ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]}
    return models.Classifier(name, Model.init(cfg, rng=rng), vocab, card, f"# {name} (stand-in)")


def install(monkeypatch) -> None:
    """Serve stand-ins from `rnnviz.load_pretrained` / `list_pretrained`."""
    cache: dict[str, models.ModelInUse] = {}

    def load(name):
        if name not in NAMES:
            raise KeyError(name)
        if name not in cache:
            cache[name] = build(name)
        return cache[name]

    monkeypatch.setattr(rnnviz, "load_pretrained", load, raising=False)
    monkeypatch.setattr(rnnviz, "list_pretrained", lambda: list(NAMES), raising=False)
    global stand_ins_served
    stand_ins_served = True         # readings of stand-ins must not outlive the test (conftest)


stand_ins_served = False


APP = Path(__file__).resolve().parents[2] / "app.py"
HOSTILE = {
    "empty": "",
    "huge": "Teddy bears " * 8_334,                       # 100,008 characters
    "emoji_rtl_control": "He said 😀👍🏽 \u202eTeddy\u202c مرحبا بالعالم \x00\x07\tend",
    "img": "<img src=x onerror=alert(1)>",
    "style": "<style>body{display:none}</style>",
    "script": "<script>window.pwned = 1</script>",
}


# The Units readings a server computes once, in the background, and keeps for every visitor
# (`rnnviz_app.loaders.warm_units_readings`): functions of the shipped models and their held-out
# text, keyed by what the model is. A test worker keeps them from test to test as a server
# keeps them from visitor to visitor (each costs seconds); every other cache starts empty.
WARM_READINGS = frozenset(f"rnnviz_app.loaders.{name}" for name in (
    "get_heldout", "get_corpus_trace", "get_corpus_facts", "get_unit_scores", "get_heldout_summary",
    "_units_comparison"))


def clear_caches() -> None:
    """Every shared cache emptied but the shipped models' Units readings (`WARM_READINGS`; all
    of them too when the shipped models are missing and stand-ins are in use)."""
    from streamlit.runtime.caching import cache_resource_api

    st.cache_data.clear()
    if not real_models_available():
        st.cache_resource.clear()
        return
    registry = cache_resource_api._resource_caches._function_caches
    for caches in list(registry.values()):
        for cache in list(caches.values()):
            if cache.display_name not in WARM_READINGS:
                cache.clear()


def warm_server(monkeypatch) -> None:
    """The caches as a server leaves them after its background warm-up (`shell._warm_caches`),
    from empty ones: the shipped models' Units readings stay (`clear_caches`) and are not
    read again."""
    from rnnviz_app import shell

    clear_caches()
    monkeypatch.setattr(shell, "warm_units_readings", lambda: None)
    monkeypatch.setattr(shell, "warm_units_trace", lambda: None)
    monkeypatch.setattr(shell._RUNS, "wait_for_quiet", lambda: 0.0)
    shell._warm_caches()


def open_page(monkeypatch, page: str, stand_ins: bool | None = None) -> AppTest:
    """app.py switched to `page` and run once. stand_ins: None = stand-ins only if the shipped
    models are missing; False = keep whatever `rnnviz.load_pretrained` is now (a test that
    installed its own loader)."""
    if stand_ins is None and not real_models_available():
        install(monkeypatch)
    clear_caches()
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page(page)        # straight to the page, as a visitor's link to it does
    at.run()
    return at


def charts(at: AppTest) -> list:
    """The app's chart elements (`rnnviz_app.charts`, a components v2 element) on the page
    (not the frame's element that only makes the browser load plotly.js early)."""
    return [c for c in at.get("bidi_component") if c.proto.component_name == CHART
            and not c.proto.id.endswith("-" + PRELOAD_KEY)]


def chart(at: AppTest, key: str) -> dict:
    """The decoded Plotly spec of the chart whose widget key is `key`, as the element
    receives it (`rnnviz_app.charts.payload`)."""
    found = [c for c in charts(at) if c.proto.id.endswith("-" + key)]
    assert len(found) == 1, f"expected one chart with key {key!r}, found {len(found)}"
    return decode(json.loads(found[0].proto.json)["figure"])


def chart_payload(at: AppTest, key: str) -> dict:
    """Everything the chart element of `key` receives: the decoded figure and the rest of
    `rnnviz_app.charts.payload` (config, clickable, play)."""
    found = [c for c in charts(at) if c.proto.id.endswith("-" + key)]
    assert len(found) == 1, f"expected one chart with key {key!r}, found {len(found)}"
    sent = json.loads(found[0].proto.json)
    return dict(sent, figure=decode(sent["figure"]))


def chart_keys(at: AppTest) -> list[str]:
    return [c.proto.id.rsplit("-", 1)[-1] for c in charts(at)]


def all_text(at: AppTest) -> str:
    """Everything rendered as Markdown (captions, notes, alerts, metric labels)."""
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "error")
             for e in at.get(kind)]
    parts += [m.label for m in at.metric]
    return "\n".join(str(p) for p in parts)


def assert_no_raw_html(at: AppTest, text: str) -> None:
    """User text never reaches Markdown (where tags or formatting could take effect)."""
    if len(text) >= 5:
        assert text not in all_text(at)
    assert "<img" not in all_text(at) and "<script" not in all_text(at)


def texts(at: AppTest) -> list[str]:
    """The texts the page shows as they are (`ui.text`: escaped HTML in a Markdown element,
    a sample or a word), in page order, decoded."""
    from rnnviz.figures.tables import read_text

    return [t for e in at.markdown for t in read_text(str(e.value))]


def tables(at: AppTest) -> list:
    """The page's tables (`ui.table`: HTML in a Markdown element), in page order, as
    DataFrames of what they show, their numbers the exact values they were made from."""
    from rnnviz.figures.tables import read_table

    return [t for e in at.markdown for t in read_table(str(e.value))]
