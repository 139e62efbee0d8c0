"""What if? The same reading twice: as the network computed it, and with some units changed.

    clamp:  after the cell computes q<t> at each chosen step (q: a<t>, c<t> or a gate, Γf Γu
            Γo Γr c̃<t>), q_j<t> := v for the chosen units j (v a number, or "mean": the
            unit's mean of q over a reference corpus, the usual mean ablation), and the
            step's later equations and every later step read the changed value.
    patch:  at one step t, q_j<t> := the value the same model computed on another sentence
            at the same step (Lakretz et al. 2019: "the cat" read with "the cats"' number).

`compare` runs both readings and returns them side by side (a `Comparison`): ŷ<t> and the
chosen quantity of one layer and direction. The interventions are `rnnviz.Clamp` /
`rnnviz.Patch` (rnnviz.core.interventions); every check of the request is a ValueError
that says what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.core.interventions import Clamp, Patch, quantity_rows
from rnnviz.models.interventions import default_reference, unit_means


@dataclass(frozen=True)
class Request:
    """What to change: `units` of `quantity` at `layer` (None: the top) and `direction`
    (a bidirectional model: "fwd" or "bwd"; None: "fwd"), at `steps` (1-based; None: every
    step), to `value` (a number, or "mean") or, with `source`, to the source's values.

    "mean": each unit's mean of `quantity` over `reference` (a text; None: the model's
    default reference, `rnnviz.models.interventions.default_reference`, else the text
    read), or `means` when given ((n_a,) means already computed, e.g. cached by the app)."""

    units: tuple[int, ...]
    value: float | str = 0.0
    steps: tuple[int, ...] | None = None
    source: str | None = None
    quantity: str = "a"
    layer: int | None = None
    direction: str | None = None
    reference: str | None = None
    means: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Comparison:
    tokens: tuple[str, ...]
    quantity: str                # the quantity compared ("a", "c", "gamma_f", ...)
    layer: int                   # 1..L
    direction: str               # "" (one direction), "fwd" or "bwd"
    before: np.ndarray           # (T_x, n_a) the intact reading's quantity
    after: np.ndarray            # (T_x, n_a) with the change
    y_before: np.ndarray         # (T_x, n_y) ŷ<t>
    y_after: np.ndarray          # (T_x, n_y)
    changed: np.ndarray          # (T_x, n_a) bool: the values the request set


def _direction(cfg, direction) -> str:
    """The trace's direction suffix: "" for a one-direction model, "fwd"/"bwd" else."""
    if not cfg.bidirectional:
        if direction not in (None, "fwd", ""):
            raise ValueError(f"this model reads one direction: direction must be 'fwd', "
                             f"got {direction!r}")
        return ""
    if direction is None:
        return "fwd"
    if direction not in ("fwd", "bwd"):
        raise ValueError(f"direction must be 'fwd' or 'bwd', got {direction!r}")
    return direction


def _rows(trace, quantity, layer, direction) -> tuple[np.ndarray, np.ndarray]:
    """(quantity of one layer and direction (T_x, n_a), ŷ<t> (T_x, n_y)) of one sentence."""
    q = quantity_rows(trace, quantity, layer, direction)
    return (np.asarray(q[:, 0, :], dtype=np.float64),
            np.asarray(trace.rows["y_hat"][:, 0, :], dtype=np.float64))


def values(m, trace, quantity: str, layer: int | None = None,
           direction: str | None = None) -> np.ndarray:
    """(T_x, n_a) one quantity of one layer and direction of a model's trace of a sentence
    (layer None: the top; direction None: "fwd" of a bidirectional model)."""
    layer = m.config.layers if layer is None else layer
    return _rows(trace, quantity, layer, _direction(m.config, direction))[0]


def check(m, text: str, req: Request):
    """(tokens, units, steps, layer, direction) of a valid request, or a ValueError saying
    what is wrong."""
    cfg = m.config
    quantities = m.model.cell.quantities
    if req.quantity not in quantities:
        raise ValueError(f"the {cfg.cell.upper()} cell has no {req.quantity!r}: its "
                         f"quantities are {', '.join(quantities)}")
    layer = cfg.layers if req.layer is None else req.layer
    if not isinstance(layer, int | np.integer) or not 1 <= layer <= cfg.layers:
        raise ValueError(f"layer must be in 1..{cfg.layers}, got {req.layer!r}")
    direction = _direction(cfg, req.direction)
    _, toks = m.encode(text)
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
    if req.means is not None and len(req.means) != cfg.n_a:
        raise ValueError(f"{len(req.means)} means for n_a = {cfg.n_a} units")
    return toks, units, steps, int(layer), direction


def interventions(m, text: str, req: Request) -> list:
    """The request as `rnnviz.Clamp` / `rnnviz.Patch` interventions (a "mean" clamp: one
    value per unit, its mean over the reference; module docstring)."""
    _, units, steps, layer, direction = check(m, text, req)
    where = dict(layer=layer, direction=direction or None)
    unit_list = [int(u) for u in units]
    if req.source is not None:
        n_source = len(m.encode(req.source)[1])
        if n_source < steps[-1]:
            raise ValueError(f"the source sentence has {n_source} tokens: too short to "
                             f"patch step {steps[-1]}")
        return [Patch(req.source, req.quantity, steps=steps, units=unit_list, **where)]
    if req.value == "mean":
        if req.means is not None:
            means = np.asarray(req.means, dtype=np.float64)
        else:
            reference = req.reference
            if reference is None:
                reference = default_reference(m) or text
            means = unit_means(m, reference, req.quantity, layer, direction or None)
        return [Clamp(req.quantity, unit_list, value=means[units], steps=steps, **where)]
    return [Clamp(req.quantity, unit_list, value=float(req.value), steps=steps, **where)]


def compare(m, text: str, req: Request, intact=None) -> Comparison:
    """The intact reading of `text` and the one with `req` applied, side by side (`intact`:
    the model's trace of `text`, if already read)."""
    toks, units, steps, layer, direction = check(m, text, req)
    ivs = interventions(m, text, req)
    before, y0 = _rows(intact if intact is not None else m.trace(text), req.quantity, layer,
                       direction)
    after, y1 = _rows(m.trace(text, interventions=ivs), req.quantity, layer, direction)
    changed = np.zeros_like(before, dtype=bool)
    changed[np.ix_(np.array(steps) - 1, units)] = True
    return Comparison(tokens=tuple(t.text for t in toks), quantity=req.quantity, layer=layer,
                      direction=direction, before=before, after=after, y_before=y0,
                      y_after=y1, changed=changed)


def continuation_logprob(m, prefix: str, words, req: Request | None = None) -> np.ndarray:
    """log P(word | prefix) of a character LM for each word (its characters one by one,
    ŷ<t> predicting token t+1), with `req` applied while the text is read (e.g. a patch
    from "the cats" at a step inside the prefix)."""
    n_prefix = len(m.encode(prefix)[1])
    out = []
    for w in words:
        _, toks = m.encode(prefix + w)
        ivs = () if req is None else interventions(m, prefix + w, req)
        y = np.asarray(m.trace(prefix + w, interventions=ivs).rows["y_hat"][:, 0, :])
        ids = m.vocab.encode_tokens(toks)
        out.append(float(sum(np.log(y[t - 1, ids[t]]) for t in range(n_prefix, len(ids)))))
    return np.array(out)
