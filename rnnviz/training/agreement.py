"""Long-range agreement, the course's motivation for GRUs and LSTMs, as a task to train on.

    the cat  w<1> … w<L>  → was          the cats  w<1> … w<L>  → were

A sentence is a subject ("the" + a noun, singular or plural), then a clause of exactly L
words (the distance), then the verb, whose number must agree with the subject. The clause
words are drawn uniformly from number-neutral filler words; with `attractors = k`, k of
them are nouns of the *other* number (Linzen, Dupoux & Goldberg 2016: "the key to the
cabinets … is"), so the network must remember the subject's number, not the last noun's.
In training the k nouns take a random number each (as nouns do in text): were they always
of the other number, "the verb disagrees with the nearest noun" would be a shortcut. The
held-out sentences have true attractors, all of the other number.

Two objectives, the same sentences:

* "direct": many-to-one, ŷ<T_x> = P(was | sentence), P(were | sentence); the loss is L<T_x>.
* "lm": a word-level language model, ŷ<t> = P(word t+1 | words 1..t), the loss summed over
  every step (the seed's L = Σ_t L<t>). It is scored at the verb: correct when
  ŷ<T_x>[was] > ŷ<T_x>[were] for a singular subject (and the reverse for a plural one).
  Nothing tells it the verb is what matters: the fillers are unpredictable, so most of its
  loss is noise it cannot reduce.

`train_agreement` trains one cell; `AgreementTask` is the same experiment as a task for
`rnnviz.training.race.Race`, which trains several cells side by side on the same data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from rnnviz.core.init import InitConfig
from rnnviz.core.model import Model, RNNConfig
from rnnviz.text import SPECIALS, Vocab
from rnnviz.training.batches import Batch, equal_length_groups, one_hot
from rnnviz.training.loop import TrainConfig

# Nouns as (singular, plural). The subject and the attractors are drawn from these.
NOUNS = (("cat", "cats"), ("dog", "dogs"), ("key", "keys"), ("author", "authors"),
         ("student", "students"), ("bird", "birds"), ("box", "boxes"), ("child", "children"))
# Clause words that carry no number (no nouns, no verbs that agree, no "a"/"these").
FILLERS = ("which", "that", "already", "ate", "near", "behind", "old", "big", "small", "and",
           "very", "quietly", "often", "saw", "with", "from", "under", "red", "happy", "then",
           "the", "yesterday", "never", "liked", "over", "green")
VERBS = ("was", "were")              # label 0 = singular subject, 1 = plural subject
DISTANCE_RANGE = (1, 100)            # the page's and the package's limits on L
MAX_ATTRACTORS = 3
OBJECTIVES = ("direct", "lm")
DISTANCES = (5, 10, 20, 40, 80)      # the "accuracy vs distance" sweep


def fit_attractors(attractors: int, distance) -> int:
    """The attractors that fit a clause of the shortest distance's words: min(attractors, L)."""
    return min(int(attractors), _check_distance(distance)[0])


def lm_loss_floor() -> float:
    """ln |fillers|: the language model's mean loss per word cannot go much below it, since
    most words are fillers drawn uniformly and nothing predicts them."""
    return float(np.log(len(FILLERS)))


def vocab() -> Vocab:
    """The task's word vocabulary: `<UNK>`, `<EOS>`, the nouns, the fillers, the verbs."""
    words = [w for pair in NOUNS for w in pair]
    words += [w for w in FILLERS if w not in words] + list(VERBS)
    return Vocab([*SPECIALS, *words], kind="word")


def _check_distance(distance) -> tuple[int, int]:
    lo, hi = (distance, distance) if np.ndim(distance) == 0 else tuple(distance)
    lo, hi = int(lo), int(hi)
    if not DISTANCE_RANGE[0] <= lo <= hi <= DISTANCE_RANGE[1]:
        raise ValueError(f"distance must be in {list(DISTANCE_RANGE)} (a number or a range "
                         f"lo <= hi), got {distance!r}")
    return lo, hi


