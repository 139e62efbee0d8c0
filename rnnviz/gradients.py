"""Where BPTT's gradients come from, for the Backward page (computed here; figures draw them).

* `step_losses`        L<t> = -log ŷ<t>[y<t>] per step (NaN where there is no target).
* `dw_contributions`   how much step t adds to each weight gradient: ||dz<t> [h<t-1>; x<t>]^T||,
                       and the running total from T_x down to t (= ||∂L/∂W|| at t = 1).
* `da_split`           ∂L/∂a<t> split into what comes from above (ŷ, or layer l+1) and what the
                       next step of the sweep carries back; `da_sources` adds where each comes
                       from, in words.
* `param_name`         a parameter's name in the notes' notation.
* `runner_up_targets`  a tagger's or classifier's default true labels: the second most likely
                       class (the model's own guess would give a loss of ~0 and nothing to learn).
* `with_targets`       a reading whose loss uses the labels the user chose.
"""

from __future__ import annotations

import dataclasses

import numpy as np

# Legend order of the weight matrices of section 3, by gate key (what each step adds to each
# comes from the cell: `Cell.weight_grad_factors`).
DW_ORDER = ("gamma_f", "gamma_u", "gamma_r", "gamma_o", "c_tilde", "a")


def step_losses(trace, targets, example=0) -> np.ndarray:
    """L<t> = -log ŷ<t>[y<t>] for t = 1..T_x (float64), NaN where the target is -1."""
    y = np.asarray(trace["y_hat"][:, example, :], dtype=np.float64)
    targets = np.asarray(targets)
    out = np.full(y.shape[1], np.nan)
    has = targets >= 0
    with np.errstate(divide="ignore"):
        out[has] = -np.log(y[targets[has], np.flatnonzero(has)])
    return out


def dw_contributions(model, trace, btrace, *, direction=None, layer=None) -> dict:
    """Per weight matrix W_g: what step t adds to ∂L/∂W_g and the running sum from T_x.

    Returns {display name: {"per_step": (T,), "cumulative": (T,), "param": name}} where
    per_step[t-1] = ||M_g<t>||_F, M_g<t> = what step t adds to ∂L/∂W_g (summed over the m
    examples), and cumulative[t-1] = ||Σ_{t' >= t} M_g<t'>||_F: BPTT adds the steps from T_x
    down, and cumulative[0] is ||∂L/∂W_g|| (RNN: of [∂L/∂W_aa | ∂L/∂W_ax]). M_g<t> comes from
    the cell (`Cell.weight_grad_factors`), so every cell and variant uses its own equations:
    dz_g<t> [h<t-1>; x<t>]^T, with h<t-1> = Γr * c<t-1> for the notes' GRU candidate and
    [(dz_c * Γr) c<t-1>^T | dz_c x<t>^T] for PyTorch's.
    layer: the weights of layer l of a stacked model (default the top), which read a^[l-1]<t>.
    """
    cfg = model.config
    layer = layer or cfg.layers
    trace, btrace = trace.layer(layer), btrace.layer(layer)
    direction = (cfg.directions[0] if direction is None else direction) or ""
    sfx = f"_{direction}" if direction else ""
    tape = trace.tapes.get(direction)
    if tape is None:
        raise ValueError("∂L/∂W per step needs the forward tapes of Model.forward; this trace "
                         "has none")
    # the cell works in its tape's time order: the backward direction's is T_x down to 1
    flip = slice(None, None, -1) if direction == "bwd" else slice(None)
    grads = {k[:len(k) - len(sfx)]: v[flip] for k, v in btrace.rows.items()
             if k.endswith(sfx) and k != "dx"}
    factors = model.cell.weight_grad_factors(tape, grads)
    T, m = trace.T_x, trace.m
    grams = {}

    def gram(v):
        """(v_a · v_b) over the (t, example) pairs, (T m, T m); shared by the gates that read
        the same vectors ([a<t-1>; x<t>] for all of an LSTM's)."""
        if id(v) not in grams:
            f = v[flip].astype(np.float64).reshape(T * m, -1)
            grams[id(v)] = (v, f @ f.T)          # v kept alive: its id stays its own
        return grams[id(v)][1]

    out = {}
    for key in sorted(factors, key=_dw_order):
        blocks = factors[key]
        params = list(dict.fromkeys(p for p, _, _ in blocks))
        name = f"W_{model.cell.gate(key).sub}"
        if len(params) > 1:                 # the RNN's W_a = [W_aa | W_ax]
            name += " = [" + " | ".join(param_name(p) for p in params) + "]"
        # Step t adds M_t = Σ_m left<t> right<t>^T per column block. Instead of forming the T
        # matrices, use their Gram matrix <M_a, M_b>_F = Σ_blocks Σ_{m,m'} (l_a·l_b)(r_a·r_b):
        # T x T numbers.
        G = sum(gram(left) * gram(right) for _, left, right in blocks)
        G = G.reshape(T, m, T, m).sum(axis=(1, 3))
        # ||Σ_{t' >= t} M_t'||² is the sum of the block G[t:, t:]: a 2-D suffix sum.
        suffix = G[::-1, ::-1].cumsum(axis=0).cumsum(axis=1)[::-1, ::-1]
        out[name] = {"per_step": np.sqrt(np.maximum(np.diag(G), 0.0)),
                     "cumulative": np.sqrt(np.maximum(np.diag(suffix), 0.0)),
                     "param": cfg.prefix(direction, layer) + params[0]}
    return out


