"""Fixed train/valid/test sets of a generated dataset, each drawn from its own random stream
spawned from one seed, so one set can be drawn without the others (`rnnviz.data.ner`,
`rnnviz.data.sentiment`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SETS = ("train", "valid", "test")
SIZES = (20_000, 2_000, 2_000)       # train, valid, test


def draw(generate: Callable[[int, np.random.Generator], list], name: str, seed: int = 0,
         sizes: tuple[int, int, int] = SIZES) -> list:
    """The set `name` of the split of `seed`: `generate(size, rng)` on that set's own stream
    (the i-th of three spawned from `seed`), equal to it drawn beside the other two."""
    if name not in SETS:
        raise ValueError(f"no set {name!r}: choose one of {SETS}")
    i = SETS.index(name)
    stream = np.random.SeedSequence(seed).spawn(len(SETS))[i]
    return generate(sizes[i], np.random.default_rng(stream))