def agreement_task(distance, n: int, rng: np.random.Generator, attractors: int = 0,
                   mixed: bool = False) -> list[tuple[str, str]]:
    """n (sentence up to the verb, "was" | "were") pairs.

    distance: L, the number of words between the subject's noun and the verb; an int, or
        (lo, hi) to draw L uniformly per sentence. attractors: how many of the L clause words
        are nouns of the other number (0 .. min(3, L)), at random positions.
    mixed: those nouns take a random number each instead (training data: if every
        intervening noun had the other number, its number alone would give the answer).
    """
    lo, hi = _check_distance(distance)
    if not isinstance(rng, np.random.Generator):
        raise TypeError("pass an np.random.Generator (no global RNG)")
    if not 0 <= int(attractors) <= MAX_ATTRACTORS or int(attractors) > lo:
        raise ValueError(f"attractors must be in [0, {MAX_ATTRACTORS}] and at most the "
                         f"distance ({lo}), got {attractors}")
    out = []
    for _ in range(int(n)):
        L = int(rng.integers(lo, hi + 1))
        plural = int(rng.integers(2))
        subject = NOUNS[rng.integers(len(NOUNS))][plural]
        clause = [FILLERS[i] for i in rng.integers(len(FILLERS), size=L)]
        for pos in rng.choice(L, size=int(attractors), replace=False):
            number = int(rng.integers(2)) if mixed else 1 - plural
            clause[pos] = NOUNS[rng.integers(len(NOUNS))][number]
        out.append((" ".join(["the", subject, *clause]), VERBS[plural]))
    return out


@dataclass(frozen=True)
class AgreementConfig:
    """The experiment's settings; the defaults are the Training page's defaults."""

    distance: int | tuple[int, int] = 20     # L, or (lo, hi) drawn per batch
    attractors: int = 0                      # nouns of the other number in the clause
    objective: str = "direct"                # "direct" | "lm"
    n_a: int = 32                            # hidden units (every cell)
    m: int = 32                              # sentences per batch
    steps: int = 400                         # optimizer steps (every cell)
    lr: float = 1e-2                         # Adam, constant learning rate
    clip_norm: float = 5.0                   # global-norm clipping
    init: InitConfig = field(default_factory=InitConfig)   # the same family for every cell
    seed: int = 0                            # initial weights and data order
    n_eval: int = 256                        # held-out sentences for the accuracy

    def __post_init__(self):
        _check_distance(self.distance)
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        if not 0 <= self.attractors <= min(MAX_ATTRACTORS, _check_distance(self.distance)[0]):
            raise ValueError("attractors must be in [0, 3] and at most the distance")
        if self.n_a < 1 or self.m < 1 or self.steps < 1:
            raise ValueError("n_a, m and steps must be >= 1")

    @property
    def shortest(self) -> int:
        """The smallest L of the run (the distance itself when it is fixed)."""
        return _check_distance(self.distance)[0]

    @property
    def seq_len(self) -> int:
        """T_x of the longest sentence: "the", the subject, L words (the verb is the target)."""
        return _check_distance(self.distance)[1] + 2

    def example(self) -> tuple[str, str]:
        """One held-out-style sentence at the shortest distance and its verb (a fixed stream,
        so the example changes only with the settings)."""
        return agreement_task(self.shortest, 1, np.random.default_rng(1), self.attractors)[0]

    def sweep_settings(self) -> dict:
        """`accuracy_vs_distance` keywords that repeat this run at every L of DISTANCES
        (attractors cut to the shortest of them: a clause of L words holds at most L)."""
        return dict(attractors=min(self.attractors, min(DISTANCES)), objective=self.objective,
                    n_a=self.n_a, steps=self.steps, seed=self.seed, lr=self.lr,
                    clip_norm=self.clip_norm, init=self.init)

    def train_config(self) -> TrainConfig:
        # a per-token mean for the LM (its loss is at every step), L<T_x> for the direct one
        return TrainConfig(steps=self.steps, optimizer="adam", lr=self.lr, decay="constant",
                           clip_norm=self.clip_norm,
                           loss_at="all" if self.objective == "lm" else "last")


def _encode(v: Vocab, pairs: Sequence[tuple[str, str]]) -> tuple[list[np.ndarray], np.ndarray]:
    ids = [v.encode(s) for s, _ in pairs]
    labels = np.array([VERBS.index(verb) for _, verb in pairs], dtype=np.int64)
    return ids, labels


def reference_text(card: dict, n: int = 200) -> str:
    """Held-out agreement sentences for a model trained on the task (its `card`: distance,
    attractors, seed), one text: the reference of a mean ablation ("mean" = the unit's mean
    over sentences of the task it was trained on). Drawn from their own stream (seed, 3),
    never the training or the evaluation sentences."""
    rng = np.random.default_rng([int(card.get("seed", 0)), 3])
    distance = card.get("distance", (1, 10))
    pairs = agreement_task(distance, n, rng,
                           fit_attractors(int(card.get("attractors", 0)), distance))
    return " ".join(f"{sentence} {verb}" for sentence, verb in pairs)


