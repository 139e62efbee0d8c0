"""Two texts side by side: one model's values for two sentences aligned token by token."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnnviz.units.corpus_reading import corpus_trace

PRESETS = {
    "Teddy (Roosevelt or bears?)": (
        'He said, "Teddy Roosevelt was a great President."',
        'He said, "Teddy bears are on sale!"',
    ),
    "Agreement (cat ... was / cats ... were)": (
        "The cat, which already ate a lot of food, was full.",
        "The cats, which already ate a lot of food, were full.",
    ),
}


@dataclass(frozen=True)
class Comparison:
    """Two texts read by one model, aligned token by token.

    pairs: one column per aligned position, (i, j) step indices (0-based) into A and B, None
    where one text has a token the other lacks (difflib's alignment of the token texts).
    distance: ‖v_A<i> − v_B<j>‖ per column (NaN for unpaired columns). top: units ranked by
    mean |v_A − v_B| over the paired columns, with that mean.
    """

    labels_a: tuple[str, ...]
    labels_b: tuple[str, ...]
    values_a: np.ndarray                  # (n, T_A)
    values_b: np.ndarray                  # (n, T_B)
    pairs: tuple[tuple[int | None, int | None], ...]
    distance: np.ndarray                  # (n_columns,)
    top: pd.DataFrame                     # unit, mean_abs_diff
    quantity: str


def align_tokens(a, b) -> list[tuple[int | None, int | None]]:
    """Columns that pair equal tokens of `a` and `b` in order (difflib), gaps as None."""
    sm = difflib.SequenceMatcher(a=list(a), b=list(b), autojunk=False)
    out: list[tuple[int | None, int | None]] = []
    for op, i0, i1, j0, j1 in sm.get_opcodes():
        if op == "equal" or (op == "replace" and i1 - i0 == j1 - j0):
            out.extend(zip(range(i0, i1), range(j0, j1), strict=True))
        else:
            n = max(i1 - i0, j1 - j0)
            for k in range(n):
                out.append((i0 + k if i0 + k < i1 else None, j0 + k if j0 + k < j1 else None))
    return out


def compare_texts(model, text_a: str, text_b: str, quantity: str = "a") -> Comparison:
    """`quantity` of `text_a` and `text_b` side by side (see `Comparison`)."""
    ca = corpus_trace(model, text_a, (quantity,))
    cb = corpus_trace(model, text_b, (quantity,))
    la = tuple(ca.label(t) for t in range(1, ca.N + 1))
    lb = tuple(cb.label(t) for t in range(1, cb.N + 1))
    pairs = align_tokens(la, lb)
    A, B = ca[quantity].astype(np.float64), cb[quantity].astype(np.float64)
    dist = np.array([np.linalg.norm(A[:, i] - B[:, j]) if i is not None and j is not None
                     else np.nan for i, j in pairs])
    paired = [(i, j) for i, j in pairs if i is not None and j is not None]
    if paired:
        ii, jj = np.array(paired).T
        mad = np.abs(A[:, ii] - B[:, jj]).mean(axis=1)
    else:
        mad = np.zeros(A.shape[0])
    order = np.argsort(-mad, kind="stable")
    top = pd.DataFrame({"unit": order, "mean_abs_diff": mad[order]})
    return Comparison(la, lb, ca[quantity], cb[quantity], tuple(pairs), dist, top, quantity)
