"""How far back the loss at T_x still reaches: the Vanishing-gradients page's computation.

The notes' experiment: one input sequence of T_x tokens (the visitor's sentence repeated), the
loss at the last step only, L = L<T_x>, so every earlier step's gradient arrives through the
recurrence alone. Per model, one curve over t = 1..T_x (`rnnviz.core.analysis`):

    measure "loss":      ||∂L/∂a<t>||
    measure "jacobian":  ||∂a<T_x>/∂a<t>|| = ||J<T_x> … J<t+1>||, J<t> = ∂a<t>/∂a<t-1>

* `comparison_curves`  RNN, GRU and LSTM (`rnnviz.models.comparison_models`: the shipped
                       char LMs, or random networks with the same init) on the sentence.
* `model_curve`        the same curve for any model in use (shipped, imported, trained in the
                       app; any task): its own tokens repeated to the same T_x. A stacked
                       model: its top layer a^[L]; a bidirectional one: its forward sweep a→
                       (a←<t> has read x<T_x>…x<t>, so a loss at T_x reaches it only at T_x).

Every curve is {"norms": (T_x,) float64, "grads": {param: array}, "loss": float,
"nonfinite": bool}, computed in float64 (300 steps back an RNN's gradient can be 1e-80).
"""

from __future__ import annotations

import numpy as np

from rnnviz.core import analysis
from rnnviz.core.trace import scaled_norm
from rnnviz.models.spec import comparison_models

NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}


def repeated_x(vocab, ids, T: int) -> tuple[np.ndarray, int]:
    """(x, the token after step T): `ids` repeated to T steps, one-hot in float64 by the
    vocabulary (n_x, 1, T) (its unknown token reads as the vocabulary says), and the id that
    follows the last step (a language model's target)."""
    stream, nxt = analysis.repeat_ids(ids, T)
    return vocab.one_hot(stream, dtype=np.float64), nxt


def comparison_curves(text: str, T: int, weights: str = "random", *, n_a: int = 32,
                      rho: float = 0.9, activation: str = "tanh", forget_bias: float = 1.0,
                      seed: int = 0, measure: str = "loss") -> dict:
    """{"RNN": curve, "GRU": curve, "LSTM": curve} on `text` repeated to T steps, the loss at
    T_x with the next character as its target (`comparison_models` for the weights)."""
    curves = {}
    models = comparison_models(weights, n_a=n_a, rho=rho, activation=activation,
                               forget_bias=forget_bias, seed=seed)
    for cell, (model, vocab) in models.items():
        x, target = repeated_x(vocab, vocab.encode(text), T)
        curves.update(analysis.gradient_curves({NAMES[cell]: model}, x, target,
                                               measure=measure))
    return curves


def model_target(model, x: np.ndarray, nxt: int) -> int:
    """The target of the loss at T_x: a language model's next token; a tagger's or
    classifier's class that ŷ<T_x> ranks second (as on the Backward page: the model's own
    guess would leave almost no gradient, and the curve's shape does not depend on which)."""
    if model.kind == "char_lm":
        return int(nxt)
    with np.errstate(all="ignore"):
        y = np.asarray(model.network("float64").forward(x)["y_hat"])
    return int(np.argsort(-y[:, 0, -1], kind="stable")[min(1, y.shape[0] - 1)])


def model_curve(model, text: str, T: int, measure: str = "loss") -> dict:
    """The curve of a model in use on its own tokens of `text` repeated to T steps (ValueError
    for a text it finds no tokens in). A stacked model: the top layer; bidirectional: a→.
    Every curve starts from a<0> = 0, as the comparison's networks do (a shipped LM is not
    primed with its start token here), so the sidebar's char-lm-lstm draws the LSTM's curve."""
    if measure not in analysis.GRADIENT_MEASURES:
        raise ValueError(f"measure must be one of {list(analysis.GRADIENT_MEASURES)}")
    tokens = model.tokens(text)
    if not tokens:
        raise ValueError("the text has no tokens for this model")
    x, nxt = repeated_x(model.vocab, model.vocab.encode_tokens(tokens), T)
    net = model.network("float64")
    target = model_target(model, x, nxt)
    with np.errstate(all="ignore"):
        tr = net.forward(x)
        loss, grads, bt = net.backward(tr, np.array([target]), at="last")
        if measure == "jacobian":
            norms = analysis.state_jacobian_norms(net, tr, dtype=np.float32)
        else:
            key = "da_fwd" if model.config.bidirectional else "da"
            da = np.asarray(bt.rows[key])                  # top layer, (T_x, m, n_a)
            norms = scaled_norm(da.reshape(da.shape[0], -1), axis=1)
    norms = np.asarray(norms, dtype=np.float64)
    bad = bool(tr.nonfinite.any() or not np.all(np.isfinite(norms)) or not np.isfinite(loss))
    return {"norms": norms, "grads": grads, "loss": float(loss), "nonfinite": bad}


__all__ = ["NAMES", "repeated_x", "comparison_curves", "model_curve", "model_target"]
