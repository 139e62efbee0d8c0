"""Interventions in the forward pass: clamp a unit, patch a state from another input.

    Clamp(quantity, units, value, steps, layer, direction)
        after the cell computes `quantity` at each of `steps`, set those units to `value`;
        the step's later equations and every later step read the changed value.
    Patch(source_text, quantity, steps, units, layer, direction)
        the same, with the value the same model computed on another input at the same step.

quantity: a state ("a", "c") or a gate ("gamma_f", "gamma_u", "gamma_o", "gamma_r",
"c_tilde"), as the cell names it (`cell.quantities`): clamping Γf to 1 keeps the memory in
that step's c<t>. steps: 1-based positions in the input (None: every step); for the backward
direction of a bidirectional model too (a←<t> at the input's step t). layer: 1..L (None: the top
layer, the one the head reads). direction: "fwd" | "bwd" (None: every direction of the layer).

value: a number, one number per unit, or "mean", the unit's mean over a reference reading
(mean ablation): `Model.forward(..., reference=x_ref)` takes the mean over every step and
example of x_ref; without a reference, over the intact reading of x itself. A model in use
(`ModelInUse.read`) passes the means of its reference text: the shipped models' held-out
corpus by default (rnnviz.models.interventions); `rnnviz.unit_means` gives the same numbers.

How it runs (`plan` then `Model.forward`): the layer and direction an intervention touches run
the cell's readable step (`Cell.forward_readable`, rnnviz.core.cells) with an edit hook; every
other layer and direction keeps the fused loop; with no interventions nothing changes. The
trace holds the values after the change and marks them (`Trace.changed`, the `intervened`
column of `Trace.to_dataframe()`). Its BPTT (`Model.backward`) is that of the equations at the
changed values: a clamped unit still passes the gradient of its equation.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Clamp:
    """Set `units` of `quantity` to `value` after the cell computes it (module docstring)."""

    quantity: str
    units: object
    value: object = 0.0
    steps: object = None
    layer: int | None = None
    direction: str | None = None


@dataclass(frozen=True)
class Patch:
    """Replace `units` (None: all) of `quantity` at `steps` (None: every step of the input)
    with the values the same model computed on `source_text` at the same steps. A model in
    use takes a text; `Model.forward` an encoded source x (n_x, 1 or m, T_s)."""

    source_text: object
    quantity: str = "a"
    steps: object = None
    units: object = None
    layer: int | None = None
    direction: str | None = None


@dataclass
class Edit:
    """One resolved intervention on one layer and direction: at loop index t (0-based, in
    the direction's own reading order), quantity[units] := values[t] (len(units),) or
    (len(units), m)."""

    quantity: str
    units: np.ndarray
    values: dict


def _ints(v, what, lo, hi, label):
    """A sorted tuple of distinct ints in lo..hi from an int or a sequence, or a ValueError."""
    items = [v] if isinstance(v, numbers.Integral) else list(np.ravel(np.asarray(v, dtype=object)))
    if not items:
        raise ValueError(f"pick at least one {what}")
    if not all(isinstance(i, numbers.Integral) for i in items):
        raise ValueError(f"{what}s must be whole numbers, got {list(items)}")
    bad = [int(i) for i in items if not lo <= int(i) <= hi]
    if bad:
        raise ValueError(f"{what}s must be in {lo}..{hi} ({label}), got {bad}")
    return tuple(sorted({int(i) for i in items}))


def where(model, iv, T=None):
    """(layer, directions, steps) of an intervention, checked against the model (steps: None
    without T_x)."""
    cfg, cell = model.config, model.cell
    if iv.quantity not in cell.quantities:
        raise ValueError(f"the {cfg.cell.upper()} cell has no {iv.quantity!r}: its quantities "
                         f"are {', '.join(cell.quantities)}")
    layer = cfg.layers if iv.layer is None else iv.layer
    if not isinstance(layer, numbers.Integral) or not 1 <= layer <= cfg.layers:
        raise ValueError(f"layer must be in 1..{cfg.layers} (the model has {cfg.layers} "
                         f"layer{'s' if cfg.layers > 1 else ''}), got {iv.layer!r}")
    if iv.direction is None:
        dirs = cfg.directions
    elif cfg.bidirectional and iv.direction in cfg.directions:
        dirs = (iv.direction,)
    elif not cfg.bidirectional and iv.direction == "fwd":
        dirs = ("",)
    else:
        have = "'fwd' or 'bwd'" if cfg.bidirectional else "'fwd' (it reads one direction)"
        raise ValueError(f"direction must be None or {have}, got {iv.direction!r}")
    if T is None:
        return int(layer), dirs, None
    steps = (tuple(range(1, T + 1)) if iv.steps is None
             else _ints(iv.steps, "step", 1, T, f"T_x = {T}"))
    return int(layer), dirs, steps


def _clamp_values(iv, units, means):
    """(len(units),) values of a clamp; means: (n_a,) reference means or None."""
    v = iv.value
    if isinstance(v, str):
        if v != "mean":
            raise ValueError(f"the clamp value is a number, one number per unit or 'mean', "
                             f"got {v!r}")
        return means[list(units)]
    arr = np.asarray(v, dtype=object)
    try:
        vals = np.asarray(arr, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"the clamp value must be a number, got {v!r}") from None
    if vals.size == 1:
        vals = np.repeat(vals, len(units))
    elif vals.size != len(units):
        raise ValueError(f"{vals.size} clamp values for {len(units)} units: give one value, "
                         "or one per unit")
    if not np.all(np.isfinite(vals)):
        raise ValueError(f"the clamp value must be a finite number, got {v!r}")
    return vals


def _key(quantity, direction):
    return quantity + (f"_{direction}" if direction else "")


def quantity_rows(trace, quantity, layer, direction):
    """(T_x, m, n_a) rows of `quantity` of one layer and direction of a trace, input order."""
    rows = trace.layer_rows[layer - 1] if trace.layer_rows else trace.rows
    return rows[_key(quantity, direction)]


def plan(model, x, interventions, state0=None, reference=None):
    """{(layer, direction): [Edit, ...]} for a forward pass over x, every intervention checked
    (a ValueError that says what is wrong). reference: x of the "mean" clamps' reference
    (None: x itself), or the means themselves, {(quantity, layer, direction): (n_a,)}; a
    Patch's source is run with the same start state."""
    T, m = x.shape[2], x.shape[1]
    n_a = model.config.n_a
    out, intact, ref = {}, {}, None
    for iv in interventions:
        if not isinstance(iv, Clamp | Patch):
            raise ValueError(f"an intervention is a Clamp or a Patch, got {type(iv).__name__}")
        layer, dirs, steps = where(model, iv, T)
        if iv.units is None and isinstance(iv, Patch):
            units = tuple(range(n_a))
        else:
            units = _ints(iv.units, "unit", 0, n_a - 1, f"n_a = {n_a}")
        if isinstance(iv, Patch):
            src = iv.source_text
            if isinstance(src, str):
                raise ValueError("Model.forward patches from an encoded source x: read the "
                                 "text through a model in use (ModelInUse.read) to patch "
                                 "from a text")
            src = np.asarray(src)
            if src.ndim != 3 or src.shape[0] != x.shape[0] or src.shape[1] not in (1, m):
                raise ValueError(f"a patch source must have shape (n_x, 1 or m, T), got "
                                 f"{src.shape}")
            if src.shape[2] < max(steps):
                raise ValueError(f"the source has {src.shape[2]} tokens: too short to patch "
                                 f"step {max(steps)}")
            k = id(iv.source_text)
            if k not in intact:
                intact[k] = model.forward(src, state0=state0)
            source_trace = intact[k]
        for d in dirs:
            if isinstance(iv, Patch):
                rows = quantity_rows(source_trace, iv.quantity, layer, d)
                vals = {t: rows[t - 1][:, list(units)].T for t in steps}      # (k, 1 or m)
            else:
                means = None
                if isinstance(reference, dict) and iv.value == "mean":
                    means = reference[iv.quantity, layer, d]
                elif isinstance(iv.value, str) and iv.value == "mean":
                    if ref is None:
                        ref = model.forward(x if reference is None else reference,
                                            state0=state0 if reference is None else None)
                    means = quantity_rows(ref, iv.quantity, layer, d).mean(axis=(0, 1))
                v = _clamp_values(iv, units, means)
                vals = {t: v for t in steps}
            # the backward direction reads the input from T_x down to 1: loop index T - t
            loop = {(T - t if d == "bwd" else t - 1): v for t, v in vals.items()}
            out.setdefault((layer, d), []).append(
                Edit(iv.quantity, np.array(units, dtype=np.int64), loop))
    return out


def hook(edits):
    """edit_at(t, name, value) for `Cell.forward_readable`: applies `edits` in order."""
    by_name = {}
    for e in edits:
        by_name.setdefault(e.quantity, []).append(e)

    def edit_at(t, name, value):
        for e in by_name.get(name, ()):
            v = e.values.get(t)
            if v is not None:
                value = value.copy()
                v = np.asarray(v, dtype=value.dtype)
                value[e.units] = v[:, None] if v.ndim == 1 else v
        return value

    return edit_at


def marks(model, edits, T, m, direction):
    """{trace key: bool (T_x, m, n_a)} of the values `edits` set, in input order."""
    out = {}
    n = model.config.n_a
    names = {"a": ("a", "c"), "c": ("c", "a")} if model.config.cell == "gru" else {}
    for e in edits:
        for q in names.get(e.quantity, (e.quantity,)):
            mask = out.setdefault(_key(q, direction), np.zeros((T, m, n), dtype=bool))
            for t in e.values:
                i = T - 1 - t if direction == "bwd" else t
                mask[i, :, e.units] = True
    return out


__all__ = ["Clamp", "Patch", "plan", "hook", "marks", "where", "quantity_rows"]