def _dw_order(key):
    """Legend order of the weight matrices: the notes' order of the gates."""
    return DW_ORDER.index(key) if key in DW_ORDER else len(DW_ORDER)


def da_split(model, trace, btrace, y, *, at="all", t, direction="", example=0, layer=None):
    """Where ∂L/∂a<t> comes from: (||from above||, ||from the next step||, ||total||).

    From above, at the top layer: W_y^T (ŷ<s> - y<s>) / m (the direction's rows of W_y) from
    the output ŷ<s> that reads a<t>: s = t, except that the "h_n" readout's ŷ<T_x> reads a←<1>
    (`rnnviz.core.model`); zero when ŷ<s> has no target (or the loss is at T_x only).
    Below the top (layer l < L): what layer l+1 sends back through its input at step t.
    The next step of the direction's sweep (t+1; t-1 for a←) gives the rest.
    """
    cfg = model.config
    T = trace.T_x
    layer = layer or cfg.layers
    t0 = int(np.clip(t, 1, T)) - 1
    sfx = f"_{direction}" if direction else ""
    da = np.asarray(btrace.layer(layer)["da" + sfx][:, example, t0], dtype=np.float64)
    j = {"": 0, "fwd": 0, "bwd": 1}[direction]
    rows = slice(j * cfg.n_a, (j + 1) * cfg.n_a)
    if layer < cfg.layers:          # ∂L/∂(input of layer l+1)<t>, the direction's half
        local = np.asarray(btrace.layer_rows[layer]["dx"][t0, example, rows], dtype=np.float64)
        return (float(np.linalg.norm(local)), float(np.linalg.norm(da - local)),
                float(np.linalg.norm(da)))
    y = np.asarray(y)
    target, s0 = -1, t0
    h_n_half = getattr(cfg, "readout", "step") == "h_n" and direction == "bwd"
    if cfg.head == "many_to_many":
        yy = y.reshape(-1, T)[example]
        target = int(yy[t0]) if (at == "all" or t0 == T - 1) else -1
    elif t0 == (0 if h_n_half else T - 1):
        target, s0 = int(y.reshape(-1)[example]), T - 1
    local = np.zeros_like(da)
    if target >= 0:
        p = np.asarray(trace["y_hat"][:, example, s0], dtype=np.float64).copy()
        p[target] -= 1.0
        Wy = np.asarray(model.params["Wy"], dtype=np.float64)[:, rows]
        local = Wy.T @ p / trace.m
    return (float(np.linalg.norm(local)), float(np.linalg.norm(da - local)),
            float(np.linalg.norm(da)))


# The notes' names of the parameters (the API keeps the exercise's: Wi is W_u, of Γu).
# The API's Wi/bi are the notes' W_u/b_u: said once on the page (the gradient check's note).
_PARAM_NAMES = {"Wi": "W_u", "bi": "b_u", "Waa": "W_aa", "Wax": "W_ax",
                "ba": "b_a", "Wy": "W_y", "by": "b_y"}


