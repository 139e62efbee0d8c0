"""Units: what does unit k do? Interpretable units over a corpus (Karpathy et al., 2015),
select-and-search (LSTMVis), two sentences side by side, gate saturation."""

import numpy as np
import pandas as pd
import streamlit as st

import rnnviz_app as ui
from rnnviz import units as U
from rnnviz.core.trace import symbol
from rnnviz.figures import units as figs
from rnnviz.figures.common import escape_all, visible_token
from rnnviz.models import ModelSpec
from rnnviz_app.widgets import md

CHAR_LMS = ("char-lm-rnn", "char-lm-gru", "char-lm-lstm")
SATURATION_CHARS = 20_000          # held-out characters behind the saturation scatter
PAINT_CHARS = 600                  # characters of corpus painted at once
# The default corpus is the start of the held-out text: every char LM reads it once per server
# (three of them for the comparison), in a few seconds; the whole split is one click away.
HELDOUT_CHARS = 30_000
CORPORA = {"heldout": f"held-out text (first {HELDOUT_CHARS:,} characters)",
           "heldout_all": "all the held-out text (slower the first time)",
           "sentence": "the sidebar sentence", "own": "my own text (paste or upload)"}


# -- cached computations (small keys; arrays read-only) --------------------------------------


@st.cache_resource(max_entries=8, show_spinner=False)
def _heldout(kind: str, full: bool = False) -> tuple[str, str]:
    name, text = U.heldout_corpus(kind)
    if full or len(text) <= HELDOUT_CHARS:
        return name, text
    return f"{name}, first {HELDOUT_CHARS:,} characters", text[:HELDOUT_CHARS]


@st.cache_resource(max_entries=6, show_spinner=False)
def _corpus(spec: ModelSpec, corpus_key: str, quantity: str, _text: str) -> U.CorpusTrace:
    """The corpus trace of (model, corpus, quantity); `corpus_key` names `_text` (a hash)."""
    return U.corpus_trace(ui.get_model(spec), _text, (quantity,))


@st.cache_resource(max_entries=32, show_spinner=False)
def _scores(spec, corpus_key, quantity, regex, _text):
    corpus = _corpus(spec, corpus_key, quantity, _text)
    features = None
    if regex:
        features = {**corpus.features, "custom pattern": regex}
    return U.unit_scores(ui.get_model(spec), corpus, features, quantity)


@st.cache_resource(max_entries=64, show_spinner=False)
def _search(spec, corpus_key, quantity, units, threshold, ends, _text):
    corpus = _corpus(spec, corpus_key, quantity, _text)
    return U.search_pattern(ui.get_model(spec), corpus, list(units), threshold, quantity,
                            ends=ends)


@st.cache_resource(max_entries=16, show_spinner=False)
def _sentence(spec, text, quantity) -> U.CorpusTrace:
    return U.corpus_trace(ui.get_model(spec), text, (quantity,))


def _lm_quantity(model) -> str:
    """c<t> where the cell has one (the LSTM's memory; a GRU's c<t> is its a<t>), else a<t>."""
    return "c" if "c" in U.trace_keys(model) else "a"


@st.cache_resource(max_entries=2, show_spinner=False)
def _best_table() -> pd.DataFrame:
    """Best unit per built-in feature for the three shipped char LMs, on held-out text."""
    _, text = _heldout("char_lm")
    key = U.corpus_id(text)
    models = {n: ui.load_shipped(n) for n in CHAR_LMS}
    corpora = {n: _corpus(ModelSpec(name=n), key, _lm_quantity(m), text)
               for n, m in models.items()}
    return U.best_units(models, corpora, {n: _lm_quantity(m) for n, m in models.items()})


@st.cache_resource(max_entries=2, show_spinner=False)
def _saturation() -> dict:
    _, text = _heldout("char_lm")
    return {n: U.gate_saturation(ui.load_shipped(n), text[:SATURATION_CHARS]) for n in CHAR_LMS}


@ui.cache_figure
def _best_fig():
    return figs.best_r_figure(_best_table())


@ui.cache_figure
def _saturation_fig():
    return figs.saturation_scatter(_saturation())


@st.cache_resource(max_entries=16, show_spinner=False)
def _compare(spec, text_a, text_b) -> U.Comparison:
    return U.compare_texts(ui.get_model(spec), text_a, text_b, "a")


@ui.cache_figure
def _compare_fig(spec, text_a, text_b):
    return figs.comparison_figure(_compare(spec, text_a, text_b))


# -- the corpus --------------------------------------------------------------------------------


