"""Generated 1-5 star movie reviews (the course's many-to-one example).

    "There is nothing to like in this movie."  -> 1 star (label 0)

The star rating is a fixed function of the words, so a model can learn it exactly;
`rule_label(text)` computes it from the text alone. The rule, on lowercased words:

1. Contrast. If the review contains "but" or "however", only the words after the last one
   count; after "although", only the words after the comma that closes its clause.
2. The remaining words are cut into clauses at "and" and at full stops.
3. A clause scores a phrase from `PHRASES` if it contains one, else its first adjective from
   `ADJECTIVES` (-2, -1, 0, +1 or +2). An intensifier (`INTENSIFIERS`, e.g. "very") right
   before a polar adjective makes it ±2; a negation ("not", "never") before that flips the
   sign and leaves ±1: "not good" = -1, "not bad" = +1, "not very good" = -1,
   "never really boring" = +1. "at all" after a negated adjective changes nothing.
   Neutral adjectives (0) are never negated or intensified.
4. score = the sum of the clause scores clipped to [-2, 2]; stars = score + 3, label = score + 2.

So "great cast but a boring story" is 2 stars (the clause after "but" dominates), and
"The acting was not bad at all and the music was superb." is 5 stars.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from rnnviz.data.splits import SIZES, draw
from rnnviz.text.vocab import tokenize_words

N_CLASSES = 5

ADJECTIVES: dict[str, int] = {
    **dict.fromkeys(("brilliant", "wonderful", "superb", "excellent", "amazing"), 2),
    **dict.fromkeys(("outstanding", "fantastic", "great", "magnificent"), 2),
    **dict.fromkeys(("good", "nice", "enjoyable", "solid", "pleasant", "decent", "fun"), 1),
    **dict.fromkeys(("average", "okay", "ordinary"), 0),
    **dict.fromkeys(("bad", "dull", "weak", "boring", "slow", "predictable", "clumsy"), -1),
    **dict.fromkeys(("awful", "terrible", "dreadful", "horrible", "painful", "atrocious"), -2),
}
INTENSIFIERS = ("very", "really", "extremely", "incredibly", "truly")
NEGATIONS = ("not", "never")
CONTRASTS = ("but", "however")

# Whole-clause verdicts; none contains a word of ADJECTIVES, "and" or a contrast word.
PHRASES: dict[str, int] = {
    "there is nothing to like in this movie": -2,
    "i want my money back": -2,
    "it was a complete waste of time": -2,
    "i almost fell asleep": -1,
    "i expected more from this director": -1,
    "it was what i expected": 0,
    "i have mixed feelings about it": 0,
    "it was worth the ticket": 1,
    "i smiled a lot": 1,
    "i would watch it again tomorrow": 2,
    "everyone should see it": 2,
}

# (subject, is plural)
SUBJECTS = (
    ("the movie", False),
    ("the film", False),
    ("the plot", False),
    ("the story", False),
    ("the acting", False),
    ("the cast", False),
    ("the soundtrack", False),
    ("the music", False),
    ("the ending", False),
    ("the script", False),
    ("the dialogue", False),
    ("the direction", False),
    ("the pacing", False),
    ("the special effects", True),
    ("the jokes", True),
    ("the characters", True),
)
NOUNS = ("cast", "story", "plot", "soundtrack", "script", "ending", "performance", "film")
OPENERS = ("", "", "", "honestly, ", "overall, ", "in my opinion, ", "i think ")

_PHRASE_TOKENS = {tuple(phrase.split()): score for phrase, score in PHRASES.items()}
_ADJECTIVE_LIST = tuple(ADJECTIVES)
_PHRASE_LIST = tuple(PHRASES)


class Review(NamedTuple):
    text: str
    tokens: list[str]
    label: int  # stars - 1, in 0..4

    @property
    def stars(self) -> int:
        return self.label + 1


class Splits(NamedTuple):
    train: list[Review]
    valid: list[Review]
    test: list[Review]


def _clip(score: int) -> int:
    return max(-2, min(2, score))


def _sign(score: int) -> int:
    return (score > 0) - (score < 0)


def _clause_score(words: Sequence[str]) -> int:
    """Step 3 of the rule for one clause (0 if it has no phrase and no adjective)."""
    for phrase, score in _PHRASE_TOKENS.items():
        n = len(phrase)
        if any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1)):
            return score
    for i, word in enumerate(words):
        if word not in ADJECTIVES:
            continue
        score = ADJECTIVES[word]
        before = i - 1
        if score and before >= 0 and words[before] in INTENSIFIERS:
            score, before = 2 * _sign(score), before - 1
        if score and before >= 0 and words[before] in NEGATIONS:
            score = -_sign(score)
        return score
    return 0


def rule_score(text: str) -> int:
    """The review's score in [-2, 2] by the rule in the module docstring."""
    words = [t.text.lower() for t in tokenize_words(text)]
    contrast = [i for i, w in enumerate(words) if w in CONTRASTS]
    if contrast:
        words = words[contrast[-1] + 1 :]
    elif "although" in words:
        start = words.index("although")
        words = words[words.index(",", start) + 1 :] if "," in words[start:] else []
    clauses: list[list[str]] = [[]]
    for word in words:
        if word in ("and", "."):
            clauses.append([])
        else:
            clauses[-1].append(word)
    return _clip(sum(_clause_score(c) for c in clauses))


