"""Fixed points of a recurrent cell under a constant input (Sussillo & Barak, 2013).

With the input held at x, one step is a map of the state, s<t> = F(s<t-1>, x), where
s = a (RNN, GRU) or s = [a; c] (LSTM, the cell's own order). A fixed point s* has
F(s*, x) = s*. They are found by minimising

    q(s) = ½ ‖F(s, x) − s‖²
    ∇q(s) = (J − I)ᵀ (F(s, x) − s),   J = ∂F/∂s (the cell's exact step Jacobian)

from states the model visits, for all starts at once (one batched forward step per
iteration). The minimiser is Levenberg–Marquardt: it uses the exact gradient above and the
Gauss–Newton curvature (J − I)ᵀ(J − I) + λI, with λ adapted per start.

Tolerance. A point with q(s) < `tol` (default 1e-10, i.e. ‖F(s) − s‖ < 1.4e-5) is a fixed
point; a local minimum with q above it is a *slow point* (the state drifts slowly there) and
is reported apart. Fixed points closer than `merge` (Euclidean) are one point. Each point has
its Jacobian's eigenvalues; `stable` means every |λ| < 1, a saddle has some |λ| > 1 + UNIT,
a marginal point has its largest |λ| within UNIT = 1e-6 of 1.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

TOL = 1e-10
UNIT = 1e-6          # |λ| within UNIT of 1 is "marginal": neither clearly stable nor unstable


@dataclass(frozen=True)
class FixedPoint:
    """One fixed (or slow) point: state s (n_s,), q(s), eigenvalues of J (by |λ|, largest
    first), eigenvectors (columns, same order)."""

    s: np.ndarray
    q: float
    eigvals: np.ndarray
    eigvecs: np.ndarray

    @property
    def stable(self) -> bool:
        return bool(np.all(np.abs(self.eigvals) < 1))

    @property
    def n_unstable(self) -> int:
        """Eigenvalues with |λ| > 1 + UNIT (clearly unstable directions)."""
        return int(np.sum(np.abs(self.eigvals) > 1 + UNIT))

    @property
    def kind(self) -> str:
        """stable (every |λ| < 1), marginal (the largest |λ| within UNIT of 1: a saturated
        gate holds a direction exactly), saddle (some |λ| > 1 + UNIT), or unstable (all)."""
        if self.stable:
            return "stable"
        if self.n_unstable == 0:
            return "marginal"
        return "saddle" if self.n_unstable < len(self.eigvals) else "unstable"

    def unstable_directions(self) -> np.ndarray:
        """(k, n_s): the real parts of the eigenvectors with |λ| > 1, unit length."""
        V = np.real(self.eigvecs[:, np.abs(self.eigvals) > 1 + UNIT]).T
        return V / np.maximum(np.linalg.norm(V, axis=1, keepdims=True), 1e-300)


@dataclass(frozen=True)
class FixedPoints:
    points: list                     # FixedPoint with q < tol
    slow: list                       # local minima with q >= tol
    x: np.ndarray                    # the constant input
    tol: float
    n_init: int
    seconds: float
    starts: np.ndarray = field(repr=False, default=None)   # (n_init, n_s)

    def counts(self) -> dict:
        kinds = [p.kind for p in self.points]
        return {"stable": kinds.count("stable"), "marginal": kinds.count("marginal"),
                "saddle": kinds.count("saddle"), "unstable": kinds.count("unstable"),
                "slow": len(self.slow)}


class StepMap:
    """F(s, x) and J = ∂F/∂s of a one-layer unidirectional network, for m states at once."""

    def __init__(self, net, x):
        cfg = net.config
        if cfg.bidirectional or cfg.layers != 1:
            raise ValueError("fixed points need a one-layer, one-direction model: a "
                             "bidirectional or stacked model has no single state map")
        self.cell, self.n = net.cell, cfg.n_a
        self.params = {k: np.asarray(v, np.float64) for k, v in net.cell_params().items()}
        self.packed = self.cell.pack(self.params)
        self.x = np.asarray(x, np.float64).reshape(-1)
        if self.x.shape[0] != cfg.n_x:
            raise ValueError(f"the input must have n_x = {cfg.n_x} entries, got "
                             f"{self.x.shape[0]}")
        self.n_s = self.n * len(self.cell.state)

    def _tape(self, S):
        m = S.shape[0]
        state = tuple(np.ascontiguousarray(S[:, i * self.n:(i + 1) * self.n])
                      for i in range(len(self.cell.state)))
        X = np.broadcast_to(self.x, (1, m, self.x.shape[0])).copy()
        with np.errstate(over="ignore", invalid="ignore"):
            return self.cell.forward(self.packed, X, state)

    def _state(self, tape):
        return np.concatenate([tape.A[0]] + ([tape.C[0]] if "c" in self.cell.state else []),
                              axis=1)

    def next_state(self, S):
        """S (m, n_s) -> F(S) (m, n_s): one step, without the Jacobian."""
        return self._state(self._tape(S))

    def __call__(self, S):
        """S (m, n_s) -> (F(S) (m, n_s), J (m, n_s, n_s))."""
        tape = self._tape(S)
        with np.errstate(over="ignore", invalid="ignore"):
            J = np.asarray(self.cell.step_jacobians(self.params, tape))[0]
        return self._state(tape), J


def q_and_grad(step: StepMap, S):
    """q(s) = ½‖F(s) − s‖² and ∇q = (J − I)ᵀ(F(s) − s) for each row of S."""
    F, J = step(S)
    r = F - S
    M = J - np.eye(S.shape[1])
    g = np.matmul(r[:, None, :], M)[:, 0]                    # rᵀ (J − I), batched GEMM
    return 0.5 * (r * r).sum(axis=1), g, r, M


def minimise(step: StepMap, S0, iters=200, tol=TOL, progress=None):
    """Levenberg–Marquardt on q for every start (row of S0). Returns (S, q)."""
    S = np.array(S0, dtype=np.float64)
    m, n_s = S.shape
    lam = np.full(m, 1e-2)
    q, g, r, M = q_and_grad(step, S)
    eye = np.eye(n_s)
    for it in range(iters):
        todo = q >= tol * 1e-4                       # keep polishing below tol a little
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        Mi = M[idx]
        A = np.matmul(Mi.transpose(0, 2, 1), Mi) + lam[idx, None, None] * eye
        delta = -np.linalg.solve(A, g[idx][..., None])[..., 0]
        q_new, g_new, r_new, M_new = q_and_grad(step, S[idx] + delta)
        better = np.isfinite(q_new) & (q_new < q[idx])
        ok = idx[better]
        S[ok] += delta[better]
        q[ok], g[ok], r[ok], M[ok] = q_new[better], g_new[better], r_new[better], M_new[better]
        lam[ok] = np.maximum(lam[ok] / 3, 1e-9)
        lam[idx[~better]] *= 4
        if np.all(lam[idx] > 1e8):                   # every remaining start is stuck: slow
            break
        if progress is not None:
            progress((it + 1) / iters)
    return S, q


def _dedupe(S, q, merge):
    """Indices of one representative (the lowest q) per cluster of points within `merge`."""
    keep = []
    for i in np.argsort(q):
        if all(np.linalg.norm(S[i] - S[j]) > merge for j in keep):
            keep.append(i)
    return keep


def _point(step: StepMap, s, q):
    _, J = step(s[None])
    lam, V = np.linalg.eig(J[0])
    order = np.argsort(-np.abs(lam))
    return FixedPoint(s=s, q=float(q), eigvals=lam[order], eigvecs=V[:, order])


def fixed_points(model, x=None, n_init=64, tol=TOL, seed=0, states=None, noise=0.02,
                 iters=200, merge=1e-3, progress=None) -> FixedPoints:
    """Fixed points of `model` (a ModelInUse or a Model) under the constant input x.

    x: None = the zero vector; a string = that token one-hot (a character model); an array
    (n_x,). states: (N, n_s) states the model visits, to start from (default: the states it
    visits reading x for 100 steps from its start state, and for a ModelInUse the default
    sentence too). n_init starts are drawn from them (seeded) with Gaussian noise of std
    `noise`. progress(fraction) is called after every iteration.
    """
    t0 = time.perf_counter()
    net = model.network("float64") if hasattr(model, "network") else model
    xv = _input(model, net, x)
    step = StepMap(net, xv)
    rng = np.random.default_rng(seed)
    if states is None:
        states = visited_states(model, net, xv)
    states = np.asarray(states, np.float64).reshape(-1, step.n_s)
    pick = rng.integers(0, len(states), size=n_init)
    S0 = states[pick] + noise * rng.standard_normal((n_init, step.n_s))
    S, q = minimise(step, S0, iters=iters, tol=tol, progress=progress)
    ok = np.isfinite(q)
    S, q = S[ok], q[ok]
    fixed, slow = q < tol, q >= tol
    points = [_point(step, S[fixed][i], q[fixed][i]) for i in _dedupe(S[fixed], q[fixed], merge)]
    Ss, qs = S[slow], q[slow]
    slows = [_point(step, Ss[i], qs[i]) for i in _dedupe(Ss, qs, 10 * merge)]
    points.sort(key=lambda p: (p.kind != "stable", p.n_unstable))
    return FixedPoints(points=points, slow=slows, x=xv, tol=tol, n_init=n_init,
                       seconds=time.perf_counter() - t0, starts=S0)


def _input(model, net, x):
    n_x = net.config.n_x
    if x is None:
        return np.zeros(n_x)
    if isinstance(x, str):
        if not hasattr(model, "vocab"):
            raise ValueError("a text input needs a model with a vocabulary")
        ids = model.vocab.encode_tokens(model.tokens(x))
        if len(ids) != 1:
            raise ValueError(f"the constant input must be one token, got {len(ids)}")
        v = np.zeros(n_x)
        v[int(ids[0])] = 1
        return v
    return np.asarray(x, np.float64).reshape(n_x)


def run_constant(net, xv, s0, steps):
    """The states (steps, n_s) of the network reading the constant input from state s0."""
    step = StepMap(net, xv)
    out, s = np.empty((steps, step.n_s)), np.asarray(s0, np.float64)[None]
    for t in range(steps):
        s = step.next_state(s)
        out[t] = s[0]
    return out


def visited_states(model, net, xv, text="Return the number of items in the list.", steps=100):
    """States the model visits: reading x for `steps` steps from its start, and for a
    ModelInUse reading `text`."""
    n, k = net.config.n_a, len(net.cell.state)
    s0 = np.zeros(n * k)
    parts = []
    if hasattr(model, "read"):
        st = model.state0
        if st is not None:
            s0 = np.concatenate([np.asarray(v, np.float64)[:, 0] for v in st if v is not None])
        tape = net.forward(np.asarray(model.encode(text)[0], np.float64),
                           state0=st).tapes[""]
        parts.append(np.concatenate([tape.A[:, 0]] + ([tape.C[:, 0]] if k == 2 else []),
                                    axis=1))
    parts.append(run_constant(net, xv, s0, steps))
    return np.concatenate(parts, axis=0)
