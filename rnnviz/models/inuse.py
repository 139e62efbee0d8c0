"""Models in use: a network, its vocabulary and what its outputs mean.

One family for every model a page can show: the shipped ones, random weights, a model
imported from PyTorch and one trained in the app. Each is a `ModelInUse` of one kind:

* `LanguageModel` (kind "char_lm"): ŷ<t> is the distribution of the token after x<t>. A
  shipped LM is *primed*: it reads its start symbol `<EOS>` from a<0> = 0 first, as in
  training, so step t reads character t and ŷ<t> predicts character t+1 (see `rnnviz.lm` for
  scoring and sampling).
* `Tagger` (kind "tagger"): many-to-many, one label per token (class 1 = part of a name for
  the shipped name taggers).
* `Classifier` (kind "classifier"): many-to-one, ŷ<T_x> over the labels.

One route from text to every quantity, used by every page, test and benchmark:

    text --tokens--> Steps (x, ids, spans) --forward--> Trace --targets, BPTT--> Backward
    reading = m.read(text)               # Steps + Trace, one forward pass
    result  = m.backward(m.read(text, for_loss=True), at="all")

Targets. A char LM's loss uses the course's pair: x = the sentence without its last token,
y<t> = x<t+1> (`read(text, for_loss=True)`), so every step has a target. A user's sentence
has no labels for a tagger or a classifier, so their targets are the model's own most likely
class, read from the same forward pass (`Steps.target_note` says so).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from rnnviz.core.functional import softmax
from rnnviz.core.model import Model, RNNConfig, State
from rnnviz.core.trace import BackwardTrace, Trace
from rnnviz.lm import UNK_CHAR, Sample, SampleStep, draw, sampling_distribution, stream_log_probs
from rnnviz.models.export import export
from rnnviz.models.identity import MEMO, identity
from rnnviz.models.interventions import resolve
from rnnviz.text import EOS_ID, UNK_ID, Token, Vocab

KINDS = ("char_lm", "tagger", "classifier")
KIND_NAMES = {"char_lm": "character language model", "tagger": "name tagger",
              "classifier": "classifier"}
START_LABEL = "⟨start⟩"


@dataclass(frozen=True)
class Steps:
    """What a model reads and predicts at each step t = 1..T_x (index t-1)."""

    x: np.ndarray                      # (n_x, 1, T_x) one-hot input, model dtype
    ids: np.ndarray                    # (T_x,) vocabulary index read at step t
    labels: tuple[str, ...]            # the token read at step t, as typed
    spans: tuple[tuple[int, int] | None, ...]  # where that token is in the text
    unk: np.ndarray                    # (T_x,) True where the token is not in the vocabulary
    targets: np.ndarray                # (T_x,) class the step should predict; -1 = none
    target_labels: tuple[str, ...]     # display label of each target ("" where none)
    target_note: str                   # one sentence on how the targets were chosen

    @property
    def T_x(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True)
class Reading:
    """The model reading one text: its steps and the forward pass over them.

    `of` says what was read: (the model's identity, the text, for_loss, the interventions,
    their reference text). Two readings with the same `of` hold the same numbers, so a cache
    of what is drawn from a reading keys on it (the app's `cache_figure`)."""

    steps: Steps
    trace: Trace
    of: tuple = ()


@dataclass(frozen=True)
class Backward:
    """One BPTT run: the loss, parameter gradients and the per-step BackwardTrace.

    `of` says what was back-propagated: the `of` of the reading the loss is computed on (with
    its targets) and the loss `at`; a cache of what is drawn from it keys on it, like a
    `Reading`'s."""

    loss: float
    grads: dict
    btrace: BackwardTrace
    y: np.ndarray           # the targets passed to Model.backward
    at: str                 # "all" (L = Σ_t L<t>) or "last" (L<T_x> only)
    steps: Steps            # what the loss was computed on
    trace: Trace            # the forward pass of those steps
    of: tuple = ()


def freeze(*objs) -> None:
    """Mark every array inside traces, tapes, dicts, models and dataclasses read-only, so an
    object shared between sessions (a cache) cannot be changed by one of them."""
    stack = list(objs)
    seen = set()
    while stack:
        o = stack.pop()
        if id(o) in seen or o is None:
            continue
        seen.add(id(o))
        if isinstance(o, np.ndarray):
            o.flags.writeable = False
        elif isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, (list, tuple)):
            stack.extend(v for v in o if not isinstance(v, (str, int, float)))
        elif isinstance(o, Model):
            stack.append(o.params)
        elif isinstance(o, ModelInUse):
            stack.extend([o.model, o._start])
        elif dataclasses.is_dataclass(o) and not isinstance(o, type):
            stack.extend(getattr(o, f.name) for f in dataclasses.fields(o))
        elif hasattr(o, "__dict__") and type(o).__module__.startswith("rnnviz.core"):
            stack.extend(vars(o).values())        # kernel tapes and packed weights