class AgreementTask:
    """The agreement experiment as a task for `Race`: models, batches, held-out accuracy.

    Every cell gets `batches()` from the same seed, hence the same sentences in the same
    order, and `model(cell)` from the same seed and init family.
    """

    kind = "agreement"

    def __init__(self, config: AgreementConfig):
        self.config = config
        self.vocab = vocab()
        self.verb_ids = np.array([self.vocab.stoi[w] for w in VERBS])
        # held-out sentences from their own stream, never seen in training
        rng = np.random.default_rng([config.seed, 1])
        self.eval_ids, self.eval_labels = _encode(
            self.vocab, agreement_task(config.distance, config.n_eval, rng, config.attractors))
        # a fixed probe batch for ‖∂L<T_x>/∂a<t>‖ over training (longest distance)
        hi = _check_distance(config.distance)[1]
        pairs = agreement_task(hi, config.m, np.random.default_rng([config.seed, 2]),
                               config.attractors)
        ids, labels = _encode(self.vocab, pairs)
        self.probe = self._batch(np.stack(ids), labels)

    @property
    def n_x(self) -> int:
        return len(self.vocab)

    def model(self, cell: str) -> Model:
        cfg = self.config
        head, n_y = ("many_to_many", self.n_x) if cfg.objective == "lm" else ("many_to_one", 2)
        rc = RNNConfig(cell=cell, n_x=self.n_x, n_a=cfg.n_a, n_y=n_y, head=head,
                       dtype="float32")
        return Model.init(rc, rng=np.random.default_rng(cfg.seed), init=cfg.init)

    def _batch(self, ids: np.ndarray, labels: np.ndarray) -> Batch:
        x = one_hot(ids, self.n_x)
        if self.config.objective == "direct":
            return Batch(x=x, y=labels)
        # y<t> = word t+1; the word after the last one is the verb
        y = np.concatenate([ids[:, 1:], self.verb_ids[labels][:, None]], axis=1)
        return Batch(x=x, y=y)

    def batches(self) -> Iterator[Batch]:
        cfg = self.config
        rng = np.random.default_rng([cfg.seed, 0])
        lo, hi = _check_distance(cfg.distance)
        while True:
            # one L per batch, so every sentence in it ends at T_x (no padding)
            L = int(rng.integers(lo, hi + 1))
            pairs = agreement_task(L, cfg.m, rng, cfg.attractors, mixed=True)
            ids, labels = _encode(self.vocab, pairs)
            yield self._batch(np.stack(ids), labels)

    def verb_logits(self, model: Model, ids: np.ndarray) -> np.ndarray:
        """(m, 2) scores of was / were at the verb (logits of ŷ<T_x>)."""
        z = model.forward(one_hot(ids, self.n_x)).rows["z_y"][-1]
        return z if self.config.objective == "direct" else z[:, self.verb_ids]

    def evaluate(self, model: Model) -> dict:
        """Held-out accuracy at the verb (and its count)."""
        correct = 0
        for idx in equal_length_groups([len(s) for s in self.eval_ids], 256):
            ids = np.stack([self.eval_ids[i] for i in idx])
            guess = np.argmax(self.verb_logits(model, ids), axis=1)
            correct += int(np.sum(guess == self.eval_labels[idx]))
        return {"accuracy": correct / len(self.eval_ids)}

    def probe_batch(self) -> Batch:
        return self.probe

    def in_use(self, model: Model, name: str):
        """The trained network as a model-in-use: `.predict(sentence)` -> [P(was), P(were)].

        For the LM objective the head is cut to the two verbs' rows of W_y, b_y, so P is
        renormalised over {was, were}: exactly the comparison the accuracy scores.
        """
        from rnnviz.models import Classifier

        cfg = self.config
        if cfg.objective == "lm":
            rc = replace(model.config, n_y=2, head="many_to_one")
            params = dict(model.params)
            params["Wy"], params["by"] = model.params["Wy"][self.verb_ids], \
                model.params["by"][self.verb_ids]
            model = Model(rc, params)
        card = {"labels": list(VERBS), "task": "agreement", "objective": cfg.objective,
                "distance": cfg.distance, "attractors": cfg.attractors, "seed": cfg.seed,
                "steps": cfg.steps, "lr": cfg.lr, "n_a": cfg.n_a,
                "title": f"{name} (trained here)"}
        return Classifier(name, model, self.vocab, card, source="trained")