def _own_corpus() -> tuple[str | None, str | None]:
    """(text, error) from the upload (first) or the pasted text."""
    up = st.file_uploader("Upload a UTF-8 text file (≤ 1 MB)", key="units.upload",
                          type=None, accept_multiple_files=False, max_upload_size=1)
    pasted = st.text_area("…or paste text", key="units.paste", height=120,
                          max_chars=U.MAX_CORPUS_BYTES)
    try:
        if up is not None:
            return U.read_corpus_bytes(up.getvalue()), None
        return U.check_corpus_text(pasted or ""), None
    except ValueError as e:
        return None, str(e)


def _choose_corpus(ctx) -> tuple[str, str, str]:
    """(name, key, text) of the corpus the page reads."""
    kind = ctx.model.kind
    options = list(CORPORA)
    ui.keep_valid("units.corpus", options, "heldout")
    choice = st.radio("Corpus", options, format_func=CORPORA.get, key="units.corpus",
                      horizontal=True)
    name, text = _heldout(kind, full=choice == "heldout_all")
    if choice == "sentence":
        name, text = "the sidebar sentence", ctx.text
    elif choice == "own":
        own, error = _own_corpus()
        if error:
            st.error(f"Your text cannot be used: {error} The page reads the held-out text "
                     "instead.")
        elif own is not None:
            name, text = "your text", own
    return name, f"{choice}:{U.corpus_id(text)}", text


# -- sections ----------------------------------------------------------------------------------


def _interpretable(ctx, corpus, scores, quantity):
    st.header("1. Interpretable units", anchor="interpretable", divider="gray")
    top = U.top_units(scores, 3)
    top = top.assign(r=top.score.round(3),
                     about=top.feature.map(lambda f: U.FEATURE_NOTES.get(f, "your pattern")))
    c1, c2 = st.columns([3, 2], gap="medium")
    with c1:
        st.dataframe(top[["feature", "unit", "r", "about"]], hide_index=True,
                     key="units.scores", height=min(420, 38 + 35 * len(top)))
    with c2:
        ui.look_for(
            f"For each feature of the token read at step t, the 3 units whose "
            f"{md(symbol(quantity))} follows it best over {corpus.N:,} steps (Pearson r: +1 "
            "rises with the feature, −1 falls with it, 0 ignores it). A unit with |r| ≥ 0.8 "
            "is one you can read: paint the text with it below. Most units have |r| < 0.3 "
            "for every simple feature: they do many things at once.")
    if ui.missing_models(*CHAR_LMS):
        return
    best = _best_table()
    line = best[best.feature == "line_position"].set_index("model")
    parts = [f"**{n}** unit {int(line.unit[n])} of {md(symbol(line.quantity[n]))} "
             f"(r = {line.score[n]:+.2f})" for n in CHAR_LMS]
    finding = (
        "Measured now on the held-out docstrings (text none of them trained on), the unit "
        "that best follows *the position in the line*: " + ", ".join(parts) + " (a GRU's "
        "c\\<t\\> is its a\\<t\\>). "
        + ("The gated cells learned to count characters since the last newline; the vanilla "
           "RNN did not: its state forgets within a few dozen characters."
           if min(abs(line.score["char-lm-gru"]), abs(line.score["char-lm-lstm"]))
           > abs(line.score["char-lm-rnn"]) + 0.2 else
           "Compare the bars: which cell keeps a count over a whole line?"))
    ui.chart_with_note(_best_fig(), key="units.best_r",
                       note=finding + " Hover a bar for the unit and its r. Features like "
                       "*is_space* need no memory at all, so every cell scores on them.")


