"""Forward pass with any model (issue 19 §3): every token of every shipped vocabulary, and every
character those tokens contain, renders through `latex_token` in Streamlit's own KaTeX with no
error or warning (strict mode), as the equations show it: \\text{`tok'}."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import streamlit

from rnnviz.figures import forward as F
from rnnviz.models.shipped import PRETRAINED_DIR, list_pretrained
from rnnviz.text import Vocab

KATEX = sorted(Path(streamlit.__file__).parent.glob("static/static/js/katex.*.js"))


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


@pytest.mark.skipif(not (shutil.which("node") and KATEX),
                    reason="needs Node and Streamlit's KaTeX bundle")
def test_every_vocabulary_token_renders_in_katex(tmp_path):
    src = tmp_path / "katex.mjs"
    shutil.copy(KATEX[0], src)
    script = tmp_path / "render.mjs"
    script.write_text(
        f"import katex from {json.dumps(src.as_uri())};\n"
        "const out = [];\n"
        "for (const tex of JSON.parse(process.argv[2])) {\n"
        "  try { katex.renderToString(tex, {throwOnError: true, strict: 'error'});"
        " out.push(null); }\n"
        "  catch (e) { out.push(e.message); }\n"
        "}\n"
        "console.log(JSON.stringify(out));\n")
    toks = vocabulary_tokens()
    texs = [rf"\text{{`{F.latex_token(tok)}'}}" for tok in toks]
    res = subprocess.run(["node", str(script), json.dumps(texs)], capture_output=True,
                         text=True, timeout=120, check=True)
    errors = {tok: e for tok, e in zip(toks, json.loads(res.stdout), strict=True) if e}
    assert not errors
