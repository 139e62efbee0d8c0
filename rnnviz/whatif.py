"""What if? The same reading twice: as the network computed it, and with some units changed.

    clamp:  after the cell computes a<t> at each chosen step, a_j<t> := v for the chosen
            units j (v a number, or "mean": the unit's mean over the intact reading), and
            the changed a<t> is what ŷ<t> and the next step read.
    patch:  at one step t, a_j<t> := the value the same model computed on another sentence
            at the same step (Lakretz et al. 2019: "the cat" read with "the cats"' number).

`compare` runs both readings and returns them side by side (a `Comparison`). The step loop
here is the one of `Model.step`, batched over nothing: one sentence, the top layer's a<t> of
a unidirectional model; every check of the request is a ValueError that says what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.interventions import Clamp, Patch


@dataclass(frozen=True)
class Request:
    """What to change: `units` of the top layer's a<t>, at `steps` (1-based; None: every
    step), to `value` (a number or "mean") or, with `source`, to the source's a<t>."""

    units: tuple[int, ...]
    value: float | str = 0.0
    steps: tuple[int, ...] | None = None
    source: str | None = None


@dataclass(frozen=True)
class Comparison:
    tokens: tuple[str, ...]
    a_before: np.ndarray         # (T_x, n_a) the intact reading's top-layer a<t>
    a_after: np.ndarray          # (T_x, n_a) with the change
    y_before: np.ndarray         # (T_x, n_y) ŷ<t>
    y_after: np.ndarray          # (T_x, n_y)
    changed: np.ndarray          # (T_x, n_a) bool: the values the request set


def _rows(reading) -> tuple[np.ndarray, np.ndarray]:
    """(top layer's a<t> (T_x, n_a), ŷ<t> (T_x, n_y)) of a one-sentence reading."""
    rows = reading.trace.rows
    return (np.asarray(rows["a"][:, 0, :], dtype=np.float64),
            np.asarray(rows["y_hat"][:, 0, :], dtype=np.float64))


def check(m, text: str, req: Request) -> tuple[np.ndarray, list, np.ndarray, list[int]]:
    """x, tokens, units and steps of a valid request, or a ValueError saying what is wrong."""
    cfg = m.config
    if cfg.bidirectional:
        raise ValueError("a bidirectional model reads the whole sentence at once: what-if "
                         "changes need a one-direction model")
    x, toks = m.encode(text)
    if not toks:
        raise ValueError("the text has no tokens: type a sentence")
    T = len(toks)
    units = np.array(sorted({int(u) for u in req.units}), dtype=np.int64)
    if units.size == 0:
        raise ValueError("pick at least one unit")
    if units[0] < 0 or units[-1] >= cfg.n_a:
        raise ValueError(f"units must be in 0..{cfg.n_a - 1} (n_a = {cfg.n_a}), got "
                         f"{[int(u) for u in units]}")
    steps = list(range(1, T + 1)) if req.steps is None else sorted({int(s) for s in req.steps})
    if not steps or steps[0] < 1 or steps[-1] > T:
        raise ValueError(f"steps must be in 1..T_x = {T}, got {req.steps}")
    if req.source is None and not isinstance(req.value, str):
        if not np.isfinite(float(req.value)):
            raise ValueError(f"the clamp value must be a finite number, got {req.value}")
    elif req.source is None and req.value != "mean":
        raise ValueError(f"the clamp value is a number or 'mean', got {req.value!r}")
    return x, toks, units, steps


def interventions(m, text: str, req: Request) -> list:
    """The request as `rnnviz.Clamp` / `rnnviz.Patch` interventions on the top layer's a<t>
    ("mean": one clamp per unit, to its mean over the intact reading of `text`)."""
    _, _, units, steps = check(m, text, req)
    layer = m.config.layers
    if req.source is not None:
        n_source = len(m.encode(req.source)[1])
        if n_source < steps[-1]:
            raise ValueError(f"the source sentence has {n_source} tokens: too short to "
                             f"patch step {steps[-1]}")
        return [Patch(req.source, "a", steps=steps, units=[int(u) for u in units],
                      layer=layer)]
    if req.value == "mean":
        a0, _ = _rows(m.read(text))
        return [Clamp("a", [int(u)], value=float(a0[:, u].mean()), steps=steps, layer=layer)
                for u in units]
    return [Clamp("a", [int(u) for u in units], value=float(req.value), steps=steps,
                  layer=layer)]


def compare(m, text: str, req: Request) -> Comparison:
    """The intact reading of `text` and the one with `req` applied, side by side."""
    _, toks, units, steps = check(m, text, req)
    a0, y0 = _rows(m.read(text))
    a1, y1 = _rows(m.read(text, interventions=interventions(m, text, req)))
    changed = np.zeros_like(a0, dtype=bool)
    changed[np.ix_(np.array(steps) - 1, units)] = True
    return Comparison(tokens=tuple(t.text for t in toks), a_before=a0, a_after=a1,
                      y_before=y0, y_after=y1, changed=changed)


def continuation_logprob(m, prefix: str, words, req: Request | None = None) -> np.ndarray:
    """log P(word | prefix) of a character LM for each word (its characters one by one,
    ŷ<t> predicting token t+1), with `req` applied while the text is read (e.g. a patch
    from "the cats" at a step inside the prefix)."""
    n_prefix = len(m.encode(prefix)[1])
    out = []
    for w in words:
        _, toks = m.encode(prefix + w)
        if req is None:
            _, y = _rows(m.read(prefix + w))
        else:
            y = compare(m, prefix + w, req).y_after
        ids = m.vocab.encode_tokens(toks)
        out.append(float(sum(np.log(y[t - 1, ids[t]]) for t in range(n_prefix, len(ids)))))
    return np.array(out)
