"""The Markdown model cards of the shipped models, written from their JSON cards
(`rnnviz.training.recipes` trains a model and fills the JSON card)."""

from __future__ import annotations


def _reproduce(card: dict) -> str:
    """The card's last section: the command, and what makes a rerun bit-identical."""
    env = card["environment"]
    threads = ", ".join(f"{k}={v}" for k, v in env.get("blas_threads_env", {}).items())
    how = f" with `{threads}`" if threads else ""
    return f"""## Reproduce

```
{card['command']}
```

Training is deterministic from seed {card['hyperparameters']['seed']}: the initial weights \
and the data order come from one `np.random.Generator`, so the same NumPy, BLAS and thread \
setting give bit-identical weights. This checkpoint was made{how} with Python \
{env['python']} and NumPy {env['numpy']} on a {env.get('cpu_count', '?')}-core machine that \
other jobs shared, so its training time is an upper bound.
"""


def _layers(sizes: dict) -> str:
    return f"{sizes['layers']}-layer stacked " if sizes.get("layers", 1) > 1 else ""


def _budget_note(sizes: dict) -> str:
    if sizes.get("layers", 1) > 1:
        return ("The one-layer models' batch, chunk length, schedule and the GRU's peak lr, "
                "with fewer steps so that it trains in about 10 minutes")
    return ("The RNN, GRU and LSTM models share n_a and this budget; only the peak learning "
            "rate is chosen per cell (`lr_trials` in the JSON card)")


def char_lm_markdown(card: dict) -> str:
    s, m, b, h = card["sizes"], card["metrics"], card["baseline"], card["hyperparameters"]
    sample = card["sample"]
    margin = b["valid_bpc"] - m["valid_bpc"]
    return f"""# {card['name']}

{card['description']}

| | |
|---|---|
| architecture | {_layers(s)}{s['cell'].upper()}, n_x = n_y = {s['n_x']} characters, \
n_a = {s['n_a']}{' per layer' if s.get('layers', 1) > 1 else ''}, \
{s['n_params']:,} parameters ({s['dtype']}) |
| data | {card['data']['corpus']}; trained on the `train` split \
({card['data']['train_chars']:,} characters), evaluated on `valid` \
({card['data']['valid_chars']:,} characters), split by module path |
| training | {card['steps_done']} steps of Adam (peak lr {h['lr']}, cosine decay, warm-up \
{h['warmup']}), batch m = {h['m']} streams × T_x = {h['T_x']} characters, truncated BPTT \
with the state carried, global-norm clip {h['clip_norm']}, seed {h['seed']}; \
{h['epochs']} epochs. {_budget_note(s)} |
| training time | {card['training_time_s'] / 60:.1f} min on {card['environment']['machine']} \
({card['environment']['platform']}), NumPy {card['environment']['numpy']} |

## Held-out bits per character (`valid` split, {m['valid_chars']:,} characters, state carried)

| model | bits/char |
|---|---|
| **{card['name']}** | **{m['valid_bpc']:.3f}** |
| {b['model']} | {b['valid_bpc']:.3f} |

Difference to the n-gram baseline: {margin:+.3f} bits per character \
(positive = this model is better). On the first {m['valid_prefix_chars']:,} characters of \
`valid`: {m['valid_prefix_bpc']:.4f} (the test suite recomputes this number).

## Sample (temperature {sample['temperature']}, seed {sample['seed']}, empty prefix)

```
{sample['text']}
```

{_reproduce(card)}"""


def _training_row(card: dict) -> str:
    h, e = card["hyperparameters"], card["environment"]
    return (f"| training | {card['steps_done']} steps of Adam (lr {h['lr']}, cosine decay), "
            f"batches of m = {h['m']} sequences of equal length, global-norm clip "
            f"{h['clip_norm']}, seed {h['seed']}; {h['epochs']} epochs |\n"
            f"| training time | {card['training_time_s'] / 60:.1f} min on {e['machine']} "
            f"({e['platform']}), NumPy {e['numpy']} |")