@dataclass
class AgreementResult:
    cell: str
    accuracy: float                  # held-out accuracy at the verb, after training
    losses: np.ndarray               # per step
    eval_curve: list[tuple[int, float]]   # (step, held-out accuracy)
    model: object                    # model-in-use: .predict(sentence) -> [P(was), P(were)]
    network: Model                   # the trained network itself (LM head kept for "lm")
    time_s: float
    config: AgreementConfig


def train_agreement(cell: str, distance=None, *, attractors: int = 0,
                    objective: str = "direct", n_a: int | None = None,
                    steps: int | None = None, seed: int = 0,
                    callback: Callable | None = None, **settings) -> AgreementResult:
    """Train one cell on the agreement task with the Training page's defaults.

    distance: L (default 20) or (lo, hi); other `AgreementConfig` fields (lr, m, clip_norm,
    init, n_eval) can be passed as keywords. callback(progress) runs after every step
    (`rnnviz.training.race.RaceProgress`); returning False stops the run.
    """
    from rnnviz.training.race import Race

    base = AgreementConfig()
    cfg = AgreementConfig(
        distance=base.distance if distance is None else distance, attractors=attractors,
        objective=objective, n_a=base.n_a if n_a is None else n_a,
        steps=base.steps if steps is None else steps, seed=seed, **settings)
    task = AgreementTask(cfg)
    race = Race(task, [cell], steps=cfg.steps, train=cfg.train_config())
    race.run(callback=callback)
    run = race.runs[cell]
    final = task.evaluate(run.model)["accuracy"]
    return AgreementResult(cell=cell, accuracy=final, losses=run.loss_array(),
                           eval_curve=[(s, e["accuracy"]) for s, e in run.evals],
                           model=task.in_use(run.model, f"agreement-{cell}"),
                           network=run.model, time_s=run.train_time, config=cfg)


def accuracy_vs_distance(cells: Sequence[str], distances: Sequence[int] = DISTANCES,
                         should_stop: Callable[[], bool] | None = None,
                         on_point: Callable[[str, int, float], None] | None = None,
                         **settings) -> dict[str, dict[int, float]]:
    """{cell: {L: held-out accuracy}}: one training run per (cell, L), same settings.
    should_stop() is asked between steps; a point whose training it cut short is left out."""
    out: dict[str, dict[int, float]] = {c: {} for c in cells}
    for L in distances:
        for cell in cells:
            if should_stop is not None and should_stop():
                return out
            stop = None if should_stop is None else (lambda p: not should_stop())
            res = train_agreement(cell, int(L), callback=stop, **settings)
            if len(res.losses) < res.config.steps:      # stopped part-way: not a point
                return out
            out[cell][int(L)] = res.accuracy
            if on_point is not None:
                on_point(cell, int(L), res.accuracy)
    return out


# -- number units: which units carry the subject's number, and what ablating them does -------

def _held_out(config: AgreementConfig, distance: int, n: int, attractors: int, stream: int):
    """n held-out sentences at one L (their own stream, never the training one) as one batch:
    ids (m, T_x) and labels (m,) (0 = singular subject)."""
    rng = np.random.default_rng([config.seed, 3, stream, int(distance), int(attractors)])
    ids, labels = _encode(vocab(), agreement_task(int(distance), int(n), rng, int(attractors)))
    return np.stack(ids), labels


def _verb_states(network: Model, ids: np.ndarray, units=(), means=None,
                 with_c: bool = False):
    """a<t> of the top layer at every step, (T_x, m, n_a) (and c<t> of an LSTM with
    `with_c`), with `units` of a<t> (and of c<t>: an LSTM's unit is both) set to their
    `means` {"a": (n_a,), "c": (n_a,) | None} after every step and carried forward (mean
    ablation): a step loop of `Model.step`, batched over the sentences."""
    x = one_hot(ids, network.config.n_x, dtype=network.config.dtype)
    state, A, C = None, [], []
    units = np.asarray(units, dtype=np.int64)
    one = network.config.layers == 1
    for t in range(x.shape[2]):
        _, state = network.step(x[:, :, t], state)
        if units.size:
            new = {}
            for name in ("a", "c"):
                v = getattr(state, name)
                if v is None:
                    continue
                v = v.copy()
                (v if one else v[-1])[units, :] = means[name][units, None]
                new[name] = v
            state = state._replace(**new)
        A.append((state.a if one else state.a[-1]).T)
        if with_c and state.c is not None:
            C.append((state.c if one else state.c[-1]).T)
    return (np.stack(A), np.stack(C) if C else None) if with_c else np.stack(A)


