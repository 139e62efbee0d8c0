"""Process settings for serving many small sessions.

NumPy's OpenBLAS starts one thread per core for every matrix product. rnnviz multiplies
small matrices (n_a ≤ 128) for many sessions at once, so those threads only wait for each
other: on a busy 2-core machine a 128-unit forward pass took 10× longer with them (611 ms
vs 82 ms to initialise three models). One BLAS thread per process is the right setting for
this server, as `OPENBLAS_NUM_THREADS=1` would be; it must be applied at run time because
Streamlit imports NumPy before app.py runs. An explicit OPENBLAS_NUM_THREADS (or
OMP_NUM_THREADS) in the environment wins.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_SETTERS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)


def limit_blas_threads(n: int = 1) -> bool:
    """Set NumPy's OpenBLAS to `n` threads; True when it was set."""
    if os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS"):
        return False
    import numpy as np

    root = Path(np.__file__).resolve().parent
    candidates = sorted((root.parent / "numpy.libs").glob("*openblas*")) + sorted(
        root.glob("**/*openblas*.so*"))
    for path in candidates:
        try:
            lib = ctypes.CDLL(str(path))    # already loaded by NumPy: the same library
        except OSError:
            continue
        for name in _SETTERS:
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(ctypes.c_int(n))
                return True
    return False


def lighter_plotly_json() -> bool:
    """Stop plotly.io.to_json escaping "/" as "\\u002f"; True when the setting was changed.

    Streamlit sends every chart as `plotly.io.to_json(fig)`. Plotly escapes "<", ">" and "/"
    so the JSON can sit inside an HTML <script>. Base64 typed arrays (`bdata`) are full of
    "/" (every third float32 in [-1, 1] ends in one), so the escape made a heatmap's data
    about 40 % larger (13.4 kB → 22.5 kB for 64 units × 39 steps, issue 12). The JSON goes
    over Streamlit's websocket into `JSON.parse`, never into HTML, and "<" stays escaped, so
    "</script>" still cannot appear. Only the "/" rule is dropped, if plotly still has it.
    """
    try:
        from plotly.io import _json
    except ImportError:
        return False
    changed = False
    for name in ("_swap_json", "_swap_orjson"):
        rules = getattr(_json, name, None)
        if isinstance(rules, tuple) and ("/", "\\u002f") in rules:
            setattr(_json, name, tuple(r for r in rules if r != ("/", "\\u002f")))
            changed = True
    return changed
