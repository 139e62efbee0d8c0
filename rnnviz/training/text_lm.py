"""Task B of the Training page: a character language model on a text of the learner's.

The text is split into a training part (the first 90%) and a held-out part (the last 10%).
Each cell reads the training part in truncated-BPTT chunks (`TextStreams`, the shipped char
LMs' recipe: every stream starts with `<EOS>`, the state is carried across chunks) and is
scored on the held-out part in bits per character,

    bpc = -(1/N) Σ_t log2 ŷ<t-1>[x<t>],

beside an interpolated Kneser-Ney 5-gram (`rnnviz.data.ngram`) fitted on the same training
part: a network that does not beat it has not learned more than local spelling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model, RNNConfig
from rnnviz.lm import stream_log_probs
from rnnviz.text import EOS_ID, SPECIALS, UNK_ID, Vocab
from rnnviz.training.batches import Batch, TextStreams
from rnnviz.training.loop import TrainConfig

MIN_CHARS = 200                      # shorter texts give too few batches to learn anything
EVAL_CHARS = 2000                    # held-out characters scored at every evaluation
LN2 = float(np.log(2))


@dataclass(frozen=True)
class TextLMConfig:
    """Task B's settings; the defaults are the Training page's."""

    n_a: int = 64                    # hidden units (every cell)
    m: int = 16                      # parallel streams per batch (fewer for a short text)
    T: int = 32                      # characters per truncated-BPTT chunk
    steps: int = 200
    lr: float = 1e-2
    clip_norm: float = 5.0
    init: InitConfig = field(default_factory=InitConfig)
    seed: int = 0
    order: int = 5                   # the n-gram baseline's order
    max_vocab: int = 96              # the most frequent characters; the rest are <UNK>

    @property
    def seq_len(self) -> int:
        """T_x of a training sequence: one truncated-BPTT chunk (at most; a short text cuts it)."""
        return self.T

    def train_config(self) -> TrainConfig:
        return TrainConfig(steps=self.steps, optimizer="adam", lr=self.lr, decay="constant",
                           clip_norm=self.clip_norm, loss_at="all")


class TextLMTask:
    """The char-LM experiment as a task for `rnnviz.training.race.Race`."""

    kind = "text_lm"

    def __init__(self, text: str, config: TextLMConfig):
        if len(text) < MIN_CHARS:
            raise ValueError(f"the text has {len(text)} characters; a language model needs at "
                             f"least {MIN_CHARS} to train on")
        self.config = config
        cut = int(len(text) * 0.9)
        self.train_text, self.valid_text = text[:cut], text[cut:]
        self.vocab = Vocab.build(self.train_text, kind="char", max_size=config.max_vocab)
        stoi = self.vocab.stoi
        self.ids = np.fromiter((stoi.get(ch, UNK_ID) for ch in self.train_text), np.int64)
        self.valid_ids = np.fromiter((stoi.get(ch, UNK_ID) for ch in
                                      self.valid_text[:EVAL_CHARS]), np.int64)
        # a short text: fewer parallel streams, so every stream still has whole chunks
        self.m = int(max(1, min(config.m, len(self.ids) // (config.T + 1) // 2)))
        self.T = int(min(config.T, len(self.ids) // (2 * self.m) - 1))
        rng = np.random.default_rng([config.seed, 2])
        self.probe = next(iter(TextStreams(self.ids, [0], EOS_ID, self.n_x, self.m, self.T,
                                           rng)))
        self._baseline: float | None = None

    @property
    def n_x(self) -> int:
        return len(self.vocab)

    def model(self, cell: str) -> Model:
        cfg = self.config
        rc = RNNConfig(cell=cell, n_x=self.n_x, n_a=cfg.n_a, n_y=self.n_x,
                       head="many_to_many", dtype="float32")
        return Model.init(rc, rng=np.random.default_rng(cfg.seed), init=cfg.init)

    def batches(self):
        rng = np.random.default_rng([self.config.seed, 0])
        return TextStreams(self.ids, [0], EOS_ID, self.n_x, self.m, self.T, rng)

    def probe_batch(self) -> Batch:
        return self.probe

    def evaluate(self, model: Model) -> dict:
        lp = stream_log_probs(model, self.valid_ids, start_id=EOS_ID)
        return {"bpc": float(-lp.mean() / LN2)}

    def baseline_bpc(self) -> float:
        """The Kneser-Ney n-gram's bits per character on the same held-out characters."""
        if self._baseline is None:
            from rnnviz.data.ngram import CharNGram

            chars = [t for t in self.vocab.itos if t not in SPECIALS]
            kn = CharNGram.fit(self.train_text, order=self.config.order, charset=chars)
            self._baseline = float(kn.bits_per_char(self.valid_text[:EVAL_CHARS]))
        return self._baseline

    def in_use(self, model: Model, name: str):
        from rnnviz.models import LanguageModel

        card = {"task": "text_lm", "title": f"{name} (trained here)", "steps": self.config.steps}
        return LanguageModel(name, model, self.vocab, card, start_id=EOS_ID, source="trained")

    def sample(self, model: Model, rng: np.random.Generator, length: int = 120,
               temperature: float = 0.7) -> str:
        return self.in_use(model, "sample").sample("", length=length, temperature=temperature,
                                                   rng=rng).text
