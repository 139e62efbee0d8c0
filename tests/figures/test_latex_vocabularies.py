"""Forward pass with any model (issue 19 §3): every token of every shipped vocabulary, and every
character those tokens contain, renders through `latex_token` in Streamlit's own KaTeX with no
error or warning (strict mode), as the equations show it: \\text{`tok'}."""

import json

import pytest
from _katex import AVAILABLE, katex_errors

from rnnviz.figures import forward as F
from rnnviz.models.shipped import PRETRAINED_DIR, list_pretrained
from rnnviz.text import Vocab


def vocabulary_tokens() -> list[str]:
    tokens = set()
    for name in list_pretrained():
        path = PRETRAINED_DIR / f"{name}.json"
        if not path.exists():
            continue
        itos = Vocab.from_dict(json.loads(path.read_text())["vocab"]).itos
        tokens.update(itos)
        tokens.update(ch for tok in itos for ch in tok)
    return sorted(tokens)


def test_there_are_shipped_vocabularies_to_check():
    toks = vocabulary_tokens()
    assert " " in toks and "<UNK>" in toks and len(toks) > 60


@pytest.mark.skipif(not AVAILABLE, reason="needs Node and Streamlit's KaTeX bundle")
def test_every_vocabulary_token_renders_in_katex(tmp_path):
    toks = vocabulary_tokens()
    texs = [rf"\text{{`{F.latex_token(tok)}'}}" for tok in toks]
    errors = {tok: e for tok, e in zip(toks, katex_errors(texs, tmp_path), strict=True) if e}
    assert not errors
