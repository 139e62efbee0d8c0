"""Which input tokens pushed one output up or down: gradient × input and integrated gradients.

The output is one probability f(x) = ŷ_k<t>: class k of a many-to-one head (t = T_x), the tag
k at step t, or the next token k at step t of a language model. Both methods use the exact
BPTT of `Model.backward` (∂f/∂x<t'> for every t' in one backward pass; no torch):

    grad × input:            s<t'> = Σ_j x_j<t'> · ∂f/∂x_j<t'>
    integrated gradients:    s<t'> = Σ_j (x_j<t'> − x̄_j<t'>) · ∫_0^1 ∂f/∂x_j(x̄ + α(x − x̄)) dα

with the baseline x̄ = 0 (no input at any step). Integrated gradients are complete:
Σ_t' s<t'> = f(x) − f(x̄) (Sundararajan et al. 2017); the integral is a trapezoid rule on
`steps` + 1 points, one batch column per α, and `completeness_error` says how far the sum is.

Per layer (`layers=True`): the same scores with layer l's input a^[l-1]<t'> in place of x<t'>
(the path x̄ → x induces a path of a^[l-1]; the trapezoid rule on that path is complete too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = ("grad_x_input", "integrated_gradients")


@dataclass(frozen=True)
class Attribution:
    tokens: tuple[str, ...]      # the input tokens x<1> … x<T_x>
    scores: np.ndarray           # (T_x,) each token's contribution to f
    method: str                  # "grad_x_input" | "integrated_gradients"
    target: str                  # the output's label
    step: int                    # t of ŷ<t> (1-based)
    f_x: float                   # f(x) = ŷ_k<t> on the text
    f_baseline: float            # f(x̄) on the baseline (no input)
    layer_scores: np.ndarray | None = None   # (layers, T_x) when asked

    @property
    def completeness_error(self) -> float:
        """|Σ s − (f(x) − f(x̄))| / |f(x) − f(x̄)|: ≈ 0 for integrated gradients."""
        gap = self.f_x - self.f_baseline
        return float(abs(self.scores.sum() - gap) / max(abs(gap), 1e-12))


def _target_index(model, target) -> int:
    n_y = model.config.n_y
    if isinstance(target, str):
        if target not in model.output_labels:
            raise ValueError(f"{target!r} is not one of the model's outputs")
        return model.output_labels.index(target)
    k = int(target)
    if not 0 <= k < n_y:
        raise ValueError(f"target must be an output index in 0..{n_y - 1}, got {target}")
    return k


def _batched_state(state0, m: int):
    """The model's start state repeated over m batch columns (None stays None)."""
    if state0 is None:
        return None
    return type(state0)(*(None if v is None else np.repeat(np.asarray(v)[..., :1], m, axis=-1)
                          for v in state0))


def _df_dz(y_t: np.ndarray, k: int, head: str) -> np.ndarray:
    """∂ŷ_k/∂z_y for each batch column: (m, n_y)."""
    if head == "many_to_one_sigmoid":
        return y_t * (1 - y_t)
    d = -y_t * y_t[:, k:k + 1]              # softmax: ∂ŷ_k/∂z_j = ŷ_k (δ_kj − ŷ_j)
    d[:, k] += y_t[:, k]
    return d


def _path(model, X: np.ndarray, state0, k: int, t: int):
    """Forward and backward over a batch of inputs X (n_x, m, T_x): f per column, and per
    layer the inputs (T_x, m, ·) and ∂f/∂inputs."""
    net = model.network("float64")
    trace = net.forward(X, state0=_batched_state(state0, X.shape[1]))
    Y = trace.rows["y_hat"]
    dZy = np.zeros_like(Y)
    dZy[t - 1] = _df_dz(Y[t - 1], k, net.config.head)
    _, _, bt = net.backward(trace, dZy=dZy)
    inputs = [trace.rows["x"]] + [trace.layer_rows[l]["a"] for l in range(net.config.layers - 1)]
    grads = [bt.layer_rows[l]["dx"] for l in range(net.config.layers)]
    return Y[t - 1][:, k], inputs, grads


def attribution(model, text: str, target, method: str = "grad_x_input",
                baseline: str = "zeros", steps: int = 64, step: int | None = None,
                layers: bool = False) -> Attribution:
    """One score per input token of `text` toward ŷ_target<step> of a model in use.

    target: an output index or label (a class, a tag, a next token). step: 1-based t of the
    output (default and only choice for a many-to-one head: T_x). steps: points of the
    integral (integrated gradients). layers: also per-layer scores (layer_scores).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if baseline != "zeros":
        raise ValueError("the only baseline is 'zeros' (x̄<t> = 0: no input at any step)")
    if int(steps) < 2:
        raise ValueError("integrated gradients need steps >= 2")
    x, toks = model.encode(text)
    if not toks:
        raise ValueError("the text has no tokens: type a sentence")
    T = x.shape[2]
    k = _target_index(model, target)
    many_to_one = model.config.head != "many_to_many"
    t = T if step is None else int(step)
    if not 1 <= t <= T:
        raise ValueError(f"step must be in 1..T_x = {T}, got {step}")
    if many_to_one and t != T:
        raise ValueError(f"a many-to-one model has one output, at T_x = {T}")
    x = np.asarray(x, dtype=np.float64)
    if method == "grad_x_input":
        X = np.concatenate([np.zeros_like(x), x], axis=1)          # column 0: the baseline
        f, inputs, grads = _path(model, X, model.state0, k, t)
        per_layer = [(inp[:, 1] * g[:, 1]).sum(axis=1)
                     for inp, g in zip(inputs, grads, strict=True)]
    else:
        alphas = np.linspace(0.0, 1.0, int(steps) + 1)
        X = x * alphas[None, :, None]                               # x̄ + α (x − x̄), x̄ = 0
        f, inputs, grads = _path(model, X, model.state0, k, t)
        # trapezoid rule along the path: Σ_i ½(g_i + g_i+1) · (in_i+1 − in_i)
        per_layer = [(0.5 * (g[:, 1:] + g[:, :-1]) * np.diff(inp, axis=1)).sum(axis=(1, 2))
                     for inp, g in zip(inputs, grads, strict=True)]
    return Attribution(tokens=tuple(tk.text for tk in toks), scores=per_layer[0],
                       method=method, target=model.output_labels[k], step=t,
                       f_x=float(f[-1]), f_baseline=float(f[0]),
                       layer_scores=np.stack(per_layer) if layers else None)
