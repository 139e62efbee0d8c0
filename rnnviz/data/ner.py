"""Generated person-name tagging data (the course's named-entity example).

    x: Harry Potter and Hermione Granger invented a new spell .
    y:   1     1     0     1       1        0     0  0    0   0

y<t> = 1 for the words of a person's name, 0 otherwise (punctuation included); words come
from `tokenize_words`. Half of the sentences (by default) contain an ambiguous word, one
of `AMBIGUOUS_WORDS`, that can be a first name or not, right after a prefix that is drawn
independently of the reading:

    He said, Teddy Roosevelt was a great president .   -> Teddy = 1
    He said, Teddy bears are on sale .                  -> Teddy = 0

Only the words after the ambiguous word tell the two readings apart (sometimes the next word,
a surname, sometimes a predicate several words later), so a unidirectional RNN cannot get
these positions right at step t, and a bidirectional one can. Each reading has
probability 1/2. The other sentences mix names with capitalized non-names (cities,
countries, organisations, days, months), so capitalization alone is not the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from rnnviz.data.splits import SIZES, draw
from rnnviz.text.vocab import tokenize_words

FIRST_NAMES = (
    "Aaron Abigail Adam Adrian Aisha Alan Albert Alice Amelia Amir Ana Andrew Angela Anna "
    "Anthony Arthur Ben Benjamin Bruno Carlos Caroline Charles Charlotte Chloe Chris Clara "
    "Daniel David Diana Diego Dmitri Edward Elena Eli Elizabeth Emily Emma Eric Ethan Felix "
    "Fatima Frank George Hannah Harry Helen Henry Hermione Hugo Ian Ingrid Isaac Isabel Ivan "
    "James Jane Jason Javier Jennifer Jessica John Jonathan Jose Joseph Julia Kate Kenji Kevin "
    "Laura Leo Liam Linda Lucas Lucy Luis Maria Marco Martin Mary Matthew Maya Mei Michael "
    "Miguel Mohammed Monica Nadia Natalie Nathan Nicholas Nina Noah Oliver Olivia Omar Oscar "
    "Pablo Patrick Paul Peter Philip Priya Rachel Rafael Rahul Rebecca Richard Robert Ron "
    "Rosa Ruth Ryan Samuel Sara Sean Sofia Sophie Stephen Steven Susan Thomas Tim Tom Victor "
    "Vincent Walter William Yuki Zoe"
).split()

LAST_NAMES = (
    "Adams Ahmed Alvarez Anderson Baker Bauer Bell Brown Campbell Carter Chen Clark Collins "
    "Cooper Costa Cruz Davis Diaz Dubois Edwards Evans Fischer Fisher Garcia Gomez Gonzalez "
    "Granger Gray Green Hall Harris Hernandez Hill Hoffmann Hughes Ivanov Jackson Johnson Jones "
    "Kelly Khan Kim King Kowalski Lee Lewis Lopez Martin Martinez Meyer Miller Mitchell Moore "
    "Morales Morgan Murphy Nakamura Nguyen Novak O'Brien O'Connor Okafor Park Parker Patel "
    "Perez Peterson Phillips Potter Reed Reyes Richardson Rivera Roberts Robinson Rodriguez "
    "Roosevelt Rossi Russo Sanchez Santos Schmidt Scott Silva Singh Smith Stewart Suzuki Tanaka "
    "Taylor Thomas Thompson Torres Turner Walker Wang Ward Watson Weasley White Williams Wilson "
    "Wood Wright Yamamoto Young Zhang"
).split()

# No ambiguous word fills a slot: a sentence-initial "{City}" reading "Paris" would make
# the left context of "Paris" informative.
CITIES = (
    "London Tokyo Berlin Chicago Boston Madrid Rome Cairo Denver Seattle Lisbon Dublin Oslo "
    "Toronto Mumbai Lagos Lima Vienna Prague Athens Nairobi Seoul Miami Houston"
).split()
COUNTRIES = "France Japan Brazil Canada Kenya Peru Norway Egypt India Mexico Spain Chile".split()
ORGANISATIONS = (
    "Google",
    "Microsoft",
    "NASA",
    "Boeing",
    "Siemens",
    "Acme",
    "Red Cross",
    "World Bank",
    "United Nations",
)
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = (
    "January February March April May June July August September October November December"
).split()

# Ambiguous word -> continuations in which it is NOT a person's name. Its name reading uses
# the shared PERSON_PREDICATES, so the continuation alone decides the label.
AMBIGUOUS_WORDS: dict[str, tuple[str, ...]] = {
    "Teddy": (
        "bears are on sale",
        "bears make great gifts",
        "bears were sold out before noon",
        "bear collectors are meeting downtown",
        "bears sat on every shelf in the shop",
    ),
    "Jordan": (
        "is a country in the Middle East",
        "borders Israel and Saudi Arabia",
        "has deserts and ancient ruins",
        "is a small kingdom with a long history",
        "exports phosphate and potash",
    ),
    "April": (
        "showers bring May flowers",
        "is the fourth month of the year",
        "has thirty days",
        "was unusually cold this year",
        "rain flooded the streets",
    ),
    "Rose": (
        "petals covered the floor",
        "bushes need plenty of sun",
        "gardens bloom in early summer",
        "water smells sweet",
        "prices go up before Valentine's Day",
    ),
    "Georgia": (
        "peaches are sweet this year",
        "is a state in the American South",
        "has hot and humid summers",
        "voters went to the polls",
        "borders Florida and Alabama",
    ),
    "Florence": (
        "is a beautiful city in Italy",
        "has many famous museums",
        "was the cradle of the Renaissance",
        "hotels are expensive in summer",
        "is crowded with tourists every spring",
    ),
    "Jack": (
        "rabbits can run very fast",
        "cheese melts well on nachos",
        "o'lanterns glow on every porch",
        "pine forests cover the hills",
        "knives are handy on camping trips",
    ),
    "Grace": (
        "under pressure is a rare quality",
        "is a gift that cannot be earned",
        "and charm go a long way",
        "periods on loans are short",
        "before meals is a family tradition",
    ),
    "Hope": (
        "is a good thing",
        "springs eternal",
        "keeps people going in hard times",
        "fades when the news is bad",
        "and fear are powerful emotions",
    ),
    "Victoria": (
        "is the capital of British Columbia",
        "Falls is a huge waterfall",
        "Day is a holiday in Canada",
        "sponge cake is served with tea",
        "Station is crowded at rush hour",
    ),
    "Austin": (
        "is the capital of Texas",
        "has a famous music festival",
        "traffic is terrible on Fridays",
        "is growing very fast",
        "restaurants serve great barbecue",
    ),
    "Paris": (
        "is the capital of France",
        "has beautiful old bridges",
        "cafes are full in spring",
        "is famous for its museums",
        "metro trains run late at night",
    ),
    "Summer": (
        "days are long and warm",
        "vacation starts next week",
        "is my favorite season",
        "storms can be dangerous",
        "camps fill up early",
    ),
    "Virginia": (
        "is a state on the East Coast",
        "has beautiful mountains",
        "ham is a local specialty",
        "creeper covers the old wall",
        "voters elected a new governor",
    ),
    "Chelsea": (
        "won the match on Saturday",
        "is a wealthy part of London",
        "fans sang all night",
        "signed a new striker",
        "boots are back in fashion",
    ),
    "Sydney": (
        "has a famous opera house",
        "is the largest city in Australia",
        "Harbour Bridge is a famous landmark",
        "beaches are crowded in January",
        "is an expensive place to live",
    ),
}

# What a person does; follows "{A}" or "{A} {L}" in the name reading.
PERSON_PREDICATES = (
    "was a great president",
    "wrote a famous novel",
    "won the race",
    "is my neighbor",
    "called me last night",
    "invented a new spell",
    "plays the piano beautifully",
    "teaches math at the local school",
    "was born in {City}",
    "moved to {City} last year",
    "met {P} at the station",
    "and {P} invented a new spell",
    "is a famous painter",
    "lives next door",
    "sent me a long letter",
    "scored the winning goal",
    "is running for mayor",
    "bought a new car",
    "works as a nurse in {City}",
    "has two brothers and a sister",
    "is the best cook I know",
    "was elected to the city council",
)

# Left contexts of the ambiguous word, drawn independently of its reading.
PREFIXES = (
    "",
    "He said, ",
    "She said, ",
    "They told us: ",
    "Breaking news: ",
    "Yesterday, ",
    "Last {Day}, ",
    "Honestly, ",
    "{P} said, ",
    "{P} wrote: ",
    "In the end, ",
    "Believe it or not, ",
    "As I said, ",
    "Everyone agreed: ",
)

# Sentences without an ambiguous word ({P}: a person's name, first name and maybe surname).
TEMPLATES = (
    "{P} and {P} invented a new spell.",
    "Yesterday, {P} met {P}.",
    "{P} moved to {City} in {Month}.",
    "On {Day}, {P} visited the {Org} office in {City}.",
    "{Org} hired {P} last {Month}.",
    "{P} said that the museum in {City} was closed.",
    "I think {P} will win the election in {Country}.",
    "According to {P}, the meeting in {City} starts on {Day}.",
    "{City} is where {P} grew up.",
    "Our teacher, {P}, loves {City}.",
    "{P} sent a letter to {P} from {City}.",
    "Nobody in {City} remembers {P}.",
    "The new manager at {Org} is {P}.",
    "{P} flew from {City} to {City} on {Day}.",
    "We watched a film about {P} in {Month}.",
    "Every {Day}, {P} and {P} play chess in the park.",
    "{Country} sent {P} to the summit in {City}.",
    "Thanks to {P}, the {Org} project finished early.",
    "The trains in {Country} were late on {Day}.",
    "{City} gets very cold in {Month}.",
)

_SLOTS = {
    "City": CITIES,
    "Country": COUNTRIES,
    "Org": ORGANISATIONS,
    "Day": DAYS,
    "Month": MONTHS,
}
_SLOT = re.compile(r"\{(\w+)\}")
_AMBIGUOUS = tuple(AMBIGUOUS_WORDS)


class Example(NamedTuple):
    """One tagged sentence; `tokens[i]` has label `labels[i]`."""

    text: str
    tokens: list[str]
    labels: list[int]
    ambiguous_positions: list[int]  # token indices of the ambiguous words


class Splits(NamedTuple):
    train: list[Example]
    valid: list[Example]
    test: list[Example]


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    # rng.random() is several times cheaper than rng.integers() per call.
    return options[int(rng.random() * len(options))]


class _Sentence:
    """Text built piece by piece, remembering which character spans are names."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.text = ""
        self.name_spans: list[tuple[int, int]] = []
        self.ambiguous_starts: list[int] = []

    def add(self, piece: str, name: bool = False, ambiguous: bool = False) -> None:
        start = len(self.text)
        self.text += piece
        if name:
            self.name_spans.append((start, len(self.text)))
        if ambiguous:
            self.ambiguous_starts.append(start)

    def fill(self, template: str) -> None:
        """Append `template`, replacing each {Slot} with a random filler."""
        pos = 0
        for match in _SLOT.finditer(template):
            self.add(template[pos : match.start()])
            slot = match.group(1)
            if slot == "P":
                first = _pick(self.rng, FIRST_NAMES)
                # Two out of three people get a surname.
                with_last = self.rng.random() < 2 / 3
                self.add(f"{first} {_pick(self.rng, LAST_NAMES)}" if with_last else first, True)
            else:
                self.add(_pick(self.rng, _SLOTS[slot]))
            pos = match.end()
        self.add(template[pos:])

    def example(self) -> Example:
        tokens = tokenize_words(self.text)
        labels = [
            int(any(s <= tok.start and tok.end <= e for s, e in self.name_spans)) for tok in tokens
        ]
        ambiguous = [i for i, tok in enumerate(tokens) if tok.start in self.ambiguous_starts]
        return Example(self.text, [t.text for t in tokens], labels, ambiguous)


