"""The recipes of the shipped models: data, architecture, budget and evaluation (the Markdown
card is `rnnviz.training.cards`).

`run(name)` trains one model from scratch, deterministically from its seed, and writes
`<name>.npz/.json/.md`; `python -m rnnviz.train NAME` calls it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model, RNNConfig
from rnnviz.data.corpus import write_heldout
from rnnviz.lm import stream_log_probs
from rnnviz.models import PRETRAINED_DIR, from_checkpoint
from rnnviz.text import EOS_ID, SPECIALS, UNK_ID, Vocab
from rnnviz.training.batches import SequenceBatches, TextStreams, equal_length_groups, one_hot
from rnnviz.training.cards import char_lm_markdown, classifier_markdown, tagger_markdown
from rnnviz.training.checkpoint import environment, save_checkpoint, sha256_text
from rnnviz.training.loop import Progress, TrainConfig, train

LN2 = float(np.log(2))


@dataclass(frozen=True)
class Recipe:
    name: str
    kind: str                        # "char_lm" | "tagger" | "classifier"
    cell: str                        # "rnn" | "gru" | "lstm"
    n_a: int                         # hidden units (per direction, per layer)
    m: int                           # examples (parallel streams) per batch
    train: TrainConfig
    T: int = 0                       # truncated-BPTT chunk length (char LMs)
    bidirectional: bool = False
    layers: int = 1                  # stacked recurrent layers L
    seed: int = 0                    # initial weights and data order
    init: InitConfig = field(default_factory=InitConfig)
    unk_dropout: float = 0.0         # word dropout to <UNK> (sequence models)
    description: str = ""

    @property
    def command(self) -> str:
        return f"python -m rnnviz.train {self.name}"


# -- character language models ----------------------------------------------------------------

# The three char LMs share the hidden size and the training budget: batch, chunk length,
# steps, schedule shape, clipping and seed. Only the peak learning rate is chosen per cell,
# from 600-step trials at 2e-3, 5e-3, 1e-2 and 2e-2 (a GRU diverged at 2e-2; see LR_TRIALS).
CHAR_LM_BUDGET = dict(n_a=256, m=32, T=64)
CHAR_LM_TRAIN = TrainConfig(steps=5000, lr=2e-2, warmup=100, decay="cosine", final_lr_frac=0.02,
                            clip_norm=5.0)
CHAR_LM_LR = {"rnn": 5e-3, "gru": 5e-3, "lstm": 2e-2}
LR_TRIALS = ("training bits per character after 600 steps at a constant learning rate "
             "(batch 32 x 64): RNN 3.12 / 2.76 / 2.84 at 2e-3 / 5e-3 / 1e-2; GRU 2.21 / 2.14 "
             "at 5e-3 / 1e-2 (at 2e-2 a full run diverged after 2250 steps); LSTM 2.46 / 2.27 "
             "at 1e-2 / 2e-2")
VALID_PREFIX_CHARS = 5000            # the card's quick check: bpc on this prefix of "valid"
EVAL_EVERY = 500                     # held-out prefix bpc during training, for the card's curve
EVAL_CURVE_CHARS = 20000


def _char_lm(cell: str) -> Recipe:
    names = {"rnn": "a vanilla RNN (tanh)", "gru": "a GRU", "lstm": "an LSTM"}
    return Recipe(name=f"char-lm-{cell}", kind="char_lm", cell=cell, seed=0,
                  init=InitConfig(scheme="orthogonal"),
                  train=dataclasses.replace(CHAR_LM_TRAIN, lr=CHAR_LM_LR[cell]),
                  description=f"Character-level language model: {names[cell]} trained on the "
                              "docstrings of the Python standard library.",
                  **CHAR_LM_BUDGET)


# A stacked (deep) char LM, so that every page's layer picker has a shipped model: two GRU
# layers of 128 units, the GRU's learning rate, and a budget that trains in about 10 minutes
# on one core (the one-layer models' batch and chunk length, fewer steps).
DEEP_CHAR_LM = Recipe(
    name="char-lm-gru-2layer", kind="char_lm", cell="gru", layers=2, n_a=128, m=32, T=64,
    seed=0, init=InitConfig(scheme="orthogonal"),
    train=dataclasses.replace(CHAR_LM_TRAIN, lr=CHAR_LM_LR["gru"], steps=2000),
    description="Character-level language model: a 2-layer stacked GRU (layer 2 reads "
                "a^[1]) trained on the docstrings of the Python standard library.")


def char_vocab(train_text: str) -> Vocab:
    """`<UNK>`, `<EOS>`, then the corpus charset characters seen in training, most frequent
    first. Every other character is `<UNK>`: one learned class for all rare characters."""
    from rnnviz.data.corpus import REPLACEMENT, normalize
    built = Vocab.build(normalize(train_text), kind="char")
    return Vocab([t for t in built.itos if t != REPLACEMENT], kind="char")


def encode_chars(vocab: Vocab, text: str) -> np.ndarray:
    """Fast `vocab.encode` for a long text (same result)."""
    stoi = vocab.stoi
    return np.fromiter((stoi.get(ch, UNK_ID) for ch in text), dtype=np.int64, count=len(text))


def valid_bpc(model: Model, vocab: Vocab, text: str) -> float:
    lp = stream_log_probs(model, encode_chars(vocab, text), start_id=EOS_ID)
    return float(-lp.mean() / LN2)


def kn_baseline(train_text: str, valid_text: str, vocab: Vocab, order: int = 5) -> dict:
    """Interpolated Kneser-Ney n-gram on the same training text and the same alphabet."""
    from rnnviz.data.ngram import CharNGram
    chars = [t for t in vocab.itos if t not in SPECIALS]
    t0 = time.perf_counter()
    kn = CharNGram.fit(train_text, order=order, charset=chars)
    return {"model": f"interpolated modified Kneser-Ney {order}-gram (rnnviz.data.ngram)",
            "order": order, "valid_bpc": round(kn.bits_per_char(valid_text), 4),
            "valid_prefix_bpc": round(kn.bits_per_char(valid_text[:VALID_PREFIX_CHARS]), 4),
            "fit_time_s": round(time.perf_counter() - t0, 1)}


def train_char_lm(recipe: Recipe, progress: Callable[[Progress], None] | None = None,
                  quick: bool = False) -> tuple[Model, Vocab, dict]:
    """Train a char LM with truncated BPTT; evaluate it and the n-gram baseline on "valid"."""
    from rnnviz.data import corpus
    train_text = corpus.load_corpus("train")
    valid_text = corpus.load_corpus("valid")
    vocab = char_vocab(train_text)
    ids = encode_chars(vocab, train_text)
    docs = corpus.load_docstrings("train")
    sep = len(corpus.DOC_SEPARATOR)
    doc_starts = np.cumsum([0] + [len(d) + sep for d in docs[:-1]])
    rng = np.random.default_rng(recipe.seed)
    cfg = RNNConfig(cell=recipe.cell, n_x=len(vocab), n_a=recipe.n_a, n_y=len(vocab),
                    head="many_to_many", layers=recipe.layers, dtype="float32")
    model = Model.init(cfg, rng=rng, init=recipe.init)
    batches = TextStreams(ids, doc_starts, EOS_ID, len(vocab), recipe.m, recipe.T, rng)
    curve_text = valid_text[:EVAL_CURVE_CHARS]
    result = train(model, batches, recipe.train, callback=progress,
                   evaluate=lambda: {"valid_prefix_bpc": round(valid_bpc(model, vocab,
                                                                         curve_text), 4)},
                   eval_every=0 if quick else EVAL_EVERY)
    eval_text = valid_text[:VALID_PREFIX_CHARS] if quick else valid_text
    t0 = time.perf_counter()
    bpc = valid_bpc(model, vocab, eval_text)
    eval_time = time.perf_counter() - t0
    metrics = {
        "valid_bpc": round(bpc, 4),
        "valid_chars": len(eval_text),
        "valid_prefix_bpc": round(valid_bpc(model, vocab, valid_text[:VALID_PREFIX_CHARS]), 6),
        "valid_prefix_chars": VALID_PREFIX_CHARS,
        "valid_prefix_sha256": sha256_text(valid_text[:VALID_PREFIX_CHARS]),
        "train_final_bpc": round(result.loss_curve[-1][1] / LN2, 4),
        "eval_time_s": round(eval_time, 1),
    }
    baseline = kn_baseline(train_text, eval_text, vocab)
    data = {
        "corpus": "docstrings of the Python standard library (rnnviz.data.corpus)",
        "train_split": "train", "eval_split": "valid",
        "split_rule": f"valid if int(sha1(relpath).hexdigest(), 16) % {corpus.VALID_MODULUS} == 0",
        "train_chars": len(train_text), "valid_chars": len(valid_text),
        "train_sha256": sha256_text(train_text), "valid_sha256": sha256_text(valid_text),
        "python_version_of_corpus": environment()["python"],
        "documents_train": len(docs),
    }
    hyper = {"m": recipe.m, "T_x": recipe.T, "seed": recipe.seed, "init": asdict(recipe.init),
             **asdict(recipe.train), "chars_seen": result.tokens,
             "epochs": round(result.tokens / len(ids), 2), "lr_trials": LR_TRIALS,
             "batching": "truncated BPTT: m parallel streams of the training text, state "
                         "carried across consecutive chunks of T_x characters; each stream "
                         "starts at a docstring from a<0> = 0 reading <EOS>"}
    card = {"metrics": metrics, "baseline": baseline, "data": data, "hyperparameters": hyper,
            "loss_curve": [[s, round(v, 4)] for s, v in result.loss_curve],
            "loss_unit": "nats per character (training batches, smoothed)",
            "eval_curve": [[s, d] for s, d in result.eval_curve],
            "eval_curve_chars": EVAL_CURVE_CHARS,
            "training_time_s": round(result.time_s, 1), "steps_done": result.steps}
    return model, vocab, card


# -- the card ---------------------------------------------------------------------------------


def _base_card(recipe: Recipe, model: Model, vocab: Vocab) -> dict:
    c = model.config
    return {
        "name": recipe.name, "kind": recipe.kind, "description": recipe.description,
        "command": recipe.command,
        "sizes": {"cell": c.cell, "bidirectional": c.bidirectional, "layers": c.layers,
                  "n_x": c.n_x, "n_a": c.n_a,
                  "n_y": c.n_y, "n_params": model.n_params, "dtype": c.dtype},
        "vocab": vocab.to_dict(),
        "environment": environment(),
    }


def write(recipe: Recipe, model: Model, vocab: Vocab, card: dict, markdown: Callable,
          out_dir: Path) -> Path:
    full = {**_base_card(recipe, model, vocab), **card}
    path = save_checkpoint(out_dir, recipe.name, model, full, "")
    p = from_checkpoint(path)
    if recipe.kind == "char_lm":
        sample = p.sample("", length=400, temperature=0.7, rng=np.random.default_rng(0))
        full["sample"] = {"prefix": "", "temperature": 0.7, "seed": 0, "text": sample.text}
    save_checkpoint(out_dir, recipe.name, model, full, markdown(full))
    return path


# -- word-level taggers and classifiers ------------------------------------------------------


def _tagger(bidirectional: bool) -> Recipe:
    what = "bidirectional LSTM" if bidirectional else "unidirectional (left-to-right) LSTM"
    return Recipe(name="ner-bilstm" if bidirectional else "ner-lstm", kind="tagger",
                  cell="lstm", n_a=32, m=32, bidirectional=bidirectional, seed=0,
                  unk_dropout=0.05,
                  train=TrainConfig(steps=3000, lr=5e-3, warmup=50, decay="cosine",
                                    final_lr_frac=0.02, clip_norm=5.0),
                  description=f"Word-level person-name tagger, a {what}: P(name) for every "
                              "word (many-to-many, n_y = 2), trained on generated sentences "
                              "with ambiguous words such as Teddy, Jordan and April.")


SENTIMENT = Recipe(name="sentiment-lstm", kind="classifier", cell="lstm", n_a=64, m=32, seed=0,
                   unk_dropout=0.02,
                   train=TrainConfig(steps=4000, lr=5e-3, warmup=50, decay="cosine",
                                     final_lr_frac=0.02, clip_norm=5.0, loss_at="last"),
                   description="Many-to-one LSTM that rates a generated movie review from 1 to "
                               "5 stars: softmax over the five ratings after the last word.")
STAR_LABELS = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]


def predict_sequences(model: Model, sequences: list[np.ndarray], m: int = 256) -> list:
    """ŷ of many sequences, batched by equal length: (T_x, n_y) per sequence."""
    out: list = [None] * len(sequences)
    for idx in equal_length_groups([len(s) for s in sequences], m):
        x = one_hot(np.stack([sequences[i] for i in idx]), model.config.n_x, model.config.dtype)
        y_hat = model.forward(x).rows["y_hat"]                  # (T_x, m, n_y)
        for j, i in enumerate(idx):
            out[i] = y_hat[:, j, :]
    return out


def tagger_metrics(model: Model, vocab: Vocab, examples: list) -> dict:
    from rnnviz.data import ner
    seqs = [vocab.encode_tokens(e.tokens) for e in examples]
    pred = [y.argmax(axis=1) for y in predict_sequences(model, seqs)]
    amb = [e for e in examples if e.ambiguous_positions]
    pred_amb = [p for p, e in zip(pred, examples, strict=True) if e.ambiguous_positions]
    # at the ambiguous words, per gold reading: accuracy for names and for non-names
    gold_amb = np.array([e.labels[i] for e in amb for i in e.ambiguous_positions])
    hit_amb = np.array([p[i] == e.labels[i] for p, e in zip(pred_amb, amb, strict=True)
                        for i in e.ambiguous_positions])
    words = sum(len(e.labels) for e in examples)
    return {
        "sentences": len(examples), "words": words,
        "accuracy": round(ner.accuracy(pred, [e.labels for e in examples]), 6),
        "ambiguous_words": int(len(gold_amb)),
        "ambiguous_accuracy": round(ner.ambiguous_accuracy(pred_amb, amb), 6),
        "ambiguous_accuracy_when_name": round(float(hit_amb[gold_amb == 1].mean()), 4),
        "ambiguous_accuracy_when_not_name": round(float(hit_amb[gold_amb == 0].mean()), 4),
        "ambiguous_name_fraction": round(float(gold_amb.mean()), 4),
        "accuracy_elsewhere": round(ner.accuracy(
            pred, [e.labels for e in examples],
            [[i for i in range(len(e.labels)) if i not in e.ambiguous_positions]
             for e in examples]), 6),
    }


def classifier_metrics(model: Model, vocab: Vocab, reviews: list) -> dict:
    from rnnviz.data import sentiment
    seqs = [vocab.encode_tokens(r.tokens) for r in reviews]
    pred = np.array([y[-1].argmax() for y in predict_sequences(model, seqs)])
    gold = np.array([r.label for r in reviews])
    confusion = np.zeros((5, 5), dtype=int)
    np.add.at(confusion, (gold, pred), 1)
    return {"reviews": len(reviews), "accuracy": round(sentiment.accuracy(pred, gold), 6),
            "within_one_star": round(float(np.mean(np.abs(pred - gold) <= 1)), 6),
            "confusion_gold_by_predicted": confusion.tolist()}


def _train_sequences(recipe: Recipe, vocab: Vocab, train_set: list, labels: list, n_y: int,
                     head: str, progress) -> tuple[Model, object, list]:
    rng = np.random.default_rng(recipe.seed)
    cfg = RNNConfig(cell=recipe.cell, n_x=len(vocab), n_a=recipe.n_a, n_y=n_y, head=head,
                    bidirectional=recipe.bidirectional, dtype="float32")
    model = Model.init(cfg, rng=rng, init=recipe.init)
    seqs = [vocab.encode_tokens(e.tokens) for e in train_set]
    batches = SequenceBatches(seqs, labels, len(vocab), recipe.m, rng,
                              unk_dropout=recipe.unk_dropout, unk_id=UNK_ID)
    result = train(model, batches, recipe.train, callback=progress)
    return model, result, seqs


def _sequence_card(recipe: Recipe, result, seqs: list, data: dict, metrics: dict) -> dict:
    hyper = {"m": recipe.m, "seed": recipe.seed, "init": asdict(recipe.init),
             "unk_dropout": recipe.unk_dropout, **asdict(recipe.train),
             "tokens_seen": result.tokens,
             "epochs": round(result.steps * recipe.m / len(seqs), 2),
             "batching": "shuffled minibatches of sentences of equal length (no padding)"}
    return {"metrics": metrics, "data": data, "hyperparameters": hyper,
            "loss_curve": [[s, round(v, 5)] for s, v in result.loss_curve],
            "loss_unit": "nats per target (training batches, smoothed)",
            "training_time_s": round(result.time_s, 1), "steps_done": result.steps}


NER_SEED = 0
SENTIMENT_SEED = 0


def train_tagger(recipe: Recipe, progress=None, quick: bool = False):
    from rnnviz.data import ner
    splits = ner.split(seed=NER_SEED)
    # Case is kept: names and the ambiguous words are capitalized in both readings, and
    # the capital letter of an unseen name still tells little apart from <UNK>.
    vocab = Vocab.build([e.text for e in splits.train], kind="word", min_count=2)
    model, result, seqs = _train_sequences(
        recipe, vocab, splits.train, [np.array(e.labels) for e in splits.train], 2,
        "many_to_many", progress)
    test = splits.test[:200] if quick else splits.test
    metrics = {"test": tagger_metrics(model, vocab, test),
               "valid": tagger_metrics(model, vocab, splits.valid[:200] if quick
                                       else splits.valid),
               "train_final_loss": round(result.loss_curve[-1][1], 5)}
    data = {"dataset": "generated person-name tagging sentences (rnnviz.data.ner)",
            "generator": f"rnnviz.data.ner.split(seed={NER_SEED})", "seed": NER_SEED,
            "sizes": {k: len(v) for k, v in splits._asdict().items()},
            "ambiguous_words": list(ner.AMBIGUOUS_WORDS),
            "vocab": "words of the train split seen at least twice, case kept; others <UNK>",
            "test_sha256": sha256_text("\n".join(e.text for e in splits.test))}
    return model, vocab, _sequence_card(recipe, result, seqs, data, metrics)


def train_classifier(recipe: Recipe, progress=None, quick: bool = False):
    from rnnviz.data import sentiment
    splits = sentiment.split(seed=SENTIMENT_SEED)
    # The rating rule reads lowercased words, so the vocabulary folds case.
    vocab = Vocab.build([r.text for r in splits.train], kind="word", min_count=2,
                        lowercase=True)
    model, result, seqs = _train_sequences(
        recipe, vocab, splits.train, [r.label for r in splits.train], 5, "many_to_one",
        progress)
    test = splits.test[:200] if quick else splits.test
    metrics = {"test": classifier_metrics(model, vocab, test),
               "valid": classifier_metrics(model, vocab, splits.valid[:200] if quick
                                           else splits.valid),
               "train_final_loss": round(result.loss_curve[-1][1], 5)}
    data = {"dataset": "generated 1-5 star movie reviews (rnnviz.data.sentiment)",
            "generator": f"rnnviz.data.sentiment.split(seed={SENTIMENT_SEED})",
            "seed": SENTIMENT_SEED,
            "sizes": {k: len(v) for k, v in splits._asdict().items()},
            "vocab": "lowercased words of the train split seen at least twice; others <UNK>",
            "test_sha256": sha256_text("\n".join(r.text for r in splits.test))}
    card = _sequence_card(recipe, result, seqs, data, metrics)
    card["labels"] = STAR_LABELS
    return model, vocab, card


RECIPES: dict[str, Recipe] = {r.name: r for r in [
    _char_lm("rnn"), _char_lm("gru"), _char_lm("lstm"), _tagger(False), _tagger(True),
    SENTIMENT, DEEP_CHAR_LM]}
TRAINERS = {"char_lm": (train_char_lm, char_lm_markdown),
            "tagger": (train_tagger, tagger_markdown),
            "classifier": (train_classifier, classifier_markdown)}


def quick_recipe(recipe: Recipe) -> Recipe:
    """A tiny version of `recipe` for a smoke run (same code path, a few steps)."""
    t = dataclasses.replace(recipe.train, steps=20, warmup=2)
    return dataclasses.replace(recipe, n_a=min(recipe.n_a, 32), m=min(recipe.m, 8),
                               T=min(recipe.T, 32) if recipe.T else 0, train=t)


def run(name: str, out_dir: str | Path | None = None, quick: bool = False,
        progress: Callable[[Progress], None] | None = None) -> Path:
    """Train the shipped model `name` from scratch and write its checkpoint and cards."""
    recipe = RECIPES[name]
    if quick:
        recipe = quick_recipe(recipe)
    trainer, markdown = TRAINERS[recipe.kind]
    model, vocab, card = trainer(recipe, progress=progress, quick=quick)
    if quick:
        card["quick"] = True
    out = Path(out_dir) if out_dir is not None else PRETRAINED_DIR
    if recipe.kind == "char_lm":
        write_heldout(out)          # the text the card's valid_sha256 names, for the app
    return write(recipe, model, vocab, card, markdown, out)
