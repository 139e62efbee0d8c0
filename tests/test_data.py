"""Corpus extraction and split, the n-gram baseline, and the generated NER/sentiment data."""

import hashlib
import math
import platform
from collections import Counter, defaultdict

import numpy as np
import pytest

from rnnviz.data import corpus, ner, sentiment
from rnnviz.data.ngram import UNK, CharNGram
from rnnviz.text import tokenize_words

# ---------------------------------------------------------------- corpus


@pytest.fixture
def fake_stdlib(tmp_path):
    files = {
        "a.py": '"""Module a."""\n\nclass K:\n    """Class K."""\n\n'
        '    def m(self):\n        """Method m."""\n',
        "pkg/b.py": 'import sys\nif sys:\n    def f():\n        """Indented\n'
        '        docstring."""\n\n        def inner():\n            """Inner."""\n'
        'async def g():\n    """Async g."""\nx = lambda: "not a docstring"\n',
        "broken.py": '"""Never read."""\ndef (:\n',
        "test_a.py": '"""A test."""\n',
        "test/x.py": '"""Test package."""\n',
        "pkg/tests/y.py": '"""Tests."""\n',
        "idlelib/idle_test/z.py": '"""IDLE tests."""\n',
        "site-packages/s.py": '"""Third party."""\n',
        "notes.txt": "not python",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_list_modules_skips_tests_and_site_packages(fake_stdlib):
    assert corpus.list_modules(fake_stdlib) == ["a.py", "broken.py", "pkg/b.py"]


def test_collect_extracts_cleaned_docstrings_in_source_order(fake_stdlib):
    assert corpus.collect(fake_stdlib) == {
        "a.py": ["Module a.", "Class K.", "Method m."],
        "pkg/b.py": ["Indented\ndocstring.", "Inner.", "Async g."],
    }


def test_real_stdlib_module_list_has_no_test_code():
    modules = corpus.list_modules()
    assert len(modules) > 300 and "textwrap.py" in modules and "json/decoder.py" in modules
    for path in modules:
        parts = path.split("/")
        assert not {"test", "tests", "idle_test", "site-packages"} & set(parts[:-1]), path
        assert not parts[-1].startswith("test_") and path.endswith(".py"), path


def test_module_split_is_the_documented_sha1_rule():
    modules = corpus.list_modules()
    for path in modules:
        digest = int(hashlib.sha1(path.encode()).hexdigest(), 16)
        assert corpus.module_split(path) == ("valid" if digest % 20 == 0 else "train")
    n_valid = sum(corpus.module_split(p) == "valid" for p in modules)
    assert 0.02 < n_valid / len(modules) < 0.09


def test_corpus_splits_are_disjoint_and_recorded():
    train_modules, valid_modules = corpus.load_modules("train"), corpus.load_modules("valid")
    assert not set(train_modules) & set(valid_modules)
    assert sorted(train_modules + valid_modules) == list(corpus.load_modules("all"))
    assert all(corpus.module_split(p) == "valid" for p in valid_modules)

    # The valid split is exactly the docstrings of its modules, read again here.
    root = corpus.stdlib_root()
    valid_docs = corpus.load_docstrings("valid")
    expected = [d for p in valid_modules for d in corpus.extract_docstrings((root / p).read_text())]
    assert list(valid_docs) == expected
    train_docs = corpus.load_docstrings("train")
    assert len(train_docs) + len(valid_docs) == len(corpus.load_docstrings("all"))

    train, valid = corpus.load_corpus("train"), corpus.load_corpus("valid")
    assert train == "\n\n".join(train_docs) and 0.02 < len(valid) / len(train) < 0.1
    info = corpus.corpus_info()
    assert info["splits"]["train"]["chars"] == len(train)
    assert info["splits"]["valid"]["sha256"] == hashlib.sha256(valid.encode()).hexdigest()
    assert info["splits"]["valid"]["modules"] == len(valid_modules)
    assert info["python_version"] == platform.python_version()

    normalized = corpus.load_corpus("train", normalized=True)
    assert len(normalized) == len(train)
    assert set(normalized) <= set(corpus.CHARSET + corpus.REPLACEMENT)


def test_normalize_replaces_only_characters_outside_the_charset():
    assert corpus.normalize("café ∑ ok\n~") == "caf\ufffd \ufffd ok\n~"
    assert corpus.normalize("abc", charset="ab", replacement="?") == "ab?"
    assert len(corpus.CHARSET) == 96 and "\t" not in corpus.CHARSET


# ---------------------------------------------------------------- n-gram


@pytest.fixture(scope="module")
def small_corpus():
    """A small slice of the corpus: docstrings of a few stdlib modules."""
    root = corpus.stdlib_root()

    def docs(paths):
        return "\n\n".join(
            d for p in paths for d in corpus.extract_docstrings((root / p).read_bytes())
        )

    train = docs(["argparse.py", "textwrap.py", "subprocess.py", "shutil.py", "pathlib.py"])
    held_out = docs(["tarfile.py"])
    return corpus.normalize(train), corpus.normalize(held_out)[:5000]


def test_ngram_matches_hand_computed_unigram():
    # Order 1 on "aab": c(a)=2, c(b)=1, default discounts D1=0.5, D2=1.0, so
    # γ = 1.5 and P(w) = (c(w) - D(c(w)) + γ/3) / 3 over {UNK, a, b}.
    model = CharNGram.fit("aab", order=1)
    assert model.symbols == [UNK, "a", "b"]
    np.testing.assert_allclose(model.next_char_probs(""), [1 / 6, 1 / 2, 1 / 3])
    np.testing.assert_allclose(model.log_probs("ba?"), np.log([1 / 3, 1 / 2, 1 / 6]))


@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_ngram_probabilities_sum_to_one(small_corpus, order):
    train, _ = small_corpus
    model = CharNGram.fit(train, order=order, charset=corpus.CHARSET)
    assert len(model.symbols) == len(corpus.CHARSET) + 1
    for prefix in ["", "R", "Return the ", "the\n", "qzxj", "caf\u00e9 ", "~~~~~~"]:
        p = model.next_char_probs(prefix)
        assert p.shape == (len(model.symbols),) and (p > 0).all()
        assert math.isclose(p.sum(), 1.0, rel_tol=1e-12)


def test_ngram_log_probs_agree_with_next_char_probs(small_corpus):
    train, _ = small_corpus
    model = CharNGram.fit(train, order=4)
    text = "Return a\u00e9 path"  # é is outside the training charset: scored as UNK
    logp = model.log_probs(text)
    for i, ch in enumerate(text):
        index = model.symbols.index(ch) if ch in model.symbols else 0
        assert logp[i] == pytest.approx(np.log(model.next_char_probs(text[:i])[index]))


def test_five_gram_beats_unigram_on_held_out_text(small_corpus):
    train, held_out = small_corpus
    bpc = {n: CharNGram.fit(train, order=n).bits_per_char(held_out) for n in (1, 3, 5)}
    assert 4.0 < bpc[1] < 5.5
    assert bpc[5] < bpc[3] < bpc[1] - 1.0


# ---------------------------------------------------------------- NER


@pytest.fixture(scope="module")
def ner_examples():
    return ner.generate(4000, np.random.default_rng(0))


def test_ner_examples_are_tokenized_and_labelled(ner_examples):
    names = set(ner.FIRST_NAMES) | set(ner.LAST_NAMES) | set(ner.AMBIGUOUS_WORDS)
    non_names = set(ner.CITIES) | set(ner.COUNTRIES) | set(ner.MONTHS) | set(ner.DAYS)
    for e in ner_examples:
        assert e.tokens == [t.text for t in tokenize_words(e.text)]
        assert len(e.labels) == len(e.tokens) and set(e.labels) <= {0, 1}
        for i in e.ambiguous_positions:
            assert e.tokens[i] in ner.AMBIGUOUS_WORDS
        for i, (tok, label) in enumerate(zip(e.tokens, e.labels, strict=True)):
            if label:
                assert tok in names, e
            if tok in ner.FIRST_NAMES or tok in ner.LAST_NAMES:
                assert label == 1, e
            if i not in e.ambiguous_positions and tok in non_names:
                assert label == 0, e
            if not any(ch.isalnum() for ch in tok):
                assert label == 0, e


def test_ner_ambiguous_words_take_both_readings(ner_examples):
    readings = Counter(
        (e.tokens[i], e.labels[i]) for e in ner_examples for i in e.ambiguous_positions
    )
    assert len(ner.AMBIGUOUS_WORDS) >= 8
    for word in ner.AMBIGUOUS_WORDS:
        assert readings[word, 0] >= 20 and readings[word, 1] >= 20, word
    names = sum(n for (_, label), n in readings.items() if label)
    assert 0.45 < names / sum(readings.values()) < 0.55


def test_ner_left_context_carries_no_information(ner_examples):
    by_context = defaultdict(list)
    for e in ner_examples:
        tokens = tokenize_words(e.text)
        for i in e.ambiguous_positions:
            by_context[e.text[: tokens[i].start], e.tokens[i]].append(e.labels[i])
    # The same words before an ambiguous word occur with both labels, for every word ...
    for word in ner.AMBIGUOUS_WORDS:
        both = [c for (c, w), labels in by_context.items() if w == word and len(set(labels)) == 2]
        assert both, word
    # ... and frequent left contexts are names about half of the time.
    pooled = defaultdict(list)
    for (context, _), labels in by_context.items():
        pooled[context].extend(labels)
    frequent = {c: np.mean(v) for c, v in pooled.items() if len(v) >= 80}
    assert {"", "He said, ", "Yesterday, "} <= set(frequent)
    for context, name_rate in frequent.items():
        assert 0.35 < name_rate < 0.65, (context, name_rate)


def test_ner_seed_style_example_is_labelled_by_what_follows(ner_examples):
    teddy = {}
    for e in ner_examples:
        for i in e.ambiguous_positions:
            if e.tokens[i] == "Teddy":
                teddy.setdefault(e.labels[i], e)
    name, other = teddy[1], teddy[0]
    i = name.tokens.index("Teddy")
    assert name.labels[i + 1] == int(name.tokens[i + 1] in ner.LAST_NAMES)
    assert other.tokens[other.tokens.index("Teddy") + 1] in {"bears", "bear"}


def test_ner_split_is_fixed():
    a, b = ner.split(1, sizes=(30, 5, 5)), ner.split(1, sizes=(30, 5, 5))
    assert a == b and [len(s) for s in a] == [30, 5, 5]
    assert ner.split(2, sizes=(30, 5, 5)).train != a.train
    assert a.train[:5] != a.valid


def test_ner_accuracy_helpers(ner_examples):
    examples = ner_examples[:200]
    gold = [e.labels for e in examples]
    assert ner.accuracy(gold, gold) == 1.0
    # Flip the ambiguous words only: wrong there, right everywhere else.
    flipped = [list(e.labels) for e in examples]
    for labels, e in zip(flipped, examples, strict=True):
        for i in e.ambiguous_positions:
            labels[i] = 1 - labels[i]
    n_ambiguous = sum(len(e.ambiguous_positions) for e in examples)
    n_words = sum(len(e.labels) for e in examples)
    assert ner.ambiguous_accuracy(flipped, examples) == 0.0
    assert ner.accuracy(flipped, gold) == pytest.approx(1 - n_ambiguous / n_words)
    padded = [np.r_[labels, [0, 0]] for labels in gold]  # extra steps are ignored
    assert ner.accuracy(padded, gold) == 1.0
    assert math.isnan(ner.accuracy([[1]], [[1]], positions=[[]]))
    with pytest.raises(ValueError):
        ner.accuracy([[1]], [[1, 0]])


# ---------------------------------------------------------------- sentiment


@pytest.mark.parametrize(
    "text, stars",
    [
        ("There is nothing to like in this movie.", 1),
        ("The plot was good.", 4),
        ("The plot was very good.", 5),
        ("The plot was not good.", 2),
        ("The plot was not very good.", 2),
        ("The plot was not bad at all.", 4),
        ("The plot was never really boring.", 4),
        ("The plot was average.", 3),
        ("Great cast but a boring story.", 2),
        ("A boring story, but a great cast.", 5),
        ("Although the cast was great, the story was boring.", 2),
        ("The cast was dull. However, the music was superb.", 5),
        ("The acting was not bad at all and the music was superb.", 5),
        ("The acting was awful and the music was superb.", 3),
        ("The acting was terrible. The music was dull.", 1),
    ],
)
def test_sentiment_rule(text, stars):
    assert sentiment.rule_label(text) == stars - 1


@pytest.fixture(scope="module")
def reviews():
    return sentiment.generate(3000, np.random.default_rng(0))


def test_sentiment_labels_follow_the_rule(reviews):
    for r in reviews:
        assert r.label == sentiment.rule_label(r.text), r
        assert r.tokens == [t.text for t in tokenize_words(r.text)]
    counts = Counter(r.label for r in reviews)
    assert set(counts) == {0, 1, 2, 3, 4}
    assert min(counts.values()) > 0.17 * len(reviews)


def test_sentiment_data_has_negation_and_contrast(reviews):
    def having(words):
        return [r for r in reviews if words & {w.lower() for w in r.tokens}]

    negated = having({"not", "never"})
    contrast = having({"but", "however", "although"})
    assert len(negated) > 0.15 * len(reviews) and len(contrast) > 0.15 * len(reviews)
    # Negation flips: "not good" reviews exist with low labels, "not bad" ones with high.
    assert any(" not bad" in r.text and r.label >= 3 for r in negated)
    assert any(" not good" in r.text and r.label <= 1 for r in negated)


def test_sentiment_split_is_fixed():
    a = sentiment.split(3, sizes=(40, 10, 10))
    assert a == sentiment.split(3, sizes=(40, 10, 10))
    assert [len(s) for s in a] == [40, 10, 10]
    assert sentiment.accuracy([r.label for r in a.test], [r.label for r in a.test]) == 1.0


@pytest.mark.parametrize("module", [ner, sentiment], ids=["ner", "sentiment"])
def test_one_part_drawn_alone_is_that_set_of_the_split(module):
    sizes = (30, 7, 9)
    whole = module.split(4, sizes=sizes)
    for name in ("train", "valid", "test"):
        assert module.part(name, seed=4, sizes=sizes) == getattr(whole, name)
    assert module.part("test", seed=5, sizes=sizes) != whole.test
    with pytest.raises(ValueError, match="no set 'dev'"):
        module.part("dev", seed=4, sizes=sizes)


def test_the_heldout_text_is_the_shipped_models_test_set():
    from rnnviz.data.heldout import PRETRAINED_DIR, heldout_text
    from rnnviz.models import PRETRAINED_DIR as models_dir

    assert PRETRAINED_DIR == models_dir
    reviews = heldout_text("classifier").split("\n")
    assert reviews == [r.text for r in sentiment.split(seed=0).test]
    with pytest.raises(ValueError, match="no held-out corpus for model kind 'lm'"):
        heldout_text("lm")