def _paint(ctx, corpus, scores, quantity, sentence):
    st.header("2. The text painted by one unit", anchor="paint", divider="gray")
    n = corpus[quantity].shape[0]
    feats = list(dict.fromkeys(scores.feature))
    best = U.top_units(scores).set_index("feature")

    def pick_best():
        f = st.session_state.get("units.paint_feature")
        if f in best.index:
            st.session_state["units.unit"] = int(best.unit[f])

    ui.keep_valid("units.paint_feature", feats, feats[0])
    c1, c2, c3 = st.columns([2, 1, 2])
    with c1:
        st.selectbox("Best unit for the feature", feats, key="units.paint_feature",
                     on_change=pick_best)
    st.session_state.setdefault("units.unit", int(best.unit[feats[0]]))
    if not 0 <= int(st.session_state["units.unit"]) < n:
        st.session_state["units.unit"] = int(best.unit[feats[0]])
    with c2:
        unit = int(st.number_input("Unit", 0, n - 1, key="units.unit", step=1))
    with c3:
        over = st.radio("Paint", ["sentence", "corpus"], key="units.paint_over",
                        format_func={"sentence": "the sidebar sentence",
                                     "corpus": "a stretch of the corpus"}.get, horizontal=True)
    label = f"{symbol(quantity)}[{unit}]"
    gate = quantity.startswith("gamma")
    shift = 0.5 if gate else 0.0                   # gates: red = open (> 0.5), blue = closed
    if over == "corpus" and corpus.N > 1:
        start = st.slider("Start of the stretch (step)", 1, max(1, corpus.N - 1), 1,
                          key="units.paint_at") - 1
        end = min(corpus.N, start + PAINT_CHARS)
        a, b = int(corpus.spans[start, 0]), int(corpus.spans[end - 1, 1])
        values = corpus[quantity][unit, start:end] - shift
        html = figs.painted_text_html(corpus.text[a:b], corpus.spans[start:end] - a, values,
                                      label=label, first_t=start + 1)
    else:
        values = sentence[quantity][unit] - shift
        html = figs.painted_text_html(ctx.text, sentence.spans, values, label=label)
    finite = np.abs(values[np.isfinite(values)])
    vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    r = scores[(scores.unit == unit)].set_index("feature").score
    strongest = r.abs().idxmax() if r.notna().any() else None
    left, right = st.columns([3, 1], gap="medium")
    with left:
        ui.safe_markdown_html(html)
        ui.safe_markdown_html(figs.legend_html(vmax, label + (" − 0.5" if gate else "")))
    with right:
        ui.look_for(
            f"Each character's background is unit {unit}'s {md(symbol(quantity))} right after "
            "reading it: red above, blue below " + ("0.5 (open / closed)" if gate else "0")
            + ". Hover for t and the value. "
            + (f"Over the corpus this unit follows **{strongest}** best (r = "
               f"{r[strongest]:+.2f}). " if strongest else "")
            + "A line-position unit brightens along each line and resets at ↵; a bracket "
            "unit lights up between ( and ).")


def _select_search(ctx, corpus, corpus_key, sentence, quantity):
    st.header("3. Select and search", anchor="search", divider="gray")
    T = sentence.N
    span = st.session_state.get("units.span")
    if not (isinstance(span, (tuple, list)) and len(span) == 2 and 1 <= span[0] <= span[1] <= T):
        st.session_state["units.span"] = (1, min(T, 3))
    c1, c2 = st.columns([3, 1])
    with c1:
        start, end = st.slider("Span of the sentence (token positions t)", 1, max(T, 2),
                               key="units.span", disabled=T < 2)
    with c2:
        threshold = st.slider("Threshold (on = value ≥ threshold)", -1.0, 1.0, 0.3, 0.05,
                              key="units.threshold")
    start, end = int(min(start, T)), int(min(end, T))
    labels = [sentence.label(t) for t in range(1, T + 1)]
    units = U.select_units(ctx.model, sentence, start, end, threshold, quantity)
    chosen = " ".join(f"t={t} {visible_token(labels[t - 1])}" for t in range(start, end + 1))
    ui.safe_markdown_html("<div style='font-size:0.9rem;color:#555'>Selected: "
                          f"{escape_all(chosen[:400])}</div>")
    fig = figs.units_over_time_figure(sentence[quantity], labels, units, start, end, threshold,
                                      quantity)
    ui.chart_with_note(fig, key="units.selected", note=(
        f"The units whose {md(symbol(quantity))} is at least the threshold at every step of "
        "the shaded span and below it just before and just after (LSTMVis's selection). "
        "Few units and a long span: a specific pattern. No unit at all: lower the threshold "
        "or move the span."))
    if units.size == 0:
        st.info("No unit is on over exactly this span: there is nothing to search for.")
        return
    options = [int(u) for u in units]
    ui.keep_valid("units.search_units", options, options)
    st.session_state.setdefault("units.search_units", options)
    c1, c2 = st.columns([2, 2])
    with c1:
        chosen = st.multiselect("Search for these units", options, key="units.search_units")
    with c2:
        ends = st.radio("A match ends where", ["any", "all"], key="units.ends", format_func={
            "all": "every unit is off (strict)", "any": "one unit is off (looser)"}.get,
            horizontal=True)
    if not chosen:
        st.info("Pick at least one unit to search for.")
        return
    res = _search(ctx.spec, corpus_key, quantity, tuple(int(u) for u in chosen),
                  float(threshold), ends, corpus.text)
    st.markdown(f"**{len(res):,} match(es)** of {len(chosen)} unit(s) in the corpus "
                f"({corpus.N:,} steps); the best 20 (score 1.0 = no other unit shares the "
                "pattern there):")
    if len(res) == 0:
        st.info("No match: with several units the strict pattern is rare. Search for fewer "
                "units, or let a match end where one unit is off.")
    if len(res):
        ui.safe_markdown_html(figs.matches_html(corpus.text, res, limit=20))
    ui.look_for(
        "Every stretch of the corpus where the same units switch on together and off at both "
        "ends. If they track a concept (inside a string, a keyword, the end of a word), the "
        "matches share it; if the matches look random, the units share nothing you can name.")


