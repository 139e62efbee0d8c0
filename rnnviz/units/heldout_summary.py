"""The shipped char LMs' units over the held-out text, computed once when they are built.

    python -m rnnviz.units.heldout_summary       # rewrites rnnviz/pretrained/units-heldout.json

The Units page opens on two comparisons of the three shipped char LMs (char-lm-rnn, -gru,
-lstm): each one's best unit per built-in feature over the first HELDOUT_CHARS held-out
characters (`best_units`), and its gate saturation over the first SATURATION_CHARS
(`gate_saturation`). Reading those takes three corpus traces of each model, ~3 s of NumPy on
two cores, and every server used to spend them again in its first visitor's click (or in a
background warm-up the first visitor still waited for). The answers are small (a 27-row table
and ~1,500 saturation rows), so they ship beside the models, like the seed tables. So do the
page's first tab's inputs for each of the three (`scores`: every unit's r with every built-in
feature, of its default quantity over the first HELDOUT_CHARS characters; `corpora`: that
reading's `CorpusFacts`): the server's first visitor to the Units page then waits for no
corpus reading (the trace itself, 30,000 × n_a values, is read in the background for the
tabs that paint and search it).

The file names what it was computed from: `digest` hashes each model's identity
(`rnnviz.models.identity`: weights, config, vocabulary), the held-out text and the two
lengths. `read_summary` returns the shipped answers only when that digest matches the models
and text in hand; otherwise None, and the caller computes them (the same numbers, slower),
so a retrained model is never shown with an old table. A test recomputes the whole summary
and compares it with the file, which catches a change in the code that computes it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from rnnviz.data.heldout import PRETRAINED_DIR
from rnnviz.units.corpus_reading import CorpusFacts

SHIPPED = PRETRAINED_DIR / "units-heldout.json"
COMMAND = "python -m rnnviz.units.heldout_summary"
FORMAT = 2
HELDOUT_CHARS = 30_000             # the Units page's default corpus: the start of the held-out text
SATURATION_CHARS = 20_000          # held-out characters behind the saturation scatter


@dataclass(frozen=True)
class HeldoutSummary:
    """best: `best_units` of the models (columns model, quantity, feature, unit, score);
    saturation: {model name: its `gate_saturation` table}; scores: {model name: its
    `unit_scores` table (feature, unit, score) of its `default_quantity` over the first
    HELDOUT_CHARS characters}; corpora: {model name: the `CorpusFacts` of that reading};
    digest: what they were read from. `scores` and `corpora` are what the Units page opens on
    (its first tab), so that a server's first visitor there does not wait for the reading."""

    best: pd.DataFrame
    saturation: Mapping[str, pd.DataFrame]
    digest: str
    scores: Mapping[str, pd.DataFrame]
    corpora: Mapping[str, CorpusFacts]


def digest(models: Mapping, text: str, heldout_chars: int = HELDOUT_CHARS,
           saturation_chars: int = SATURATION_CHARS) -> str:
    """sha256 of everything the summary is read from: {name: model in use} (their
    `identity`), the held-out text, the two lengths, and this file's format."""
    what = {"format": FORMAT, "models": {n: m.identity for n, m in sorted(models.items())},
            "text": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
            "heldout_chars": int(heldout_chars), "saturation_chars": int(saturation_chars)}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def compute_summary(models: Mapping, text: str, heldout_chars: int = HELDOUT_CHARS,
                    saturation_chars: int = SATURATION_CHARS) -> HeldoutSummary:
    """Read the models over the held-out text: best units over text[:heldout_chars] (each
    model's `default_quantity`), gate saturation over text[:saturation_chars]."""
    from rnnviz.units.corpus_reading import corpus_facts, corpus_trace
    from rnnviz.units.saturation import gate_saturation, saturation_keys
    from rnnviz.units.scores import best_units, default_quantity, unit_scores

    quantities = {n: default_quantity(m) for n, m in models.items()}
    corpora = {n: corpus_trace(m, text[:heldout_chars], (quantities[n],))
               for n, m in models.items()}
    saturation = {n: gate_saturation(m, corpus_trace(m, text[:saturation_chars],
                                                     saturation_keys(m)))
                  for n, m in models.items()}
    return HeldoutSummary(best_units(corpora, quantities), saturation,
                          digest(models, text, heldout_chars, saturation_chars),
                          {n: unit_scores(c, quantities[n]) for n, c in corpora.items()},
                          {n: corpus_facts(models[n], c) for n, c in corpora.items()})


def write_summary(summary: HeldoutSummary, path: str | Path | None = None) -> Path:
    """Save `summary` as JSON (columns as lists), with its digest and the command (default
    path: SHIPPED)."""
    data = {"format": FORMAT, "command": COMMAND, "digest": summary.digest,
            "best": summary.best.to_dict(orient="list"),
            "saturation": {n: t.to_dict(orient="list") for n, t in summary.saturation.items()},
            # r to 6 decimals (the page shows 3; a test compares within 1e-6): a quarter the size
            "scores": {n: t.assign(score=t.score.round(6)).to_dict(orient="list")
                       for n, t in summary.scores.items()},
            "corpora": {n: asdict(f) for n, f in summary.corpora.items()}}
    path = Path(SHIPPED if path is None else path)
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    return path


def read_summary(models: Mapping, text: str, path: str | Path | None = None,
                 heldout_chars: int = HELDOUT_CHARS,
                 saturation_chars: int = SATURATION_CHARS) -> HeldoutSummary | None:
    """The saved summary of exactly these models and this text, or None: no file, a file
    that does not parse (half written), another format, or a digest of other models or
    another text (then compute it). Default path: SHIPPED."""
    path = Path(SHIPPED if path is None else path)
    want = digest(models, text, heldout_chars, saturation_chars)
    try:
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT or data.get("digest") != want:
            return None
        return HeldoutSummary(
            pd.DataFrame(data["best"]),
            {n: pd.DataFrame(t) for n, t in data["saturation"].items()}, want,
            {n: pd.DataFrame(t).astype({"unit": "int64", "score": "float64"})
             for n, t in data["scores"].items()},
            {n: CorpusFacts(**f) for n, f in data["corpora"].items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def shipped_inputs() -> tuple[dict, str]:
    """({name: shipped char LM}, the char LMs' held-out text): what the shipped file is of."""
    from rnnviz.data.heldout import heldout_text
    from rnnviz.models import TRAINED_LMS, load_pretrained

    return {n: load_pretrained(n) for n in TRAINED_LMS.values()}, heldout_text("char_lm")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=None, help=f"output file (default: {SHIPPED})")
    args = parser.parse_args(argv)
    models, text = shipped_inputs()
    path = write_summary(compute_summary(models, text), args.out)
    print(f"wrote {path} ({path.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
