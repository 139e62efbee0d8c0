"""Step Jacobians J<t> = ∂s<t>/∂s<t-1> along a sentence, and their spectra.

The state s is what a cell carries from step to step: s = a<t> for the RNN and the GRU,
s = [a<t>; c<t>] for the LSTM (the cells' own order, `Cell.state`). The gradient that reaches
step t from step T_x is a product of step Jacobians,

    ∂s<T_x>/∂s<t> = J<T_x> J<T_x-1> ... J<t+1>,

so it shrinks when their singular values sit below 1. A gate near 1 puts singular values at
1: the LSTM's c<t> = Γf * c<t-1> + ... gives the block diag(Γf), the GRU's
c<t> = (1 - Γu) * c<t-1> + ... the term diag(1 - Γu). `carry_share` measures, for the top singular
pair (u, v) of each step, how much of σ_max = uᵀ J<t> v goes through that diagonal path.

Built on the cells' public methods only, on the tapes of `Model.forward`:
`Cell.step_jacobians` forms J<t>, `Cell.jacobian_operator` applies it without forming it (the
band of `jacobian_spectrum(..., top=k)`). Works for every model in use (a `ModelInUse`)
or a bare `Model` with an input array, every cell and variant, any layer, both directions.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from rnnviz.core.recurrent.step_operator import StepOperator
from rnnviz.dynamics.spectra import by_halves, spectrum_band

# The diagonal "carry" path of each cell: (gate key, how the carry is read from it, name)
CARRY = {
    "lstm": ("gamma_f", lambda g: g, "Γf (forget gate) ≈ 1 keeps c<t-1>"),
    "gru": ("gamma_u", lambda g: 1 - g, "1 − Γu (update gate ≈ 0) keeps c<t-1>"),
}


@dataclass(frozen=True)
class StepJacobians:
    """J[d] (T_x, n_s, n_s) per direction d ("" or "fwd"/"bwd"), in the input's time order:
    J[d][t-1] = ∂s<t>/∂s<t-1> for the forward direction; for "bwd", the state after reading
    position t with respect to the one before it (position t+1). labels: the tokens read."""

    J: dict
    labels: tuple
    cell: str
    n_a: int
    layer: int
    carry: dict            # d -> (T_x, n_s): the diagonal carry factor per state unit (or None)

    @property
    def state_names(self) -> tuple:
        return ("a", "c") if self.cell == "lstm" else ("a",)


@dataclass(frozen=True)
class Spectrum:
    """Singular values per step, largest first: sv[d] (T_x, n_s); with `top` = k, the band
    (T_x, k+1): σ1..σk and last σ_min to within band_tol σ1 (`spectra.spectrum_band`).
    eig[d] (T_x, n_s) complex (by |λ|, largest first) when asked for. carry_share[d] (T_x,):
    the part of σ_max = uᵀ J<t> v (u, v the top singular vectors) that is uᵀ D v, D the cell's
    diagonal carry path (0 for the RNN)."""

    sv: dict
    eig: dict | None
    carry_share: dict
    labels: tuple
    cell: str
    n_a: int
    layer: int
    top: int | None = None
    band_tol: float = 0.0

    def nonfinite(self, d: str = "") -> np.ndarray:
        """(T_x,) True where the step's Jacobian was not finite (its values are NaN)."""
        return ~np.isfinite(self.sv[d][:, 0])

    def gate_note(self, d: str, i: int) -> str:
        """Plain words on what held σ_max of step i+1 near 1 (for a hover)."""
        s, share = float(self.sv[d][i, 0]), float(self.carry_share[d][i])
        if not np.isfinite(s):
            return "not finite: the state overflowed at this step"
        if self.cell not in CARRY:
            return f"σ_max = {s:.3f}: no gate; W_aa through tanh'(z) only"
        what = CARRY[self.cell][2]
        return f"σ_max = {s:.3f}: {100 * share:.0f}% through {what}"


def _network_and_input(model, text):
    """(rnnviz Model in float64, x (n_x, 1, T_x), state0, labels) from a ModelInUse and a
    text, or from a Model and an input array (n_x, 1, T_x) or (n_x, T_x)."""
    if hasattr(model, "read"):                                   # a ModelInUse
        x, toks = model.encode(text)
        if not toks:
            raise ValueError("the text has no tokens: type a sentence")
        net = model.network("float64")
        state0 = model.state0
        if state0 is not None:
            state0 = type(state0)(*(None if v is None else np.asarray(v, np.float64)
                                    for v in state0))
        return net, np.asarray(x, np.float64), state0, tuple(t.text for t in toks)
    x = np.asarray(text, dtype=np.float64)
    if x.ndim == 2:
        x = x[:, None, :]
    return model, x, None, tuple(str(t + 1) for t in range(x.shape[2]))


def step_jacobians(model, text, layer=None) -> StepJacobians:
    """The exact step Jacobians of one layer (1-based; None = the top layer) for the first
    example: per direction, (T_x, n_s, n_s) in float64, from `Cell.step_jacobians`."""
    return _step_jacobians(model, text, layer)[0]