def rule_label(text: str) -> int:
    """Stars - 1 (0..4) by the rule in the module docstring."""
    return rule_score(text) + 2


def _pick(rng: np.random.Generator, options: Sequence):
    # rng.random() is several times cheaper than rng.integers() per call.
    return options[int(rng.random() * len(options))]


def _adjective_phrase(rng: np.random.Generator) -> tuple[str, int, bool]:
    """([negation] [intensifier] adjective, its score, whether it is negated)."""
    word = _pick(rng, _ADJECTIVE_LIST)
    score = ADJECTIVES[word]
    if score == 0:
        return word, 0, False
    if rng.random() < 0.3:
        word = f"{_pick(rng, INTENSIFIERS)} {word}"
        score = 2 * _sign(score)
    negated = rng.random() < 0.3
    if negated:
        word = f"{_pick(rng, NEGATIONS)} {word}"
        score = -_sign(score)
    return word, score, negated


def _clause(rng: np.random.Generator, noun_phrase: bool = True) -> tuple[str, int]:
    """A random clause (lowercase, no final stop) and its score."""
    kind = rng.random()
    if kind < 0.15:
        phrase = _pick(rng, _PHRASE_LIST)
        return phrase, PHRASES[phrase]
    if kind < 0.4 and noun_phrase:
        # Noun phrase: "a really boring story" (never negated).
        word = _pick(rng, _ADJECTIVE_LIST)
        score = ADJECTIVES[word]
        if score and rng.random() < 0.3:
            word = f"{_pick(rng, INTENSIFIERS)} {word}"
            score = 2 * _sign(score)
        article = "an" if word[0] in "aeiou" else "a"
        return f"{article} {word} {_pick(rng, NOUNS)}", score
    subject, plural = _pick(rng, SUBJECTS)
    verb = _pick(rng, ("are", "were") if plural else ("is", "was"))
    adjective, score, negated = _adjective_phrase(rng)
    at_all = " at all" if negated and rng.random() < 0.3 else ""
    return f"{subject} {verb} {adjective}{at_all}", score


FORMS = ("single", "single", "and", "two sentences", "but", "although", "however")


def _review(rng: np.random.Generator) -> tuple[str, int]:
    """A random review and its score, computed from how it was built."""
    form = _pick(rng, FORMS)
    # "Although a boring story, ..." is not English: that clause needs a verb.
    first, a = _clause(rng, noun_phrase=form != "although")
    second, b = _clause(rng)
    opener = _pick(rng, OPENERS)
    if form == "single":
        text, score = f"{opener}{first}.", a
    elif form == "and":
        text, score = f"{opener}{first} and {second}.", _clip(a + b)
    elif form == "two sentences":
        text, score = f"{opener}{first}. {second}.", _clip(a + b)
    elif form == "but":
        comma = "," if rng.random() < 0.5 else ""
        text, score = f"{opener}{first}{comma} but {second}.", b
    elif form == "although":
        text, score = f"although {first}, {second}.", b
    else:
        text, score = f"{opener}{first}. however, {second}.", b
    return _capitalize_sentences(text), score


def _capitalize_sentences(text: str) -> str:
    sentences = text.split(". ")
    return ". ".join(s[0].upper() + s[1:] for s in sentences).replace(" i ", " I ")


def generate(n: int, rng: np.random.Generator, balanced: bool = True) -> list[Review]:
    """`n` random reviews; `balanced` draws each label uniformly."""
    reviews = []
    # Reviews drawn but not yet used, by label: a rare label only costs the draws it needs.
    pool: dict[int, deque[str]] = {label: deque() for label in range(N_CLASSES)}
    for _ in range(n):
        if balanced:
            target = int(rng.random() * N_CLASSES)
            while not pool[target]:
                text, score = _review(rng)
                pool[score + 2].append(text)
            text, label = pool[target].popleft(), target
        else:
            text, score = _review(rng)
            label = score + 2
        reviews.append(Review(text, [t.text for t in tokenize_words(text)], label))
    return reviews


def split(seed: int = 0, sizes: tuple[int, int, int] = SIZES) -> Splits:
    """Fixed, balanced train/valid/test sets, each from its own stream spawned from `seed`."""
    return Splits(*(part(name, seed, sizes) for name in Splits._fields))


def part(name: str, seed: int = 0, sizes: tuple[int, int, int] = SIZES) -> list[Review]:
    """One set of `split(seed, sizes)` ("train", "valid" or "test") drawn alone, equal to
    ``getattr(split(seed, sizes), name)`` at a fraction of the cost (the test set is 2,000 of
    the 24,000 items)."""
    return draw(generate, name, seed, sizes)


def accuracy(pred: Sequence[int] | np.ndarray, gold: Sequence[int] | np.ndarray) -> float:
    """Fraction of reviews whose predicted label equals the gold label."""
    pred, gold = np.asarray(pred), np.asarray(gold)
    if pred.shape != gold.shape:
        raise ValueError(f"shapes differ: {pred.shape} vs {gold.shape}")
    return float(np.mean(pred == gold)) if gold.size else float("nan")