class ModelInUse:
    """A network (`model`, rnnviz.core Model) with its vocabulary and output labels.

    name:   short id ("char-lm-lstm", "random", an upload's name)
    label:  what the sidebar and the pages call it
    source: "shipped" | "random" | "imported" | "trained"
    card:   metadata (the shipped models' JSON card); card_markdown: the human-readable card
    warnings: plain sentences every page shows (e.g. non-finite imported weights)
    """

    kind = ""

    def __init__(self, name: str, model: Model, vocab: Vocab, card: dict | None = None,
                 card_markdown: str = "", *, label: str | None = None,
                 output_labels: list[str] | None = None, source: str = "shipped",
                 warnings: tuple[str, ...] = ()):
        if len(vocab) != model.config.n_x:
            raise ValueError(f"the vocabulary has {len(vocab)} tokens but the network reads "
                             f"n_x = {model.config.n_x} inputs")
        self.name, self.model, self.vocab = name, model, vocab
        self.card = dict(card or {})
        self.card_markdown = card_markdown
        self.label = label or str(self.card.get("title") or name)
        self.source = source
        self.warnings = tuple(warnings)
        self.output_labels = list(output_labels or self._default_output_labels())
        if len(self.output_labels) != model.config.n_y:
            raise ValueError(f"{len(self.output_labels)} output labels for n_y = "
                             f"{model.config.n_y} outputs")
        self._start: tuple[np.ndarray, State] | None = None

    def __repr__(self) -> str:
        c = self.config
        return (f"{type(self).__name__}({self.name!r}, cell={c.cell!r}, n_a={c.n_a}, "
                f"|V|={len(self.vocab)}, bidirectional={c.bidirectional})")

    def _default_output_labels(self) -> list[str]:
        return [f"class {k}" for k in range(self.model.config.n_y)]

    @property
    def config(self) -> RNNConfig:
        return self.model.config

    @property
    def state0(self) -> State | None:
        """The state the forward pass starts from (None: a<0> = 0)."""
        return None

    def network(self, dtype: str = "float64") -> Model:
        """A writable copy of the network in `dtype` (float64 for gradient checks and long
        products of Jacobians); the model in use stays untouched."""
        cfg = dataclasses.replace(self.config, dtype=dtype)
        return Model(cfg, {k: np.array(v, dtype=dtype) for k, v in self.model.params.items()})

    # -- the route: text -> tokens -> x -> trace -> backward -----------------------------------

    def unknown_input(self) -> str:
        """What a token outside the vocabulary reads as, in words (plain text)."""
        unk_id = getattr(self.vocab, "unk_id", UNK_ID)
        if unk_id < 0:                       # an imported vocabulary without an unknown token
            return "x<t> = 0 (no input at that step)"
        return f"{self.vocab.itos[unk_id]} (index {unk_id})"

    def tokens(self, text: str) -> list[Token]:
        return self.vocab.tokens(text)

    def encode(self, text: str) -> tuple[np.ndarray, list[Token]]:
        """x (n_x, 1, T_x) one-hot in the model's dtype, and the tokens with their offsets.
        Unknown tokens map to `<UNK>`; an empty text gives T_x = 0 (never raises)."""
        tokens = self.tokens(text)
        x = self.vocab.one_hot(self.vocab.encode_tokens(tokens), dtype=self.config.dtype)
        return x, tokens

    def read(self, text: str, for_loss: bool = False, interventions=(),
             reference: str | None = None) -> Reading:
        """Tokens, x and the forward pass over `text`, with each step's target.

        for_loss: the steps a loss is computed on (a char LM drops the last token and its
        targets are the next tokens, so every step has one; other kinds: the same reading).
        interventions: `rnnviz.Clamp` / `rnnviz.Patch` applied while reading (their steps
        count the tokens read); reference: the text of "mean" clamps (None: the model's
        held-out corpus if shipped, else `text`; rnnviz.models.interventions).
        ValueError when there is no step to show, or an intervention does not fit.
        """
        ivs, means = (resolve(self, interventions, text, reference) if interventions
                      else (None, None))
        x, toks = self.encode(text)
        if not toks:
            raise ValueError("the text has no tokens: type a sentence")
        ids = self.vocab.encode_tokens(toks).astype(np.int64)
        if for_loss and self.kind == "char_lm":
            if len(toks) < 2:
                raise ValueError("a language-model loss needs at least two tokens")
            x, toks, targets = x[:, :, :-1], toks[:-1], ids[1:].copy()
            ids = ids[:-1]
            note = ("The language-model pair of the course notes: x = your sentence without "
                    "its last character, y<t> = x<t+1>, so the last step predicts the last "
                    "character.")
            trace = self._forward(x, toks, ivs, means)
        else:
            trace = self._forward(x, toks, ivs, means)
            targets, note = self._targets(ids, trace)
        unk = np.asarray(self.vocab.is_unk(ids), dtype=bool).reshape(ids.shape)
        labels = tuple(self.output_labels[int(k)] if k >= 0 else "" for k in targets)
        steps = Steps(x=x, ids=ids, labels=tuple(t.text for t in toks),
                      spans=tuple((t.start, t.end) for t in toks), unk=unk, targets=targets,
                      target_labels=labels, target_note=note)
        return Reading(steps=steps, trace=trace,
                       of=(self.identity, text, bool(for_loss),
                           tuple(repr(i) for i in interventions), reference))

    def _forward(self, x: np.ndarray, toks: list[Token], interventions=None,
                 reference=None) -> Trace:
        return self.model.forward(x, state0=self.state0, tokens=[t.text for t in toks],
                                  interventions=interventions, reference=reference)

    def _targets(self, ids: np.ndarray, trace: Trace) -> tuple[np.ndarray, str]:
        raise NotImplementedError

    def steps(self, text: str) -> Steps:
        return self.read(text).steps

    def trace(self, text: str, interventions=(), reference: str | None = None) -> Trace:
        """The network reading `text` token by token (ValueError for a text without tokens),
        with `interventions` as in `read`."""
        return self.read(text, interventions=interventions, reference=reference).trace

    def backward(self, reading: Reading, at: str = "all") -> Backward:
        """BPTT of the loss on `reading` (from `read(text, for_loss=True)`): L = Σ_t L<t>
        ("all") or L<T_x> ("last"; a many-to-one head always uses the last step)."""
        if at not in ("all", "last"):
            raise ValueError(f"at must be 'all' or 'last', got {at!r}")
        steps = reading.steps
        if self.config.head == "many_to_many":
            y = steps.targets[None, :]
        else:
            y, at = steps.targets[-1:], "last"
        loss, grads, btrace = self.model.backward(reading.trace, y, at=at)
        return Backward(loss=float(loss), grads=grads, btrace=btrace, y=y, at=at, steps=steps,
                        trace=reading.trace, of=reading.of and reading.of + (("at", at),))

    def check_gradients(self, result: Backward, n_steps: int = 20, n_entries: int = 3,
                        keep: int = 2, eps: float = 1e-5) -> tuple[list[dict], float]:
        """BPTT against centred finite differences on a float64 copy of the network, over
        the first `n_steps` steps of `result`'s loss (`rnnviz.models.gradcheck`)."""
        from rnnviz.models.gradcheck import check_gradients

        return check_gradients(self.network("float64"), result, n_steps, n_entries, keep, eps)

    def predict(self, text: str, interventions=(), reference: str | None = None) -> np.ndarray:
        """Probabilities: (T_x, n_y) for a language model or tagger (ŷ<t> at every step),
        (n_y,) for a classifier (ŷ<T_x>); `interventions` as in `read`."""
        trace = self.trace(text, interventions, reference)
        return np.asarray(trace["y_hat"][:, 0, :].T, dtype=np.float64)

    def export(self, path):
        """Write the network as .safetensors with torch's key names and layout, loadable
        into nn.Embedding + nn.RNN/GRU/LSTM + nn.Linear (`rnnviz.models.export`)."""
        return export(self, path)

    @property
    def identity(self) -> str:
        """The hex digest of everything that changes what this model reads or predicts
        (`rnnviz.models.identity`): weights, config (layers, variant, readout, head), vocabulary
        with its tokenizer, case and unknown token, start token, task, labels. A cache shared
        between sessions keys a model by it. Computed once, when first asked (a model in use is
        not changed after it is made: `freeze` makes that so)."""
        digest = self.__dict__.get(MEMO)
        if digest is None:
            digest = identity(self)
            self.__dict__[MEMO] = digest
        return digest

    def freeze(self) -> ModelInUse:
        """Make the weights read-only (a model shared by every session); returns self."""
        freeze(self)
        return self