def _step_jacobians(model, text, layer=None, prefix: Spectrum | None = None,
                    kind=(None, 0.0)):
    """(StepJacobians, keep): the step Jacobians of the steps after the first `keep`, where
    `keep` is how many leading steps the spectrum `prefix` already has (`_shared_steps`; 0
    without one). J[d] and carry[d] then hold steps keep+1..T_x; labels, all of them."""
    sj, keep, layers = _layer_tapes(model, text, layer, prefix, kind)
    for d, (cell, params, tape, n_s) in layers.items():
        Jd = (np.zeros((0, n_s, n_s)) if tape is None else
              np.asarray(cell.step_jacobians(params, tape))[:, 0])
        sj.J[d] = np.ascontiguousarray(Jd[::-1] if d == "bwd" else Jd)
    return sj, keep


def _step_operators(model, text, layer=None, prefix: Spectrum | None = None,
                    kind=(None, 0.0)):
    """(StepJacobians without J, keep, {d: StepOperator}): as `_step_jacobians`, with the
    steps as products (`Cell.jacobian_operator`) instead of formed matrices, in the input's
    time order."""
    sj, keep, layers = _layer_tapes(model, text, layer, prefix, kind)
    ops = {}
    for d, (cell, params, tape, n_s) in layers.items():
        if tape is None:
            ops[d] = StepOperator.of_matrices(np.zeros((0, n_s, n_s)))
            continue
        op = cell.jacobian_operator(params, tape)
        ops[d] = op.take(np.arange(len(op))[::-1]) if d == "bwd" else op
    return sj, keep, ops


def _layer_tapes(model, text, layer, prefix, kind):
    """(StepJacobians with its carry and no J yet, keep, {d: (cell, params, tape of the
    steps after `keep` or None when there are none, n_s)}) of one layer."""
    net, x, state0, labels = _network_and_input(model, text)
    cfg = net.config
    layer = cfg.layers if layer is None else int(layer)
    if not 1 <= layer <= cfg.layers:
        raise ValueError(f"layer must be between 1 and {cfg.layers}, got {layer}")
    keep = _shared_steps(prefix, labels, cfg.cell, cfg.n_a, layer, cfg.directions, kind)
    trace = net.forward(x[:, :1], state0=state0)
    tapes = (trace.layer_tapes or [trace.tapes])[layer - 1]
    carry, out = {}, {}
    n = cfg.n_a
    n_s = n * len(net.cell.state)
    for d in cfg.directions:
        if keep == len(labels):                  # every step is in `prefix`: none to form
            carry[d] = None if cfg.cell not in CARRY else np.zeros((0, n_s))
            out[d] = (net.cell, None, None, n_s)
            continue
        tape = _tape_after(tapes[d], keep)
        kd = None
        if cfg.cell in CARRY:
            key, read, _ = CARRY[cfg.cell]
            k = read(np.asarray(net.cell.block(tape.G, key, n))[:, 0])
            kd = (np.concatenate([np.zeros_like(k), k], axis=1) if cfg.cell == "lstm" else k)
        carry[d] = None if kd is None else (kd[::-1] if d == "bwd" else kd)  # input order
        out[d] = (net.cell, net.cell_params(d, layer), tape, n_s)
    sj = StepJacobians(J={}, labels=labels, cell=cfg.cell, n_a=n, layer=layer, carry=carry)
    return sj, keep, out


def _tape_after(tape, k: int):
    """The tape of steps k+1..T_x, as if the layer had started from its state at step k:
    every time-major field (T_x, m, ·) cut to its steps after k, and a<0> / c<0> replaced by
    a<k> / c<k>. A step's Jacobian reads only its own step and the state before it, so these
    are the same Jacobians as steps k+1..T_x of the whole tape."""
    if k == 0:
        return tape
    changes = {}
    for f in fields(tape):
        value = getattr(tape, f.name)
        if f.name in ("a0", "c0"):
            changes[f.name] = getattr(tape, f.name[0].upper())[k - 1]
        elif isinstance(value, np.ndarray) and value.ndim == 3:
            changes[f.name] = value[k:]
    return replace(tape, **changes)


