"""Tokenization offsets, vocabularies and the one-hot layout of rnnviz.text."""

import json
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnnviz.text import EOS, EOS_ID, UNK, UNK_ID, Token, Vocab, tokenize_chars, tokenize_words

# Whole Unicode (minus lone surrogates, which a str read from UTF-8 cannot hold), plus a mix
# that makes the tricky categories frequent: combining marks, RTL, emoji + ZWJ, controls.
tricky = st.text(
    alphabet=st.sampled_from(list("ab Z9'’,.!_-\n\t\x00\u0301\u200d\u05d0\u0627😀👩🏽\u2028é"))
)
any_text = st.one_of(st.text(), tricky)


def _check_offsets(text: str, tokens: list[Token]) -> None:
    for tok in tokens:
        assert text[tok.start : tok.end] == tok.text
        assert tok.text
    # In order and not overlapping.
    assert all(a.end <= b.start for a, b in pairwise(tokens))


@given(any_text)
def test_char_offsets_reproduce_the_text(text):
    tokens = tokenize_chars(text)
    _check_offsets(text, tokens)
    assert "".join(t.text for t in tokens) == text


@given(any_text)
def test_word_offsets_reproduce_the_text_minus_whitespace(text):
    tokens = tokenize_words(text)
    _check_offsets(text, tokens)
    # Nothing but whitespace is dropped, and no token contains whitespace.
    assert "".join(t.text for t in tokens) == "".join(ch for ch in text if not ch.isspace())
    assert not any(ch.isspace() for t in tokens for ch in t.text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("He said, Teddy's bears!", ["He", "said", ",", "Teddy's", "bears", "!"]),
        ("O'Keeffe  painted\tflowers...", ["O'Keeffe", "painted", "flowers", ".", ".", "."]),
        ("e\u0301te\u0301 2024", ["e\u0301te\u0301", "2024"]),  # combining accents stay
        ("שלום, עולם", ["שלום", ",", "עולם"]),
        ("snake_case", ["snake", "_", "case"]),
        ("hi😀👍\x00x", ["hi", "😀", "👍", "\x00", "x"]),
        ("", []),
        (" \n\t ", []),
    ],
)
def test_tokenize_words_examples(text, expected):
    assert [t.text for t in tokenize_words(text)] == expected


def test_token_offsets_example():
    assert tokenize_words("Hi, you") == [Token("Hi", 0, 2), Token(",", 2, 3), Token("you", 4, 7)]
    assert tokenize_chars("ab") == [Token("a", 0, 1), Token("b", 1, 2)]


def test_build_orders_by_frequency_then_token():
    vocab = Vocab.build(["b a b c", "a b d"], kind="word")
    assert vocab.itos == [UNK, EOS, "b", "a", "c", "d"]
    assert vocab.stoi == {s: i for i, s in enumerate(vocab.itos)}
    assert (vocab.stoi[UNK], vocab.stoi[EOS]) == (UNK_ID, EOS_ID) == (0, 1)
    assert len(vocab) == 6


def test_build_min_count_and_max_size():
    texts = ["b a b c", "a b d"]
    assert Vocab.build(texts, kind="word", min_count=2).itos == [UNK, EOS, "b", "a"]
    assert Vocab.build(texts, kind="word", max_size=3).itos == [UNK, EOS, "b"]
    assert Vocab.build("aab", kind="char").itos == [UNK, EOS, "a", "b"]


def test_unknown_tokens_map_to_unk():
    vocab = Vocab.build("hello world", kind="word")
    ids = vocab.encode("hello brave new world 😀")
    assert ids.tolist() == [vocab.stoi["hello"], 0, 0, vocab.stoi["world"], 0]
    assert vocab.is_unk(ids).tolist() == [False, True, True, False, True]
    assert vocab.is_unk(0) is True and vocab.is_unk(2) is False
    assert vocab.decode(ids) == "hello <UNK> <UNK> world <UNK>"
    # Special-token text cannot be produced by tokenization, so it is just unknown text.
    assert vocab.encode("<UNK>").tolist() == [0, 0, 0]


def test_lowercase_vocab_folds_case_but_tokens_keep_it():
    vocab = Vocab.build(["Harry met harry"], kind="word", lowercase=True)
    assert vocab.itos == [UNK, EOS, "harry", "met"]
    assert vocab.encode("HARRY Met").tolist() == [2, 3]
    assert [t.text for t in vocab.tokens("HARRY Met")] == ["HARRY", "Met"]
    assert "HaRRy" in vocab and "potter" not in vocab
    assert Vocab.build(["Harry harry"], kind="word").encode("harry Harry").tolist() == [3, 2]


@given(any_text)
def test_char_encode_decode_round_trip(text):
    vocab = Vocab.build([text], kind="char")
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert not vocab.is_unk(ids).any()
    assert vocab.decode(ids) == text


@given(any_text)
def test_word_encode_decode_round_trip(text):
    vocab = Vocab.build([text], kind="word")
    assert vocab.decode(vocab.encode(text)) == " ".join(t.text for t in tokenize_words(text))


def test_encode_tokens_and_eos():
    vocab = Vocab.build("abc", kind="char")
    assert vocab.encode("cab", add_eos=True).tolist() == [4, 2, 3, EOS_ID]
    assert vocab.encode_tokens(["c", Token("a", 7, 8)]).tolist() == [4, 2]
    assert vocab.decode([2, EOS_ID, -1, 3]) == "a<EOS>b"  # -1 is padding: skipped
    assert vocab.encode("").shape == (0,)


def test_one_hot_layout_and_values():
    vocab = Vocab.build("abcd", kind="char")
    ids = vocab.encode("dab")
    x = vocab.one_hot(ids)
    assert x.shape == (len(vocab), 1, 3) and x.dtype == np.float32
    expected = np.zeros((6, 1, 3), dtype=np.float32)
    expected[[5, 2, 3], 0, [0, 1, 2]] = 1
    np.testing.assert_array_equal(x, expected)

    batch = np.array([[2, 3, 4], [5, -1, -1]])  # second example padded after one step
    x = vocab.one_hot(batch, dtype=np.float64)
    assert x.shape == (6, 2, 3) and x.dtype == np.float64
    np.testing.assert_array_equal(x.sum(axis=0), [[1, 1, 1], [1, 0, 0]])
    np.testing.assert_array_equal(x.argmax(axis=0)[0], batch[0])
    assert x[5, 1, 0] == 1

    with pytest.raises(ValueError):
        vocab.one_hot([6])
    with pytest.raises(ValueError):
        vocab.one_hot(np.zeros((1, 1, 1), dtype=int))


def test_to_dict_round_trip_through_json():
    vocab = Vocab.build(["Teddy bears, Teddy Roosevelt"], kind="word", lowercase=True)
    restored = Vocab.from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert restored == vocab
    assert restored.itos == vocab.itos and restored.stoi == vocab.stoi
    assert (restored.kind, restored.lowercase) == ("word", True)
    assert restored.encode("teddy ROOSEVELT?").tolist() == vocab.encode("teddy ROOSEVELT?").tolist()
    assert restored != Vocab(vocab.itos, kind="word", lowercase=False)


def test_invalid_vocabularies_are_rejected():
    with pytest.raises(ValueError):
        Vocab(["a", "b"])
    with pytest.raises(ValueError):
        Vocab([UNK, EOS, "a", "a"])
    with pytest.raises(ValueError):
        Vocab([UNK, EOS], kind="byte")
