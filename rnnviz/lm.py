"""Trained models in use: language-model scoring and sampling, name tagging, rating.

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

Tagger: y<t> = 1 for a word of a person's name; `tag` returns P(name) = ŷ<t>[1] per word.
Classifier: many-to-one; `predict` returns ŷ<T_x> over the five star ratings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from rnnviz.core.functional import log_softmax, softmax
from rnnviz.core.model import Model, State
from rnnviz.core.trace import Trace
from rnnviz.text import EOS_ID, UNK_ID, Token, Vocab

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
PRETRAINED = ("char-lm-rnn", "char-lm-gru", "char-lm-lstm", "ner-lstm", "ner-bilstm",
              "sentiment-lstm")
KINDS = ("char_lm", "tagger", "classifier")
# How a sampled `<UNK>` (any rare character) is written into the sampled text.
UNK_CHAR = "\N{REPLACEMENT CHARACTER}"


# -- scoring a long stream --------------------------------------------------------------------


def stream_log_probs(model: Model, ids: np.ndarray, start_id: int = EOS_ID,
                     state0: State | None = None, chunk: int = 4096) -> np.ndarray:
    """log ŷ<t-1>[x<t>] for every token of `ids`, reading `start_id` first, state carried.

    The text is read in chunks of `chunk` steps with the state carried across them, which
    gives the same numbers as one pass over the whole text with less memory. Returns a
    float64 array of len(ids).
    """
    ids = np.asarray(ids, dtype=np.int64)
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


def _draw(p: np.ndarray, rng: np.random.Generator) -> int:
    """Inverse-CDF draw of one index from p (one uniform number per draw)."""
    cdf = np.cumsum(p)
    i = int(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"))
    i = min(i, len(p) - 1)
    while p[i] == 0:                  # rounding at the top of the CDF: step back to mass
        i -= 1
    return i


# -- the pretrained models --------------------------------------------------------------------


class Pretrained:
    """A trained model with its vocabulary and card. Parameters are read-only arrays."""

    kind = ""

    def __init__(self, name: str, model: Model, vocab: Vocab, card: dict, card_markdown: str = ""):
        self.name, self.model, self.vocab = name, model, vocab
        self.card, self.card_markdown = card, card_markdown

    def __repr__(self) -> str:
        c = self.model.config
        return (f"{type(self).__name__}({self.name!r}, cell={c.cell!r}, n_a={c.n_a}, "
                f"|V|={len(self.vocab)}, bidirectional={c.bidirectional})")

    def encode(self, text: str) -> tuple[np.ndarray, list[Token]]:
        """x (n_x, 1, T_x) one-hot in the model's dtype and the tokens with their offsets.

        Unknown tokens map to `<UNK>`; this never raises. An empty text (or one without any
        token) gives T_x = 0, which `trace` rejects: callers check `x.shape[2]` first.
        """
        tokens = self.vocab.tokens(text)
        x = self.vocab.one_hot(self.vocab.encode_tokens(tokens), dtype=self.model.config.dtype)
        return x, tokens

    def trace(self, text: str) -> Trace:
        """The network reading `text` token by token; `trace.tokens` are the token strings.

        Raises ValueError for a text without tokens (there is no step to show).
        """
        x, tokens = self.encode(text)
        if x.shape[2] == 0:
            raise ValueError("the text has no tokens to read")
        return self.model.forward(x, state0=self._state0(), tokens=[t.text for t in tokens])

    def _state0(self) -> State | None:
        return None


class CharLM(Pretrained):
    """A character-level language model (RNN, GRU or LSTM) primed by the start symbol."""

    kind = "char_lm"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        x = np.zeros((self.model.config.n_x, 1), dtype=self.model.config.dtype)
        x[EOS_ID] = 1
        y, state = self.model.step(x)
        for v in (y, *(s for s in state if s is not None)):
            v.flags.writeable = False
        self._start = (y[:, 0], state)

    @property
    def start(self) -> tuple[np.ndarray, State]:
        """(ŷ<0>, state) after reading `<EOS>` from a<0> = 0: P(first character) and a<0'>."""
        return self._start

    def _state0(self) -> State:
        return self.start[1]

    def trace(self, text: str) -> Trace:
        """Step t reads character t from the primed state, so trace["y_hat"][:, 0, t-1] is
        P(character t+1 | characters 1..t). P(character 1) is `start[0]`."""
        return super().trace(text)

    def log_probs(self, text: str) -> np.ndarray:
        """Natural-log P(character t | characters before it) for each character of `text`;
        the first one is given the start state. Unknown characters get the `<UNK>` probability.
        """
        return stream_log_probs(self.model, self.vocab.encode(text), start_id=EOS_ID)

    def score(self, text: str) -> dict:
        """log P(text), bits per character and perplexity (per character), with per_char.

        An empty text has log_prob 0 and NaN bits per character and perplexity.
        """
        lp = self.log_probs(text)
        bpc = bits_per_char(lp)
        return {"log_prob": float(lp.sum()), "bits_per_char": bpc,
                "perplexity": float(2 ** bpc), "per_char": lp}

    def sample(self, prefix: str = "", length: int = 200, temperature: float = 0.7,
               top_k: int | None = None, rng: np.random.Generator | int | None = None) -> Sample:
        """Sample `length` characters after `prefix` (seed: "Sampling novel sequences").

        An empty prefix starts from a<0> = 0 with the start symbol. Each step draws x<t+1>
        from ŷ<t> reshaped by `temperature` and `top_k` (see `sampling_distribution`) and
        feeds it back as the next input. `<EOS>` is only ever an input, never sampled.
        rng: a Generator, or a seed (None means seed 0), so a call is reproducible.
        """
        if not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(0 if rng is None else rng)
        y, state = self.start
        if prefix:
            x, _ = self.encode(prefix)
            tr = self.model.forward(x, state0=state)
            y, state = tr["y_hat"][:, 0, -1], tr.final_state
        n_x, dt = self.model.config.n_x, self.model.config.dtype
        steps, chars = [], []
        for _ in range(length):
            p = sampling_distribution(y, temperature, top_k, banned=(EOS_ID,))
            k = _draw(p, rng)
            ch = UNK_CHAR if k == UNK_ID else self.vocab.itos[k]
            steps.append(SampleStep(probs=p, y_hat=np.array(y, dtype=np.float64), token_id=k,
                                    char=ch, a=state.a[:, 0].copy()))
            chars.append(ch)
            xt = np.zeros((n_x, 1), dtype=dt)
            xt[k] = 1
            y, state = self.model.step(xt, state)
            y = y[:, 0]
        return Sample(text=prefix + "".join(chars), prefix=prefix, steps=steps)