def _ambiguous_sentence(rng: np.random.Generator) -> Example:
    sentence = _Sentence(rng)
    sentence.fill(_pick(rng, PREFIXES))
    word = _pick(rng, _AMBIGUOUS)
    if rng.random() < 0.5:
        # Name reading: sometimes followed by a surname, always by something a person does.
        if rng.random() < 0.5:
            sentence.add(f"{word} {_pick(rng, LAST_NAMES)}", name=True, ambiguous=True)
        else:
            sentence.add(word, name=True, ambiguous=True)
        sentence.add(" ")
        sentence.fill(_pick(rng, PERSON_PREDICATES) + ".")
    else:
        sentence.add(word, ambiguous=True)
        sentence.add(" ")
        sentence.fill(_pick(rng, AMBIGUOUS_WORDS[word]) + ".")
    return sentence.example()


def _plain_sentence(rng: np.random.Generator) -> Example:
    sentence = _Sentence(rng)
    sentence.fill(_pick(rng, TEMPLATES))
    return sentence.example()


def generate(n: int, rng: np.random.Generator, ambiguous_fraction: float = 0.5) -> list[Example]:
    """`n` random sentences; a fraction `ambiguous_fraction` contain an ambiguous word."""
    return [
        _ambiguous_sentence(rng) if rng.random() < ambiguous_fraction else _plain_sentence(rng)
        for _ in range(n)
    ]