def jacobian_spectrum(model, text=None, layer=None, eigenvalues=False,
                      jacobians: StepJacobians | None = None,
                      prefix: Spectrum | None = None, top: int | None = None,
                      band_tol: float = 1e-3) -> Spectrum:
    """Singular values of every step Jacobian (and eigenvalues when `eigenvalues`), with the
    share of the top direction carried by the cell's diagonal gate path (`CARRY`). Pass
    `jacobians` to reuse a `step_jacobians` result.

    `prefix`: a spectrum of the same model and layer on another text. For a one-direction
    model, a step's Jacobian depends only on the tokens up to it, so the steps of the leading
    tokens the two texts share are taken from `prefix` instead of computed again (an edit at
    the end of a sentence computes only the new steps). The caller vouches that `prefix`
    comes from the same model.

    `top` = k: only what the Dynamics page draws, σ1..σk and the band's lower edge (σ_min to
    within `band_tol` σ1), by Lanczos through the cell's `jacobian_operator` and norm bounds
    where those settle it (`spectra.spectrum_band`): on the shipped LSTM LM about 7× faster than
    every singular value (benchmarks/spectrum.py)."""
    kind = (None, 0.0) if top is None else (int(top), float(band_tol))
    if jacobians is None and top is not None and not eigenvalues:
        # the band reads the steps through products: the Jacobians are formed only for a
        # step no bound settles
        sj, keep, ops = _step_operators(model, text, layer, prefix, kind)
        steps = {d: (op, sj.carry[d]) for d, op in ops.items()}
    elif jacobians is None:
        sj, keep = _step_jacobians(model, text, layer, None if eigenvalues else prefix, kind)
        steps = {d: (Jd, sj.carry[d]) for d, Jd in sj.J.items()}
    else:
        sj = jacobians
        keep = 0 if eigenvalues else _shared_steps(prefix, sj.labels, sj.cell, sj.n_a,
                                                   sj.layer, tuple(sj.J), kind)
        steps = {d: (Jd[keep:], None if sj.carry[d] is None else sj.carry[d][keep:])
                 for d, Jd in sj.J.items()}
    sv, eig, share = {}, ({} if eigenvalues else None), {}
    for d, (Jd, carry) in steps.items():
        S, (u, v) = _finite_steps(
            by_halves if top is None else lambda J: spectrum_band(J, top, band_tol), Jd)
        if carry is None:
            through = np.zeros(len(S))
        else:
            # σ_max = uᵀ J v = uᵀ D v + uᵀ (J − D) v, D = diag(carry): D's part of σ_max
            through = np.clip((u * carry * v).sum(axis=1) / np.maximum(S[:, 0], 1e-300),
                              0.0, 1.0)
        sv[d] = np.concatenate([prefix.sv[d][:keep], S]) if keep else S
        share[d] = np.concatenate([prefix.carry_share[d][:keep], through]) if keep else through
        if eigenvalues:
            lam = np.full(Jd.shape[:2], np.nan, dtype=complex)
            ok = np.isfinite(Jd).all(axis=(1, 2))
            lam[ok] = np.linalg.eigvals(Jd[ok])
            order = np.argsort(-np.abs(lam), axis=1)
            eig[d] = np.take_along_axis(lam, order, axis=1)
    return Spectrum(sv=sv, eig=eig, carry_share=share, labels=sj.labels, cell=sj.cell,
                    n_a=sj.n_a, layer=sj.layer, top=kind[0], band_tol=kind[1])


def _finite_steps(spectra, J):
    """`spectra(J)` on the steps whose Jacobian is finite; NaN for the others (a network
    whose state overflowed: those steps are left blank, as on the other pages). J: formed
    (T, n_s, n_s), or a `StepOperator` (a step is finite when its factors are)."""
    operator = isinstance(J, StepOperator)
    ok = J.finite() if operator else np.isfinite(J).all(axis=(1, 2))
    if ok.all():
        return spectra(J)
    n_s = J.n_s if operator else J.shape[2]
    S, (u, v) = spectra(J.take(np.flatnonzero(ok)) if operator else J[ok])
    S_all = np.full((len(ok), S.shape[1]), np.nan)
    U, V = np.full((len(ok), n_s), np.nan), np.full((len(ok), n_s), np.nan)
    S_all[ok], U[ok], V[ok] = S, u, v
    return S_all, (U, V)


def _shared_steps(prefix: Spectrum | None, labels, cell, n_a, layer, directions,
                  kind=(None, 0.0)) -> int:
    """How many leading steps of a reading of `labels` a spectrum `prefix` of the same model
    has already: the leading tokens both read, for a one-direction model of the same cell,
    size and layer, and a spectrum of the same kind ((top, band_tol))."""
    if (prefix is None or list(directions) != [""] or list(prefix.sv) != [""]
            or (prefix.cell, prefix.n_a, prefix.layer) != (cell, n_a, layer)
            or (prefix.top, prefix.band_tol) != tuple(kind)):
        return 0
    k = 0
    for a, b in zip(prefix.labels, labels, strict=False):
        if a != b:
            break
        k += 1
    return k


def jacobian_product(sj: StepJacobians, t: int, direction: str = "") -> np.ndarray:
    """∂s<T_x>/∂s<t> = J<T_x> ... J<t+1> (t = 0..T_x; t = T_x gives the identity)."""
    Jd = sj.J[direction]
    P = np.eye(Jd.shape[1])
    for i in range(Jd.shape[0] - 1, t - 1, -1):
        P = P @ Jd[i]
    return P


def spectrum_summary(spec: Spectrum, direction: str = "", near: float = 0.99) -> dict:
    """Median and max of σ_max along the sentence, and how many steps have σ_max ≥ `near`."""
    top = spec.sv[direction][:, 0]
    finite = top[np.isfinite(top)]          # steps whose Jacobian overflowed are NaN
    return {"median": float(np.median(finite)) if finite.size else float("nan"),
            "max": float(finite.max()) if finite.size else float("nan"),
            "steps_near_1": int((finite >= near).sum()), "steps": int(len(top))}