class Tagger(Pretrained):
    """A word-level name tagger (many-to-many, n_y = 2; class 1 = part of a person's name)."""

    kind = "tagger"

    def tag(self, text: str) -> list[tuple[str, float]]:
        """(word, P(name)) for every token of `text`; [] for a text without tokens."""
        x, tokens = self.encode(text)
        if not tokens:
            return []
        p = self.model.forward(x)["y_hat"][1, 0, :]
        return [(t.text, float(pt)) for t, pt in zip(tokens, p, strict=True)]


class Classifier(Pretrained):
    """A many-to-one rating classifier: ŷ<T_x> over the labels."""

    kind = "classifier"

    @property
    def labels(self) -> list[str]:
        return list(self.card["labels"])

    def predict(self, text: str) -> np.ndarray:
        """Probabilities over the labels after reading `text`.

        For a text without tokens the head reads a<0> = 0: softmax(b_y), the model's prior.
        """
        x, _ = self.encode(text)
        if x.shape[2] == 0:
            return softmax(self.model.params["by"][:, 0].astype(np.float64), axis=0)
        return self.model.forward(x)["y_hat"][:, 0, -1].astype(np.float64)


_CLASSES = {"char_lm": CharLM, "tagger": Tagger, "classifier": Classifier}


# -- loading ----------------------------------------------------------------------------------


def list_pretrained() -> list[str]:
    """Names of the shipped models (in a fixed order)."""
    return [n for n in PRETRAINED if (PRETRAINED_DIR / f"{n}.npz").exists()]


def from_checkpoint(path: str | Path, name: str | None = None) -> Pretrained:
    """A `Pretrained` from `path` (.npz + .json card, optional .md card)."""
    path = Path(path)
    model, card = Model.load(path)
    for v in model.params.values():
        v.flags.writeable = False
    md = path.with_suffix(".md")
    cls = _CLASSES[card["kind"]]
    return cls(name or card.get("name", path.stem), model, Vocab.from_dict(card["vocab"]), card,
               md.read_text() if md.exists() else "")


@lru_cache(maxsize=None)
def load_pretrained(name: str) -> Pretrained:
    """A shipped model by name (no network access). Cached per process: do not mutate it;
    use `p.model.copy()` for a writable model."""
    if name not in PRETRAINED:
        raise KeyError(f"unknown pretrained model {name!r}; choose from {list(PRETRAINED)}")
    path = PRETRAINED_DIR / f"{name}.npz"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run `python -m rnnviz.train {name}`")
    return from_checkpoint(path, name)