def split(seed: int = 0, sizes: tuple[int, int, int] = SIZES) -> Splits:
    """Fixed train/valid/test sets, each drawn from its own stream spawned from `seed`.

    Templates are shared, so a short sentence can occur in more than one split: the sets
    measure whether the rule was learned, not whether a sentence is new.
    """
    return Splits(*(part(name, seed, sizes) for name in Splits._fields))


def part(name: str, seed: int = 0, sizes: tuple[int, int, int] = SIZES) -> list[Example]:
    """One set of `split(seed, sizes)` ("train", "valid" or "test") drawn alone, equal to
    ``getattr(split(seed, sizes), name)`` at a fraction of the cost (the test set is 2,000 of
    the 24,000 items)."""
    return draw(generate, name, seed, sizes)


def accuracy(
    pred: Sequence[Sequence[int]],
    gold: Sequence[Sequence[int]],
    positions: Sequence[Sequence[int]] | None = None,
) -> float:
    """Fraction of words tagged right, over all words or only at `positions` per sentence.

    `pred` and `gold` hold one label sequence per sentence (extra predicted steps, e.g.
    padding, are ignored). NaN when there is nothing to score.
    """
    if len(pred) != len(gold):
        raise ValueError(f"{len(pred)} predictions for {len(gold)} sentences")
    correct = total = 0
    for i, (p, g) in enumerate(zip(pred, gold, strict=True)):
        p, g = np.asarray(p)[: len(g)], np.asarray(g)
        if len(p) < len(g):
            raise ValueError(f"sentence {i}: {len(p)} predictions for {len(g)} words")
        if positions is not None:
            idx = np.asarray(positions[i], dtype=np.int64)
            p, g = p[idx], g[idx]
        correct += int(np.sum(p == g))
        total += len(g)
    return correct / total if total else float("nan")


def ambiguous_accuracy(pred: Sequence[Sequence[int]], examples: Sequence[Example]) -> float:
    """`accuracy` at the ambiguous words only (the positions a left-to-right RNN cannot know)."""
    return accuracy(pred, [e.labels for e in examples], [e.ambiguous_positions for e in examples])
