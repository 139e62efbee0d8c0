"""Units: what does unit k do? Interpretable units over a corpus (Karpathy et al., 2015), the
text painted by one unit, select-and-search (LSTMVis), two sentences side by side, gate
saturation: a tab each, only the open one built (`units_view.TABS`)."""

import streamlit as st

import rnnviz_app as ui
from rnnviz_app import units_view as view
from rnnviz_app.notes import UNITS as NOTES


def render():
    ui.ensure_frame()
    st.title("Units: what does unit k do?")
    st.caption(NOTES["caption"])
    ctx = ui.page_context()
    c1, c2 = st.columns([1, 3])
    quantity = view.quantity_picker(ctx.model, c1)
    view.own_text_first(ctx.spec)
    with c2:
        name, corpus_key, text = ui.corpus_picker("units.corpus", ctx.model.kind, ctx.text)
    reading = f"Reading {name} ({len(text):,} characters)…"
    try:
        with st.spinner(reading):
            facts = ui.get_corpus_facts(ctx.spec, corpus_key, quantity, text)
    except ValueError as e:
        st.error(f"This corpus cannot be read: {e}")
        st.stop()
    st.caption(f"Corpus: {name}, {facts.N:,} steps" + NOTES["method"].get(facts.method, "")
               .format(streams=facts.streams, warmup=facts.warmup) + ".")
    view.corpus_fit(ctx, facts.unknown_share)
    regex = st.text_input("Custom feature: a regular expression (tokens inside a match = 1)",
                          key="units.regex", max_chars=200)
    with st.spinner(reading):
        try:
            scores = ui.get_unit_scores(ctx.spec, corpus_key, quantity, regex or "", text)
        except ValueError as e:
            st.error(str(e))
            scores = ui.get_unit_scores(ctx.spec, corpus_key, quantity, "", text)

    def corpus():
        """The whole reading, for the tabs that paint or search it (the first tab opens on
        the facts and scores alone, which ship with the shipped char LMs)."""
        with st.spinner(reading):
            return ui.get_corpus_trace(ctx.spec, corpus_key, quantity, text)

    tab, section = ui.lazy_tabs(view.TABS, view.KEY_TAB)
    with tab:
        if section == "interpretable":
            view.interpretable(ctx, facts.N, scores, quantity)
        elif section == "paint":
            view.paint(ctx, corpus(), scores, quantity,
                       ui.get_sentence_trace(ctx.spec, ctx.text, quantity))
        elif section == "search":
            view.select_and_search(ctx, corpus(), corpus_key,
                                   ui.get_sentence_trace(ctx.spec, ctx.text, quantity), quantity)
        elif section == "compare":
            view.two_sentences(ctx, "a" if "@" not in quantity else "a@" + quantity.split("@")[1])
        else:
            view.saturation()


render()
