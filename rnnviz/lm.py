"""Language-model maths: scoring a long stream, bits per character, sampling distributions.

The model-in-use classes (`rnnviz.models.LanguageModel`, ...) call these:

    p = rnnviz.load_pretrained("char-lm-lstm")
    p.log_probs("Return the value.")      # log P(x<t> | x<1..t-1>) per character
    p.sample("Return ", length=100, temperature=0.7, rng=np.random.default_rng(0))

Character language model (seed: "Sampling novel sequences"). The network reads the start
symbol `<EOS>` from a<0> = 0 and then the text, one character per step:

    ŷ<0> = softmax(W_y a<0'> + b_y),  a<0'> = cell(a<0> = 0, x = <EOS>)   P(first character)
    ŷ<t> = softmax(W_y a<t> + b_y),   a<t> = cell(a<t-1>, x<t>)            P(character t+1)

so log P(text) = Σ_t log ŷ<t-1>[x<t>] and bits per character = -log2 P(text) / len(text).
In training every stream of the corpus starts the same way (`rnnviz.training.batches`).
Characters outside the vocabulary are `<UNK>`, one class for every rare character.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.functional import log_softmax, softmax
from rnnviz.core.model import Model, State
from rnnviz.text import EOS_ID

# How a sampled `<UNK>` (any rare character) is written into the sampled text.
UNK_CHAR = "\N{REPLACEMENT CHARACTER}"


# -- scoring a long stream --------------------------------------------------------------------


def stream_log_probs(model: Model, ids: np.ndarray, start_id: int = EOS_ID,
                     state0: State | None = None, chunk: int = 4096) -> np.ndarray:
    """log ŷ<t-1>[x<t>] for every token of `ids`, reading `start_id` first, state carried.

    The text is read in chunks of `chunk` steps with the state carried across them, which
    gives the same numbers as one pass over the whole text with less memory. Returns a
    float64 array of len(ids). ValueError for an id outside the vocabulary (-1: a token an
    imported vocabulary without an unknown token cannot encode), never a wrong row.
    """
    ids = np.asarray(ids, dtype=np.int64)
    outside = int(((ids < 0) | (ids >= model.config.n_x)).sum()) + int(
        not 0 <= start_id < model.config.n_x)
    if outside:
        raise ValueError(f"{outside} token(s) are not in the model's vocabulary, which has no "
                         "unknown token: they cannot be read or scored")
    inputs = np.concatenate([[start_id], ids[:-1]]) if len(ids) else ids
    out = np.empty(len(ids))
    n_x, dt = model.config.n_x, model.config.dtype
    state = state0
    for s in range(0, len(ids), chunk):
        x_ids = inputs[s:s + chunk]
        x = np.zeros((n_x, 1, len(x_ids)), dtype=dt)
        x[x_ids, 0, np.arange(len(x_ids))] = 1
        trace = model.forward(x, state0=state)
        state = trace.final_state
        logp = log_softmax(trace.rows["z_y"][:, 0, :].astype(np.float64), axis=-1)
        out[s:s + len(x_ids)] = logp[np.arange(len(x_ids)), ids[s:s + chunk]]
    return out


def bits_per_char(log_probs: np.ndarray) -> float:
    """-Σ log2 P / number of characters (NaN for an empty text)."""
    n = len(log_probs)
    return float(-np.sum(log_probs) / np.log(2) / n) if n else float("nan")


# -- sampling -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleStep:
    """One sampled character.

    probs:    (|V|,) the distribution the token was drawn from (after temperature and top-k)
    y_hat:    (|V|,) the model's own ŷ<t> (temperature 1, no top-k)
    token_id: index of the chosen token; char: its text (`<UNK>` is written as U+FFFD)
    a:        (n_a,) the hidden state a<t> that produced ŷ<t>
    """

    probs: np.ndarray
    y_hat: np.ndarray
    token_id: int
    char: str
    a: np.ndarray


@dataclass(frozen=True)
class Sample:
    """`text` = `prefix` + the sampled characters; one step per sampled character."""

    text: str
    prefix: str
    steps: list[SampleStep] = field(default_factory=list)

    @property
    def generated(self) -> str:
        return self.text[len(self.prefix):]

    def arrays(self, dtype=np.float32) -> dict:
        """The steps as arrays: ids (T,), probs and y_hat (T, |V|), a (n_a, T), p_chosen (T,)
        (the probability of each drawn token under the distribution it was drawn from), and
        chars (the drawn characters)."""
        ids = np.array([s.token_id for s in self.steps], dtype=np.int64)
        probs = np.stack([s.probs for s in self.steps]).astype(dtype)
        return {"ids": ids, "chars": tuple(s.char for s in self.steps), "probs": probs,
                "y_hat": np.stack([s.y_hat for s in self.steps]).astype(dtype),
                "a": np.stack([s.a for s in self.steps], axis=1).astype(dtype),
                "p_chosen": probs[np.arange(ids.size), ids]}


def sampling_distribution(y_hat: np.ndarray, temperature: float = 1.0,
                          top_k: int | None = None, banned: tuple[int, ...] = ()) -> np.ndarray:
    """P(token) ∝ ŷ^(1/temperature) over the top_k most likely tokens, banned ones excluded.

    temperature = 0 puts all mass on the argmax (the greedy path); as temperature → 0 the
    distribution tends to the same one-hot vector.
    """
    if temperature < 0 or not np.isfinite(temperature):
        raise ValueError(f"temperature must be >= 0 and finite, got {temperature}")
    with np.errstate(divide="ignore"):
        logp = np.log(np.asarray(y_hat, dtype=np.float64))
    logp[list(banned)] = -np.inf
    if top_k is not None:
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        if top_k < len(logp):
            # stable sort: among equal probabilities the lower index wins
            keep = np.argsort(-logp, kind="stable")[:top_k]
            mask = np.full(len(logp), -np.inf)
            mask[keep] = 0
            logp = logp + mask
    if temperature == 0:
        p = np.zeros_like(logp)
        p[int(np.argmax(logp))] = 1.0
        return p
    return softmax(logp / temperature, axis=0)


def draw(p: np.ndarray, rng: np.random.Generator) -> int:
    """Inverse-CDF draw of one index from p (one uniform number per draw)."""
    cdf = np.cumsum(p)
    i = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
    i = min(i, len(p) - 1)
    while p[i] == 0:                  # rounding at the top of the CDF: step back to mass
        i -= 1
    return i


def entropy_bits(p: np.ndarray) -> float:
    """H(p) = -Σ p log2 p in bits (0: certain; log2 |V|: uniform); zero entries add nothing."""
    p = np.asarray(p, dtype=np.float64)
    nz = p[p > 0]
    return float(-(nz * np.log2(nz)).sum())


def rank(p: np.ndarray, i: int) -> int:
    """The rank of entry i in the distribution p: 1 for the most likely (ties share the best
    rank), len(p) for the least."""
    p = np.asarray(p)
    return int((p > p[i]).sum()) + 1


def sampling_advice(temperature: float, top_k: int) -> tuple[str, str] | None:
    """("info" | "warning", a sentence) on what these sampling settings will do, or None."""
    if temperature == 0 or top_k == 1:
        return ("info", "Greedy decoding: with temperature 0 or top-k = 1 the most likely "
                        "character is always chosen, so the seed changes nothing and the text "
                        "often loops.")
    if temperature < 0.25:
        return ("info", f"Temperature {temperature:g} is close to greedy: the text will be "
                        "safe and repetitive.")
    if temperature > 1.5:
        return ("warning", f"Temperature {temperature:g} flattens ŷ<t> towards a uniform "
                           "distribution: expect rare characters and gibberish.")
    return None
