"""Streamlit renders st.latex with its bundled KaTeX: run that same renderer in Node, strict.

`katex_errors(texs, tmp_path)` renders each LaTeX string with `throwOnError` and strict mode
"error" (an unknown macro, or a glyph without metrics, fails) and returns, per string, the
error message or None. Tests that use it skip where Node or the bundle is missing (`KATEX`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import streamlit

KATEX = sorted(Path(streamlit.__file__).parent.glob("static/static/js/katex.*.js"))
AVAILABLE = bool(shutil.which("node") and KATEX)

_RENDER = (
    "const out = [];\n"
    "for (const tex of JSON.parse(process.argv[2])) {\n"
    "  try { katex.renderToString(tex, {throwOnError: true, strict: 'error'});"
    " out.push(null); }\n"
    "  catch (e) { out.push(e.message); }\n"
    "}\n"
    "console.log(JSON.stringify(out));\n"
)


def katex_errors(texs: list[str], tmp_path: Path, timeout: int = 120) -> list[str | None]:
    src = tmp_path / "katex.mjs"
    if not src.exists():
        shutil.copy(KATEX[0], src)
    script = tmp_path / "render.mjs"
    script.write_text(f"import katex from {json.dumps(src.as_uri())};\n" + _RENDER)
    res = subprocess.run(["node", str(script), json.dumps(texs)], capture_output=True,
                         text=True, timeout=timeout, check=True)
    return json.loads(res.stdout)