def _verb_guess(result, a_last: np.ndarray) -> np.ndarray:
    """was (0) or were (1) from the top layer's a<T_x> (m, n_a): the larger logit."""
    net, cfg = result.network, result.config
    z = a_last @ net.params["Wy"].T + net.params["by"][:, 0]
    if cfg.objective == "lm":
        v = vocab()
        z = z[:, [v.stoi[w] for w in VERBS]]
    return np.argmax(z, axis=1)


def number_units(result: AgreementResult, k: int = 5, n: int = 256) -> list[dict]:
    """The k units whose a<T_x> (the state that predicts the verb) best separates singular
    from plural subjects on n held-out sentences at the run's shortest distance.

    Score: |d'| = |μ_sing − μ_plur| / sqrt((σ²_sing + σ²_plur) / 2) of each unit; rows
    {unit, d_prime, mean_singular, mean_plural}, best first.
    """
    cfg = result.config
    ids, labels = _held_out(cfg, cfg.shortest, n, cfg.attractors, stream=0)
    a = _verb_states(result.network, ids)[-1]                    # (m, n_a) at T_x
    s, p = a[labels == 0], a[labels == 1]
    spread = np.sqrt((s.var(axis=0) + p.var(axis=0)) / 2)
    d = (s.mean(axis=0) - p.mean(axis=0)) / np.maximum(spread, 1e-3)   # saturated units
    order = np.argsort(-np.abs(d))[:int(k)]
    return [{"unit": int(u), "d_prime": float(d[u]), "mean_singular": float(s[:, u].mean()),
             "mean_plural": float(p[:, u].mean())} for u in order]


def unit_means(result: AgreementResult, n: int = 256) -> dict:
    """{"a": (n_a,), "c": (n_a,) or None}: each unit's mean a<t> (and c<t>) over every step
    of n held-out sentences (the reference for mean ablation)."""
    cfg = result.config
    ids, _ = _held_out(cfg, cfg.shortest, n, cfg.attractors, stream=1)
    A, C = _verb_states(result.network, ids, with_c=True)
    return {"a": A.mean(axis=(0, 1)), "c": None if C is None else C.mean(axis=(0, 1))}


def ablation_effect(result: AgreementResult, units, distances=(5, 20, 40), attractors=(0,),
                    n: int = 256, draws: int = 20, seed: int = 0) -> list[dict]:
    """Held-out accuracy with `units` mean-ablated (a<t>, and c<t> of an LSTM, set to their
    means after every step) vs the same number of random other units, over `draws` random
    draws, per (L, attractors).

    Rows: {distance, attractors, intact, ablated, random_mean, random_std, random_min,
    random_max}; a (distance, attractors) pair with attractors > L is left out.
    """
    units = sorted({int(u) for u in units})
    n_a = result.network.config.n_a
    if not units or units[0] < 0 or units[-1] >= n_a:
        raise ValueError(f"units must be a non-empty list in 0..{n_a - 1}, got {units}")
    others = np.setdiff1d(np.arange(n_a), units)
    if others.size < len(units):
        raise ValueError("not enough other units for a random control of the same size")
    mean = unit_means(result)
    rng = np.random.default_rng(seed)
    rows = []
    for L in distances:
        for k in attractors:
            if k > L:
                continue
            ids, labels = _held_out(result.config, L, n, k, stream=2)

            def accuracy(ablate, ids=ids, labels=labels):
                a = _verb_states(result.network, ids, ablate, mean)[-1]
                return float(np.mean(_verb_guess(result, a) == labels))

            control = [accuracy(rng.choice(others, size=len(units), replace=False))
                       for _ in range(int(draws))]
            rows.append({"distance": int(L), "attractors": int(k), "intact": accuracy([]),
                         "ablated": accuracy(units), "random_mean": float(np.mean(control)),
                         "random_std": float(np.std(control, ddof=1)),
                         "random_min": float(np.min(control)),
                         "random_max": float(np.max(control))})
    return rows
