"""What does unit k do? Interpretable units, select-and-search, gate saturation, two texts.

The questions of Karpathy, Johnson and Fei-Fei, "Visualizing and Understanding Recurrent
Networks" (2015), and of LSTMVis (Strobelt et al., 2018), asked of any model in use (shipped,
random, imported) at corpus scale, in the course's notation:

First read a text once: `corpus = corpus_trace(model, text, quantities)` (a `CorpusTrace`:
the model's trace keys at every step, streamed for a long text), then ask it questions:

* `unit_scores(corpus, quantity, features)`: Pearson r between each unit's value at
  step t (a<t>, c<t>, Γf, ... any trace key) and a feature of the token read at step t
  (position in the line, inside parentheses, ...), units ranked by |r| per feature.
* `select_units(corpus, start, end, threshold, quantity)`: the units "on" (≥ threshold)
  at every step start..end and off just before and just after (LSTMVis's selection).
* `search_pattern(corpus, units, threshold, quantity)`: every other span of a corpus
  where the same units are on over the whole span and off on both sides, ranked by how
  far above their usual value the units are there (`matched_texts` groups them by text).
* `gate_saturation(model, corpus)`: per gate and unit, the fraction of steps with the gate
  below 0.1 (closed) and above 0.9 (open), Karpathy's saturation plot.
* `compare_texts(model, text_a, text_b)`: a<t> of two sentences aligned token by token.

A "model" is a model in use (`rnnviz.load_pretrained(name)`, `rnnviz.models.random_model`,
...): only `.model` (the network), `.vocab`, `.kind` and `.state0` are used, so every cell,
direction and layer reads the same way. Each argument has one type: a text is a str, a
corpus is a `CorpusTrace`.

The modules, one job each: `corpora` (pasted/uploaded text, held-out text), `features` (what a
unit is compared with), `corpus_reading` (`corpus_trace`: a model's values over a corpus,
streamed; its docstring says how, and how exactly), `scores` (interpretable units), `search`
(select and search), `saturation` (gate saturation), `compare` (two texts);
`heldout_summary` (the shipped char LMs' best units and saturation over their held-out text,
read when they are built and shipped beside them).
"""

from rnnviz.units.compare import PRESETS, Comparison, align_tokens, compare_texts
from rnnviz.units.corpora import (
    MAX_CORPUS_BYTES,
    check_corpus_text,
    corpus_id,
    heldout_corpus,
    read_corpus_bytes,
)
from rnnviz.units.corpus_reading import (
    CorpusFacts,
    CorpusTrace,
    corpus_facts,
    corpus_trace,
    corpus_window,
    trace_keys,
    unknown_share,
)
from rnnviz.units.features import (
    CHAR_FEATURES,
    FEATURE_NOTES,
    WORD_FEATURES,
    builtin_features,
    regex_feature,
)
from rnnviz.units.saturation import gate_saturation, saturation_keys
from rnnviz.units.scores import (
    best_units,
    constant_features,
    default_quantity,
    feature_matrix,
    gated_beats_rnn,
    strongest_feature,
    top_units,
    top_units_table,
    unit_scores,
)
from rnnviz.units.search import (
    DEFAULT_THRESHOLD,
    matched_texts,
    nearest_on,
    on_pattern,
    search_pattern,
    select_units,
    telling_span,
    word_spans,
)

__all__ = [
    "default_quantity", "top_units_table", "strongest_feature", "gated_beats_rnn",
    "corpus_window", "unknown_share", "constant_features", "matched_texts", "word_spans",
    "CorpusTrace", "CorpusFacts", "corpus_facts", "corpus_trace", "unit_scores", "top_units",
    "best_units", "select_units",
    "search_pattern", "telling_span", "nearest_on", "gate_saturation", "compare_texts",
    "Comparison", "align_tokens",
    "builtin_features", "regex_feature", "feature_matrix", "on_pattern", "read_corpus_bytes",
    "check_corpus_text", "corpus_id", "heldout_corpus", "trace_keys", "saturation_keys",
    "CHAR_FEATURES", "WORD_FEATURES", "FEATURE_NOTES", "PRESETS", "MAX_CORPUS_BYTES",
    "DEFAULT_THRESHOLD",
]  # fmt: skip