def top_layer(a: np.ndarray) -> np.ndarray:
    """The top layer's (n_a, m) of a state vector, (layers, n_a, m) for a stacked model."""
    return a if a.ndim == 2 else a[-1]


class LanguageModel(ModelInUse):
    """A character- (or word-) level language model, primed by a start token when it has one.

    start_id: the token read first from a<0> = 0 (the shipped LMs: `<EOS>`), or None to start
    from a<0> = 0 and read the text as given.
    """

    kind = "char_lm"

    def __init__(self, *args, start_id: int | None = EOS_ID, **kwargs):
        super().__init__(*args, **kwargs)
        cfg = self.config
        self._start_id = start_id
        if start_id is None:
            # ŷ<0> from a<0> = 0 is softmax(b_y): what the model expects before any input
            y0 = softmax(self.model.params["by"][:, 0].astype(np.float64), axis=0)
            self._start, self._primed = (y0, self.model.initial_state(1)), False
        else:
            x = np.zeros((cfg.n_x, 1), dtype=cfg.dtype)
            x[start_id] = 1
            y, state = self.model.step(x)
            self._start, self._primed = (y[:, 0], state), True

    def _default_output_labels(self) -> list[str]:
        return list(self.vocab.itos)

    @property
    def start(self) -> tuple[np.ndarray, State]:
        """(ŷ<0>, state) before the first character: P(first character) and the state the
        text is read from."""
        return self._start

    @property
    def state0(self) -> State | None:
        return self._start[1] if self._primed else None

    def _targets(self, ids, trace):
        # ŷ<t> predicts what step t+1 reads; nothing follows the last token.
        return (np.array([*ids[1:], -1], dtype=np.int64),
                "Targets: the next character at each step (the last character has no next one).")

    def predict(self, text: str, interventions=(), reference: str | None = None) -> np.ndarray:
        """(T_x, |V|): row t-1 is P(token t+1 | tokens 1..t)."""
        return super().predict(text, interventions, reference)

    @property
    def first_scored(self) -> int:
        """The first token (1-based) `log_probs` scores: 1 after a start token; 2 without one
        (an LM trained on random windows reads token 1 from a<0> = 0 and predicts token 2)."""
        return 1 if self._primed else 2

    def log_probs(self, text: str) -> np.ndarray:
        """Natural-log P(token t | tokens before it) for tokens `first_scored`..T of `text`:
        the first one is given the start state, or, with no start token, read from a<0> = 0
        and not scored. Unknown tokens get the `<UNK>` probability."""
        ids = self.vocab.encode(text)
        if self._primed:
            return stream_log_probs(self.model, ids, start_id=self._start_id)
        if len(ids) < 2:
            return np.zeros(0)
        return stream_log_probs(self.model, ids[1:], start_id=int(ids[0]))

    def score(self, text: str) -> dict:
        """log P(text), bits per character and perplexity (per character), with per_char,
        over tokens `first_scored`..T ("scored_from"). An empty text (or one token without a
        start token) has log_prob 0 and NaN bits per character and perplexity."""
        from rnnviz.lm import bits_per_char

        lp = self.log_probs(text)
        bpc = bits_per_char(lp)
        return {"log_prob": float(lp.sum()), "bits_per_char": bpc,
                "perplexity": float(2 ** bpc), "per_char": lp, "scored_from": self.first_scored}

    def sample(self, prefix: str = "", length: int = 200, temperature: float = 0.7,
               top_k: int | None = None, rng: np.random.Generator | int | None = None) -> Sample:
        """Sample `length` tokens after `prefix` (seed: "Sampling novel sequences").

        An empty prefix starts from the start state. Each step draws x<t+1> from ŷ<t>
        reshaped by `temperature` and `top_k` (see `rnnviz.lm.sampling_distribution`) and
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
        n_x, dt = self.config.n_x, self.config.dtype
        sep = "" if self.vocab.kind == "char" else " "
        steps, chars = [], []
        # <EOS> is only ever read (an imported vocabulary may have none)
        banned = tuple(i for i in (self.vocab.stoi.get("<EOS>"),) if i is not None)
        for _ in range(length):
            p = sampling_distribution(y, temperature, top_k, banned=banned)
            k = draw(p, rng)
            ch = UNK_CHAR if self.vocab.is_unk(k) else self.vocab.itos[k]
            steps.append(SampleStep(probs=p, y_hat=np.array(y, dtype=np.float64), token_id=k,
                                    char=ch, a=top_layer(state.a)[:, 0].copy()))
            chars.append(ch)
            xt = np.zeros((n_x, 1), dtype=dt)
            xt[k] = 1
            y, state = self.model.step(xt, state)
            y = y[:, 0]
        return Sample(text=prefix + sep.join(chars), prefix=prefix, steps=steps)


class Tagger(ModelInUse):
    """Many-to-many: one label per token (the shipped taggers: class 1 = part of a name)."""

    kind = "tagger"

    def _default_output_labels(self) -> list[str]:
        labels = self.card.get("labels")
        if labels and len(labels) == self.model.config.n_y:
            return [str(s) for s in labels]
        if self.model.config.n_y == 2:
            return ["other", "name"]
        return super()._default_output_labels()

    def _targets(self, ids, trace):
        guess = np.argmax(trace["y_hat"][:, 0, :], axis=0).astype(np.int64)
        return guess, ("Targets: there are no labels for your sentence, so each step's target "
                       "is the model's own most likely tag.")

    def tag(self, text: str) -> list[tuple[str, float]]:
        """(token, P(class 1)) for every token of `text`; [] for a text without tokens."""
        toks = self.tokens(text)
        if not toks:
            return []
        p = self.trace(text)["y_hat"][1, 0, :]
        return [(t.text, float(pt)) for t, pt in zip(toks, p, strict=True)]


class Classifier(ModelInUse):
    """Many-to-one: ŷ<T_x> over the labels (a running ŷ<t> is computed at every step)."""

    kind = "classifier"

    def _default_output_labels(self) -> list[str]:
        labels = self.card.get("labels")
        if labels and len(labels) == self.model.config.n_y:
            return [str(s) for s in labels]
        return super()._default_output_labels()

    @property
    def labels(self) -> list[str]:
        return list(self.output_labels)

    def _targets(self, ids, trace):
        guess = int(np.argmax(trace["y_hat"][:, 0, -1]))
        targets = np.full(len(ids), -1, dtype=np.int64)
        targets[-1] = guess
        return targets, ("Target: there is no label for your sentence, so the loss uses the "
                         "model's own most likely class at T_x.")

    def predict(self, text: str, interventions=(), reference: str | None = None) -> np.ndarray:
        """(n_y,) probabilities over the labels after reading `text` (`interventions` as in
        `read`). For a text without tokens the head reads a<0> = 0: softmax(b_y), the prior."""
        if not self.tokens(text):
            if interventions:
                raise ValueError("the text has no tokens: type a sentence")
            return softmax(self.model.params["by"][:, 0].astype(np.float64), axis=0)
        trace = self.trace(text, interventions, reference)
        return np.asarray(trace["y_hat"][:, 0, -1], dtype=np.float64)


CLASSES = {"char_lm": LanguageModel, "tagger": Tagger, "classifier": Classifier}

__all__ = ["ModelInUse", "LanguageModel", "Tagger", "Classifier", "Steps", "Reading", "Backward",
           "freeze", "KINDS", "KIND_NAMES", "CLASSES", "START_LABEL"]