def _two_sentences(ctx):
    st.header("4. Two sentences side by side", anchor="compare", divider="gray")
    presets = [*U.PRESETS, "your own"]
    ui.keep_valid("units.preset", presets, presets[1])
    st.session_state.setdefault("units.preset", presets[1])
    preset = st.selectbox("Pair", presets, key="units.preset")
    a, b = U.PRESETS.get(preset, U.PRESETS[presets[1]])
    if preset == "your own":
        c1, c2 = st.columns(2)
        a = c1.text_input("Sentence A", a, key="units.text_a", max_chars=ui.MAX_CHARS) or a
        b = c2.text_input("Sentence B", b, key="units.text_b", max_chars=ui.MAX_CHARS) or b
    cmp = _compare(ctx.spec, a, b)
    ui.chart_with_note(_compare_fig(ctx.spec, a, b), key="units.compare", note=(
        "Top: how far apart a\\<t\\> of the two sentences is at each aligned step (tokens the "
        "other sentence lacks leave a gap). Before the first difference the distance is 0: "
        "same input, same state. After it, a model that *remembers* keeps the distance up "
        "until the words that need it (\"was\" / \"were\"); one that forgets lets it fall. "
        "Bottom: the units that differ most, A solid, B dotted."))
    st.dataframe(cmp.top.head(8).assign(mean_abs_diff=lambda d: d.mean_abs_diff.round(3)),
                 hide_index=True, key="units.compare_top")


def _saturation_section():
    st.header("5. Gate saturation", anchor="saturation", divider="gray")
    if ui.missing_models(*CHAR_LMS):
        return
    ui.chart_with_note(_saturation_fig(), key="units.saturation", note=(
        f"Each dot is one unit of one gate over {SATURATION_CHARS:,} held-out characters: "
        "right = often closed (< 0.1), up = often open (> 0.9), on the dotted diagonal = "
        "always one or the other. Karpathy et al. found LSTM forget gates that stay open "
        "(> 0.9) most of the time: units that remember. The RNN has no gates: its panel "
        "shows how often a\\<t\\> = tanh(…) sits near −1 (< −0.9, right) or +1 (> 0.9, up), "
        "where its derivative 1 − a² is almost 0 and the gradient vanishes."))


def render():
    ui.ensure_frame()
    st.title("Units: what does unit k do?")
    st.caption("Karpathy, Johnson and Fei-Fei (2015) and LSTMVis (Strobelt et al.) asked it at "
               "corpus scale: which units follow a feature of the text, which switch on over a "
               "phrase, and where else they do.")
    ctx = ui.page_context()
    spec, model = ctx.spec, ctx.model
    keys = [k for k in U.trace_keys(model) if k not in ("x", "z_y", "y_hat")]
    default_q = _lm_quantity(model) if model.kind == "char_lm" else "a"
    ui.keep_valid("units.quantity", keys, default_q)
    st.session_state.setdefault("units.quantity", default_q)
    c1, c2 = st.columns([1, 3])
    with c1:
        quantity = st.selectbox("Quantity", keys, format_func=symbol, key="units.quantity")
    with c2:
        name, corpus_key, text = _choose_corpus(ctx)
    try:
        with st.spinner(f"Reading {name} ({len(text):,} characters)…"):
            corpus = _corpus(spec, corpus_key, quantity, text)
    except ValueError as e:
        st.error(f"This corpus cannot be read: {e}")
        st.stop()
    st.caption(f"Corpus: {name}, {corpus.N:,} steps"
               + (f", read as {corpus.streams} parallel streams with a {corpus.warmup}-token "
                  "warm-up each" if corpus.method == "streams" else "")
               + (", one line at a time" if corpus.method == "lines" else "") + ".")
    regex = st.text_input("Custom feature: a regular expression (tokens inside a match = 1)",
                          key="units.regex", max_chars=200)
    try:
        scores = _scores(spec, corpus_key, quantity, regex or "", text)
    except ValueError as e:
        st.error(str(e))
        scores = _scores(spec, corpus_key, quantity, "", text)
    sentence = _sentence(spec, ctx.text, quantity)
    _interpretable(ctx, corpus, scores, quantity)
    _paint(ctx, corpus, scores, quantity, sentence)
    _select_search(ctx, corpus, corpus_key, sentence, quantity)
    _two_sentences(ctx)
    _saturation_section()


render()