def _sizes_row(card: dict) -> str:
    s = card["sizes"]
    arch = ("bidirectional " if s["bidirectional"] else "") + s["cell"].upper()
    per = " per direction" if s["bidirectional"] else ""
    return (f"| architecture | {arch}, n_x = {s['n_x']} words, n_a = {s['n_a']}{per}, "
            f"n_y = {s['n_y']}, {s['n_params']:,} parameters ({s['dtype']}) |")


WHY_UNIDIRECTIONAL = """\
A left-to-right LSTM computes ŷ<t> from a<t>, which has read only x<1>, ..., x<t>. At an
ambiguous word ("He said, Teddy ..." / "Breaking news: Jordan ...") that left context is
drawn independently of the reading, so it is the same for "Teddy Roosevelt was a great
president" and "Teddy bears are on sale": a<t> is the same vector in both sentences and
ŷ<t> must be the same probability. With both readings equally likely, the best it can do
at that word is a coin flip, and its accuracy there stays near 50% however long it trains.
The words that decide ("Roosevelt", "bears") come later; the bidirectional twin reads them
with a←<t>, which has seen x<T_x>, ..., x<t>, and so resolves the word."""


def tagger_markdown(card: dict) -> str:
    t, v = card["metrics"]["test"], card["metrics"]["valid"]
    bi = card["sizes"]["bidirectional"]
    verdict = ("reads the words after an ambiguous one with its backward direction a←<t>, "
               "which is how it tells the readings apart" if bi else
               "sees only the words before an ambiguous one, so it is left at chance there: "
               "see below")
    return f"""# {card['name']}

{card['description']}

| | |
|---|---|
{_sizes_row(card)}
| data | {card['data']['dataset']}: {card['data']['sizes']['train']:,} training sentences, \
{card['data']['sizes']['test']:,} held-out test sentences (`{card['data']['generator']}`); \
{card['data']['vocab']} |
{_training_row(card)}

## Held-out accuracy (test split, {t['sentences']:,} sentences, {t['words']:,} words)

| | accuracy |
|---|---|
| all words | {t['accuracy']:.2%} |
| **ambiguous words** ({t['ambiguous_words']}: {', '.join(card['data']['ambiguous_words'][:6])}, \
...) | **{t['ambiguous_accuracy']:.2%}** |
| ... when the word is a name / is not a name | {t['ambiguous_accuracy_when_name']:.2%} / \
{t['ambiguous_accuracy_when_not_name']:.2%} |
| every other word | {t['accuracy_elsewhere']:.2%} |

Valid split: {v['accuracy']:.2%} overall, {v['ambiguous_accuracy']:.2%} at the ambiguous words.
The tagger {verdict}.

## Why a unidirectional tagger cannot resolve the ambiguous words

{WHY_UNIDIRECTIONAL}

{_reproduce(card)}"""


def classifier_markdown(card: dict) -> str:
    t, v = card["metrics"]["test"], card["metrics"]["valid"]
    rows = "\n".join(f"| {lab} | " + " | ".join(str(c) for c in row) + " |"
                     for lab, row in zip(card["labels"], t["confusion_gold_by_predicted"],
                                         strict=True))
    return f"""# {card['name']}

{card['description']}

| | |
|---|---|
{_sizes_row(card)}
| data | {card['data']['dataset']}: {card['data']['sizes']['train']:,} training reviews, \
{card['data']['sizes']['test']:,} held-out test reviews (`{card['data']['generator']}`), \
balanced over the five ratings, with negation ("not bad at all") and contrast ("great cast \
but a boring story"); {card['data']['vocab']} |
{_training_row(card)}

## Held-out accuracy (test split, {t['reviews']:,} reviews)

Exact rating: **{t['accuracy']:.2%}** (chance 20%); within one star: {t['within_one_star']:.2%}.
Valid split: {v['accuracy']:.2%}.

Confusion (rows: true rating, columns: predicted):

| | {' | '.join(card['labels'])} |
|---|---|---|---|---|---|
{rows}

{_reproduce(card)}"""