def param_name(key: str) -> str:
    """A parameter's name in the notes' notation: "Wf" -> "W_f", "fwd.Wi" -> "W_u →",
    "l2.Wc" -> "W_c^[2]"."""
    parts = key.split(".")
    base = parts[-1]
    name = _PARAM_NAMES.get(base) or (f"{base[0]}_{base[1:]}" if len(base) > 1 else base)
    for p in parts[:-1]:
        name += {"fwd": " →", "bwd": " ←"}.get(p, f"^[{p[1:]}]" if p.startswith("l") else "")
    return name


def da_sources(model, trace, btrace, y, *, at="all", t, direction="", layer=None) -> dict:
    """`da_split` with where each part comes from, for one example.

    Returns the norms "local" (from above: ŷ, or layer l+1 of a stacked model), "carried"
    (from the next step; 0.0 when it is below float32 rounding of the total, 1e-5 of it),
    "total", "dc" = ||∂L/∂c<t>|| for an LSTM (else None); in words, "source": where "local"
    comes from ("ŷ<t>", "ŷ<T_x>" for a← at t = 1 under the h_n readout, "layer l+1") and
    "next": the step "carried" comes from (t+1, or t-1 for a←; "step T_x+1" / "step 0" when
    there is none)."""
    cfg = model.config
    layer = layer or cfg.layers
    local, carried, total = da_split(model, trace, btrace, y, at=at, t=t, direction=direction,
                                     layer=layer)
    dc = "dc" + (f"_{direction}" if direction else "")
    grads = btrace.layer(layer)
    lstm = cfg.cell == "lstm" and dc in grads.keys()
    h_n = cfg.readout == "h_n" and direction == "bwd" and t == 1
    source = f"layer {layer + 1}" if layer < cfg.layers else "ŷ<T_x>" if h_n else f"ŷ<{t}>"
    T = trace.T_x
    nxt = ((f"step {t - 1}" if t > 1 else "step 0") if direction == "bwd"
           else f"step {t + 1}" if t < T else "step T_x+1")
    return {"local": local, "carried": 0.0 if carried <= 1e-5 * max(total, 1e-30) else carried,
            "total": total, "source": source, "next": nxt,
            "dc": float(np.linalg.norm(grads[dc][:, 0, t - 1])) if lstm else None}


def runner_up_targets(trace, kind: str, example=0) -> np.ndarray:
    """Default true labels of a tagger or classifier: the class ŷ<t> ranks second, per step
    for a tagger, at T_x for a classifier (-1 at the other steps). The model's own top class
    would make L ≈ 0 and ∂L/∂θ ≈ 0; the runner-up is a label it could plausibly be taught."""
    y = np.asarray(trace["y_hat"][:, example, :], dtype=np.float64)
    second = np.argsort(-y, axis=0, kind="stable")[min(1, y.shape[0] - 1)].astype(np.int64)
    if kind == "tagger":
        return second
    if kind == "classifier":
        out = np.full(y.shape[1], -1, dtype=np.int64)
        out[-1] = second[-1]
        return out
    raise ValueError(f"a {kind}'s targets are the text itself; no labels to choose")


def with_targets(model, reading, targets, note: str):
    """`reading` (of a tagger or classifier) whose loss uses `targets`: (T_x,) class indices,
    -1 where a step has no target (a classifier: every step but T_x). ValueError when a label
    is not one of the model's classes or the length is not T_x."""
    targets = np.asarray(targets, dtype=np.int64).reshape(-1)
    steps = reading.steps
    if targets.shape != (steps.T_x,):
        raise ValueError(f"{targets.size} labels for {steps.T_x} steps")
    if ((targets < -1) | (targets >= model.config.n_y)).any():
        raise ValueError(f"labels must be -1 or 0..{model.config.n_y - 1}")
    if model.config.head != "many_to_many" and targets[-1] < 0:
        raise ValueError("a classifier's loss needs a label at T_x")
    labels = tuple(model.output_labels[int(k)] if k >= 0 else "" for k in targets)
    targets.flags.writeable = False
    steps = dataclasses.replace(steps, targets=targets, target_labels=labels, target_note=note)
    return dataclasses.replace(reading, steps=steps,     # other targets: another reading
                               of=reading.of + (("targets", tuple(int(k) for k in targets)),))


__all__ = ["runner_up_targets", "with_targets", "step_losses", "dw_contributions", "da_split",
           "da_sources", "param_name", "DW_ORDER"]
