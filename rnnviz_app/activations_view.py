"""Section 4 of the Activations page: what the model predicts at each step, in its task's
words (the next character of a char LM, the tag of each token of a tagger, the class of the
text read so far of a classifier), with the vocabulary's own names for its special tokens."""

from __future__ import annotations

import streamlit as st

from rnnviz.figures import activations as figs
from rnnviz.text.vocab import UNK_ID
from rnnviz_app.notes import ACTIVATIONS as NOTES
from rnnviz_app.widgets import cache_figure, chart_with_note, md

END_NAMES = ("<eos>", "</s>")          # an end-of-text token, shipped or imported


@cache_figure
def top_k(model, reading):
    """The top-5 chart of ŷ<t>, its title short ("Top-5 of ŷ<t>"): the page says the rest."""
    return figs.top_k_figure(reading.trace, model.output_labels,
                             targets=reading.steps.targets, k=5, title=NOTES["topk_short"],
                             target_name=NOTES["target_name"][model.kind])


def special_names(model) -> dict:
    """{"unk": ..., "eos": ...}: the vocabulary's own text of its unknown and end tokens
    (None when it has none), as the cells of the top-5 chart show them."""
    itos = model.vocab.itos
    unk_id = getattr(model.vocab, "unk_id", UNK_ID)
    return {"unk": itos[unk_id] if 0 <= unk_id < len(itos) else None,
            "eos": next((s for s in itos if s.lower() in END_NAMES), None)}


def predictions_note(model, steps, random: bool) -> str:
    """The note beside the top-5 chart, in the words of the model's task."""
    kind = model.kind
    mark = NOTES["topk_mark"].format(target=NOTES["target_name"][kind])
    if kind != "char_lm":
        return NOTES["topk_other"].format(what=NOTES["what"][kind]) + mark + steps.target_note
    names = special_names(model)
    specials = [NOTES["topk_special"][k].format(md(v)) for k, v in names.items() if v]
    return (NOTES["topk_lm"] + (f" ({'; '.join(specials)})" if specials else "") + ". "
            + mark + NOTES["topk_random" if random else "topk_trained"])


def predictions(ctx) -> None:
    """Section 4: the top-5 classes of ŷ<t> at every step, framed where the target is."""
    st.header("4. What the model predicts next", anchor="predictions", divider="gray")
    kind = ctx.model.kind
    st.markdown(NOTES["topk_title"].format(NOTES["what"][kind]))
    chart_with_note(top_k(ctx.model, ctx.reading), key="activations.topk",
                    note=predictions_note(ctx.model, ctx.steps, ctx.spec.is_random))


__all__ = ["predictions", "predictions_note", "special_names", "top_k"]
