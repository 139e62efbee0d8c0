"""rnnviz.units: interpretable units, select-and-search, gate saturation, two texts.

Every expected value is computed here independently: np.corrcoef for r, a loop over units and
steps for the "on" pattern, a brute-force scan of every span for the search, a hand-set LSTM
whose unit 0 counts open parentheses.
"""

import numpy as np
import pytest

import rnnviz
from rnnviz import units as U
from rnnviz.core.model import Model, RNNConfig
from rnnviz.models import LanguageModel, random_model
from rnnviz.text import SPECIALS, Vocab

TEXT = ('Return (a copy) of the "list".\nThe function f(x) adds `x` to 42 items.\n\n'
        'Raise ValueError (when it is empty).\n')


def shipped(name):
    """A shipped model in use (the one place tests load one)."""
    return rnnviz.load_pretrained(name)


def random_lm(cell="lstm", n_a=16, bidirectional=False, seed=0, init_scale=1.5):
    return random_model(cell=cell, n_a=n_a, bidirectional=bidirectional, seed=seed,
                        init_scale=init_scale, dtype="float64")


def paren_counter(n_a=6, seed=0):
    """An LSTM whose unit 0 adds 1 to c<t> at '(' and subtracts 1 at ')': Γf = Γu = Γo ≈ 1,
    c̃<t> = tanh(±10) on the parentheses and tanh(0) = 0 elsewhere, so c<t> is the depth.
    The other units get random weights (they must not beat unit 0)."""
    vocab = Vocab([*SPECIALS, *"abcdefghijklmnopqrstuvwxyz ().\n"], kind="char")
    n_x = len(vocab)
    cfg = RNNConfig(cell="lstm", n_x=n_x, n_a=n_a, n_y=n_x, dtype="float64")
    net = Model.init(cfg, rng=np.random.default_rng(seed))
    p = {k: np.array(v, dtype=np.float64) for k, v in net.params.items()}
    for gate in ("Wf", "Wi", "Wo", "Wc"):
        p[gate][0, :] = 0.0
    p["bf"][0] = p["bi"][0] = p["bo"][0] = 20.0        # σ(20) = 1 - 2e-9: keep, write, show
    p["bc"][0] = 0.0
    p["Wc"][0, n_a + vocab.stoi["("]] = 10.0
    p["Wc"][0, n_a + vocab.stoi[")"]] = -10.0
    return LanguageModel("parens", Model(cfg, p), vocab, start_id=None)


def corr(u, f):
    return np.corrcoef(np.asarray(u, np.float64), np.asarray(f, np.float64))[0, 1]


def test_the_four_functions_are_exported():
    for name in ("unit_scores", "select_units", "search_pattern", "gate_saturation"):
        assert getattr(rnnviz, name) is getattr(U, name) and name in rnnviz.__all__


# -- features --------------------------------------------------------------------------------


def test_builtin_char_features_by_hand():
    text = 'ab (c)\n"d" `e`\n\nX9'
    spans = [(i, i + 1) for i in range(len(text))]
    f = U.builtin_features(text, spans, "char")
    assert f["line_position"].tolist() == [1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 1, 2]
    assert f["word_position"].tolist() == [1, 2, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0]
    assert f["inside_parentheses"].tolist()[:7] == [0, 0, 0, 1, 1, 0, 0]
    assert f["inside_quotes"].tolist()[6:11] == [0, 1, 1, 0, 0]
    assert f["inside_backticks"].tolist()[10:15] == [0, 1, 1, 0, 0]
    assert f["is_space"].tolist()[:4] == [0, 0, 1, 0]
    assert f["is_upper"][16] == 1 and f["is_digit"][17] == 1 and f["is_digit"][16] == 0
    assert f["after_newline"].tolist()[6:9] == [0, 1, 0]
    assert f["after_newline"][15] == 1 and f["after_newline"][16] == 1


def reference_char_features(text):
    """The built-in char features, one character at a time (an independent loop)."""
    out = {k: [] for k in U.CHAR_FEATURES}
    line = word = depth = 0
    quote = tick = False
    prev = "\n"
    for t, c in enumerate(text):
        if c == "\n" and prev == "\n":
            depth, quote, tick = 0, False, False
        line = 0 if c == "\n" else line + 1
        word = word + 1 if c.isalpha() else 0
        depth = depth + 1 if c == "(" else max(depth - 1, 0) if c == ")" else depth
        quote = not quote if c == '"' else quote
        tick = not tick if c == "`" and prev != "`" else tick
        for k, v in (("line_position", line), ("word_position", word),
                     ("inside_parentheses", depth > 0), ("inside_quotes", quote),
                     ("inside_backticks", tick), ("is_space", c == " "),
                     ("is_upper", c.isupper()), ("is_digit", c.isdigit()),
                     ("after_newline", t > 0 and prev == "\n")):
            out[k].append(float(v))
        prev = c
    return out


def test_char_features_match_a_loop_on_random_text():
    rng = np.random.default_rng(0)
    alphabet = list("ab Z9()\"`\n\n.é") + ["\u202e"]
    text = "".join(rng.choice(alphabet, size=3000))
    f = U.builtin_features(text, [(i, i + 1) for i in range(len(text))], "char")
    ref = reference_char_features(text)
    for k in U.CHAR_FEATURES:
        np.testing.assert_array_equal(f[k], ref[k], err_msg=k)
    assert f["inside_parentheses"].sum() > 100 and f["inside_backticks"].sum() > 100


def test_unbalanced_bracket_closes_at_a_blank_line():
    text = "a (b\n\nc"
    f = U.builtin_features(text, [(i, i + 1) for i in range(len(text))], "char")
    assert f["inside_parentheses"].tolist() == [0, 0, 1, 1, 1, 0, 0]


def test_word_features():
    m = shipped("ner-lstm")
    text = "Yesterday, Matthew met Edward Reed. he left.\nAnna sings"
    toks = m.vocab.tokens(text)
    f = U.builtin_features(text, [(t.start, t.end) for t in toks], "word")
    words = [t.text for t in toks]
    assert words[:3] == ["Yesterday", ",", "Matthew"]
    assert f["sentence_position"].tolist() == [1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 1, 2]
    assert f["capitalised"].tolist() == [1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0]
    assert f["is_punctuation"].tolist() == [0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]


def test_regex_feature_marks_tokens_inside_a_match():
    text = "see foo(bar) and foo(x)"
    spans = [(i, i + 1) for i in range(len(text))]
    f = U.regex_feature(text, spans, r"foo\(\w+\)")
    expected = np.zeros(len(text))
    expected[4:12] = 1
    expected[17:23] = 1
    np.testing.assert_array_equal(f, expected)
    with pytest.raises(ValueError, match="regular expression"):
        U.regex_feature(text, spans, "(")


# -- the corpus trace ------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_short_text_is_the_models_own_trace(cell):
    m = random_lm(cell)
    keys = [k for k in U.trace_keys(m) if k not in ("x", "z_y", "y_hat")]
    c = U.corpus_trace(m, TEXT, keys)
    tr = m.trace(TEXT)
    assert c.method == "exact"
    for k in keys:
        np.testing.assert_allclose(c[k], tr[k][:, 0, :], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell,bidirectional", [("lstm", False), ("gru", False),
                                                ("rnn", False), ("lstm", True)])
def test_streams_with_a_full_warmup_are_one_pass(cell, bidirectional):
    """With warm-up ≥ N every stream reads everything before (and, bidirectional, after) its
    kept part: stitching the streams must give exactly the one-pass trace."""
    m = random_lm(cell, bidirectional=bidirectional)
    text = TEXT * 3
    ref = m.trace(text)
    c = U.corpus_trace(m, text, ("a", "a_bwd") if bidirectional else ("a",),
                       warmup=len(text), stream_length=37, exact_max=0)
    assert c.method == "streams" and c.streams == -(-c.N // 37)
    np.testing.assert_allclose(c["a"], ref["a"][:, 0, :], rtol=1e-5, atol=1e-6)
    if bidirectional:
        np.testing.assert_allclose(c["a_bwd"], ref["a_bwd"][:, 0, :], rtol=1e-5, atol=1e-6)


def test_streams_with_a_short_warmup_differ_only_after_stream_starts():
    """A random LSTM at init scale 1 forgets fast: with a 64-token warm-up the stitched trace
    is close to the carried pass, and exactly equal on the first stream (read from a<0>, like
    the pass)."""
    m = random_lm("lstm", n_a=32, seed=3, init_scale=1.0)
    text = TEXT * 12
    ref = m.trace(text)["a"][:, 0, :]
    c = U.corpus_trace(m, text, ("a",), warmup=64, stream_length=200, exact_max=0)
    np.testing.assert_allclose(c["a"][:, :200], ref[:, :200], rtol=1e-5, atol=1e-6)
    assert np.abs(c["a"] - ref).mean() < 1e-4
    # Without a warm-up the streams start from a<0> = 0: clearly wrong right after a start.
    cold = U.corpus_trace(m, text, ("a",), warmup=0, stream_length=200, exact_max=0)
    assert np.abs(cold["a"][:, 200] - ref[:, 200]).max() > 1e-2
    assert np.abs(cold["a"] - ref).mean() > 10 * np.abs(c["a"] - ref).mean()


def test_a_shipped_lm_starts_every_stream_primed():
    m = shipped("char-lm-gru")
    text = TEXT * 4
    ref = m.trace(text)["a"][:, 0, :]
    c = U.corpus_trace(m, text, ("a",), warmup=len(text), stream_length=100, exact_max=0)
    np.testing.assert_allclose(c["a"], ref, rtol=1e-4, atol=1e-5)


def test_word_level_models_read_each_line_alone():
    m = shipped("ner-bilstm")
    lines = ["Yesterday, Matthew met Edward Reed.", "Anna sings.", "Paris is big today."]
    c = U.corpus_trace(m, "\n".join(lines), ("a", "a_fwd"))
    assert c.method == "lines" and c.streams == 3
    got = c["a_fwd"]
    pos = 0
    for line in lines:
        ref = m.trace(line)["a_fwd"][:, 0, :]
        np.testing.assert_allclose(got[:, pos:pos + ref.shape[1]], ref, rtol=1e-5, atol=1e-6)
        pos += ref.shape[1]
    assert pos == c.N


def test_word_level_scores_use_word_features():
    m = shipped("ner-lstm")
    text = "Yesterday, Matthew met Edward Reed.\nAnna sings today.\nParis is big."
    c = U.corpus_trace(m, text, ("a",))
    s = U.unit_scores(c)
    assert list(dict.fromkeys(s.feature)) == list(U.WORD_FEATURES)
    V = m.trace(text.split("\n")[0])["a"][:, 0, :]
    np.testing.assert_allclose(c["a"][:, :V.shape[1]], V, rtol=1e-5, atol=1e-6)
    row = s[s.feature == "capitalised"].iloc[0]
    assert row.score == pytest.approx(corr(c["a"][row.unit], c.features["capitalised"]),
                                      abs=2e-4)


def test_unknown_quantity_and_empty_text_are_clear_errors():
    m = random_lm("gru")
    with pytest.raises(ValueError, match="not a quantity of this model"):
        U.corpus_trace(m, TEXT, ("gamma_f",))
    with pytest.raises(ValueError, match="no tokens"):
        U.corpus_trace(m, "", ("a",))
    c = U.corpus_trace(m, TEXT, ("a",))
    with pytest.raises(KeyError, match="gamma_u"):
        U.unit_scores(c, "gamma_u")
    assert not c["a"].flags.writeable


# -- unit scores -----------------------------------------------------------------------------


def test_hand_set_parenthesis_counter_comes_first():
    m = paren_counter()
    text = ("see (this) and (that one). more text (with words) here.\n"
            "no brackets on this line. then (a short one) and (another).\n") * 3
    c = U.corpus_trace(m, text, ("c", "a"))
    s = U.unit_scores(c, "c")
    best = U.top_units(s).set_index("feature").loc["inside_parentheses"]
    assert best["unit"] == 0 and best["score"] >= 0.95
    # Also through a<t> = Γo tanh(c<t>), and as a custom depth feature on nested text.
    s_a = U.unit_scores(c, "a", U.feature_matrix(c, ["inside_parentheses"]))
    assert s_a.iloc[0]["unit"] == 0 and s_a.iloc[0]["score"] >= 0.95
    nested = "a (b (c) d) e (f) g ((h)) i.\n" * 4
    depth = np.cumsum([{"(": 1, ")": -1}.get(ch, 0) for ch in nested])
    s_d = U.unit_scores(U.corpus_trace(m, nested, ("c",)), "c", {"depth": depth})
    assert s_d.iloc[0]["unit"] == 0 and s_d.iloc[0]["score"] >= 0.99


def test_unit_scores_match_np_corrcoef():
    m = random_lm("gru", n_a=12, seed=1)
    text = TEXT * 2
    c = U.corpus_trace(m, text, ("a",))
    s = U.unit_scores(c)
    V = m.trace(text)["a"][:, 0, :]
    for name, f in c.features.items():
        rows = s[s.feature == name]
        assert list(np.abs(rows.score)) == sorted(np.abs(rows.score), reverse=True)
        for _, row in rows.iterrows():
            assert row.score == pytest.approx(corr(V[row.unit], f), abs=2e-4)
    noise = np.random.default_rng(0).normal(size=c.N)
    s2 = U.unit_scores(c, "a", {**U.feature_matrix(c, patterns={"vowel": "[aeiou]"}),
                                "noise": noise})
    assert list(dict.fromkeys(s2.feature)) == [*c.features, "vowel", "noise"]
    vowel = np.array([ch in "aeiou" for ch in text], dtype=float)
    got = s2[s2.feature == "vowel"].set_index("unit").score
    for u in range(12):
        assert got[u] == pytest.approx(corr(V[u], vowel), abs=2e-4)
    got = s2[s2.feature == "noise"].set_index("unit").score
    assert got[3] == pytest.approx(corr(V[3], noise), abs=2e-4)


def test_constant_feature_has_no_score_and_bad_features_say_so():
    m = random_lm("rnn")
    c = U.corpus_trace(m, "abc abc abc", ("a",))
    s = U.unit_scores(c, "a", U.feature_matrix(c, ["is_digit", "is_space"]))
    assert s[s.feature == "is_digit"].score.isna().all()
    assert s[s.feature == "is_space"].score.notna().all()
    assert U.constant_features(s) == ["is_digit"]
    table = U.top_units_table(s, 2)
    assert table[table.feature == "is_digit"].r.tolist() == ["—", "—"]
    r = s[s.feature == "is_space"].score.iloc[0]
    assert table[table.feature == "is_space"].r.iloc[0] == f"{r:+.3f}"
    with pytest.raises(ValueError, match="unknown feature"):
        U.feature_matrix(c, ["nope"])
    with pytest.raises(ValueError, match="values"):
        U.unit_scores(c, "a", {"x": np.array([1.0, 2.0])})
    with pytest.raises(ValueError, match="regular expression"):
        U.feature_matrix(c, [], {"bad": "("})


# -- select and search -----------------------------------------------------------------------


def direct_on_units(V, start, end, th):
    out = []
    for u in range(V.shape[0]):
        inside = all(V[u, t - 1] >= th for t in range(start, end + 1))
        left = start == 1 or V[u, start - 2] < th
        right = end == V.shape[1] or V[u, end] < th
        if inside and left and right:
            out.append(u)
    return out


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_select_units_against_numpy(cell):
    m = random_lm(cell, n_a=24, seed=2)
    V = m.trace(TEXT)["a"][:, 0, :]
    c = U.corpus_trace(m, TEXT, ("a",))
    T = V.shape[1]
    seen = 0
    for start, end in [(1, 1), (1, 3), (5, 9), (T - 2, T), (T, T), (20, 20)]:
        for th in (0.0, 0.2, 0.4):
            got = U.select_units(c, start, end, th)
            assert got.tolist() == direct_on_units(V, start, end, th)
            seen += len(got)
    assert seen > 0
    with pytest.raises(ValueError, match="start ≤ end"):
        U.select_units(c, 5, 3)
    with pytest.raises(ValueError, match="T_x"):
        U.select_units(c, 1, T + 1)


def brute_force_matches(V, units, th, ends="all"):
    N = V.shape[1]
    on = V[units] >= th
    off_outside = (lambda t: not on[:, t].any()) if ends == "all" else (
        lambda t: not on[:, t].all())
    out = set()
    for s in range(N):
        for e in range(s, N):
            if not on[:, s:e + 1].all():
                break
            if (s == 0 or off_outside(s - 1)) and (e == N - 1 or off_outside(e + 1)):
                out.add((s + 1, e + 1))
    return out


def test_search_pattern_finds_exactly_the_brute_force_spans():
    m = random_lm("lstm", n_a=20, seed=4)
    c = U.corpus_trace(m, TEXT * 2, ("a",))
    V = np.asarray(c["a"], np.float64)
    for units, th, ends in [([0], 0.1, "all"), ([4], 0.0, "all"), ([2, 3], -0.1, "all"),
                            ([0, 6], 0.0, "all"), ([1, 5], -0.1, "any"),
                            ([2, 3, 7], -0.1, "any"), ([0, 6], 0.1, "any")]:
        res = U.search_pattern(c, units, th, ends=ends)
        expected = brute_force_matches(V, units, th, ends)
        assert set(zip(res.start, res.end, strict=True)) == expected and expected
        mu, sd = V.mean(axis=1), V.std(axis=1)
        for r in res.itertuples():
            s, e = int(r.start) - 1, int(r.end) - 1
            others = [u for u in range(V.shape[0]) if u not in units
                      and (V[u, s:e + 1] >= th).all()
                      and (s == 0 or V[u, s - 1] < th) and (e == c.N - 1 or V[u, e + 1] < th)]
            assert r.others == len(others)
            z = np.mean([(V[u, s:e + 1].mean() - mu[u]) / sd[u] for u in units])
            assert r.specificity == pytest.approx(z, abs=1e-4)
            assert r.score == pytest.approx(z * len(units) / (len(units) + len(others)),
                                            abs=1e-4)
            assert (r.char_start, r.char_end) == (c.spans[s, 0], c.spans[e, 1])
        key = list(zip(-np.round(res.score, 2), -res.length, res.start, strict=True))
        assert key == sorted(key)


def test_search_finds_the_selected_span_in_a_long_corpus():
    m = shipped("char-lm-lstm")
    corpus = U.corpus_trace(m, TEXT * 60, ("a",), warmup=128, stream_length=400)
    assert corpus.method == "streams"
    found = 0
    spans = [(s, s + n) for s in range(150, corpus.N - 10, 433) for n in (0, 1, 3)]
    for start, end in spans:
        units = U.select_units(corpus, start, end, 0.2)
        if units.size == 0:
            continue
        res = U.search_pattern(corpus, units, 0.2)
        hit = res[(res.start == start) & (res.end == end)]
        assert len(hit) == 1 and hit.others.iloc[0] == 0     # every unit on there was chosen
        found += 1
    assert found >= 5


def test_search_in_the_same_sentence_finds_the_query():
    m = shipped("char-lm-gru")
    sentence = "The cat, which already ate a lot of food, was full."
    c = U.corpus_trace(m, sentence, ("a",))
    for start, end in [(5, 7), (10, 14), (45, 48)]:
        units = U.select_units(c, start, end, 0.2)
        if units.size:
            res = U.search_pattern(c, units, 0.2)
            assert ((res.start == start) & (res.end == end)).any()
    with pytest.raises(ValueError, match="at least one unit"):
        U.search_pattern(c, [])


# -- gate saturation -------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_gate_saturation_against_numpy(cell):
    m = random_lm(cell, n_a=10, seed=5)
    sat = U.gate_saturation(m, U.corpus_trace(m, TEXT, U.saturation_keys(m)))
    tr = m.trace(TEXT)
    expected = {"rnn": ["a"], "gru": ["gamma_u", "gamma_r"],
                "lstm": ["gamma_f", "gamma_u", "gamma_o"]}[cell]
    assert sorted(sat.quantity.unique()) == sorted(expected)
    lo, hi = (-0.9, 0.9) if cell == "rnn" else (0.1, 0.9)
    for k in expected:
        V = tr[k][:, 0, :]
        rows = sat[sat.quantity == k].set_index("unit")
        np.testing.assert_allclose(rows.below, (V < lo).mean(axis=1))
        np.testing.assert_allclose(rows.above, (V > hi).mean(axis=1))
    assert (sat.below + sat.above <= 1 + 1e-12).all()


# -- corpora and two texts -------------------------------------------------------------------


def test_corpus_input_checks():
    assert U.read_corpus_bytes("héllo".encode()) == "héllo"
    with pytest.raises(ValueError, match="not UTF-8"):
        U.read_corpus_bytes(b"caf\xe9")
    with pytest.raises(ValueError, match="limit is 1,000,000"):
        U.read_corpus_bytes(b"a" * 1_000_001)
    with pytest.raises(ValueError, match="NUL"):
        U.read_corpus_bytes(b"a\x00b")
    with pytest.raises(ValueError, match="empty"):
        U.check_corpus_text("   \n")
    assert U.corpus_id("abc") == U.corpus_id("abc") != U.corpus_id("abd")


def test_compare_texts_aligns_tokens():
    m = shipped("char-lm-lstm")
    a, b = U.PRESETS["Agreement (cat ... was / cats ... were)"]
    cmp = U.compare_texts(m, a, b)
    gaps = [(i, j) for i, j in cmp.pairs if i is None or j is None]
    assert (None, 7) in gaps                               # the "s" of "cats"
    # Same characters read from the same state: identical until the first difference.
    assert np.all(cmp.distance[:7] == 0)
    col = cmp.pairs.index((8, 9))                          # the ',' after cat / cats
    A, B = m.trace(a)["a"][:, 0, :], m.trace(b)["a"][:, 0, :]
    assert cmp.distance[col] == pytest.approx(np.linalg.norm(A[:, 8] - B[:, 9]), rel=1e-5)
    assert cmp.distance[col] > 0
    mad = np.abs(A[:, [i for i, j in cmp.pairs if i is not None and j is not None]]
                 - B[:, [j for i, j in cmp.pairs if i is not None and j is not None]]).mean(1)
    assert cmp.top.unit.iloc[0] == int(np.argmax(mad))


def test_lstm_counts_line_position_and_the_rnn_does_not():
    """The issue's finding on held-out text (first 12 000 characters of the valid split)."""
    _, text = U.heldout_corpus("char_lm")
    text = text[:12_000]
    best = {}
    for name in ("char-lm-rnn", "char-lm-lstm"):
        m = shipped(name)
        q = "c" if "lstm" in name else "a"
        c = U.corpus_trace(m, text, (q,))
        s = U.unit_scores(c, q, U.feature_matrix(c, ["line_position"]))
        best[name] = abs(s.score.iloc[0])
    assert best["char-lm-lstm"] > 0.7
    assert best["char-lm-rnn"] < best["char-lm-lstm"] - 0.3


def test_a_shipped_stacked_lm_reads_a_corpus_from_its_own_start_state():
    """char-lm-gru-2layer has a learned a<0> per layer, (layers, n_a, 1): every stream and
    every line starts from it, as one carried pass does."""
    m = shipped("char-lm-gru-2layer")
    assert m.state0 is not None and np.asarray(m.state0.a).shape[0] == 2
    c = U.corpus_trace(m, TEXT, ("a", "a@1"))
    trace = m.trace(TEXT)
    np.testing.assert_allclose(c["a"], trace["a"][:, 0, :], atol=1e-5)
    np.testing.assert_allclose(c["a@1"], trace.layer(1)["a"][:, 0, :], atol=1e-5)
    long = U.corpus_trace(m, TEXT * 8, ("a",), warmup=len(TEXT) * 8, stream_length=300,
                          exact_max=0)
    assert long.method == "streams" and long.streams > 1
    np.testing.assert_allclose(long["a"], m.trace(TEXT * 8)["a"][:, 0, :], atol=1e-4)


def test_lower_layers_of_a_stacked_model_are_quantities_too():
    """"a@1" is a^[1]<t>, layer 1's a; "a" is the top layer's."""
    from rnnviz.core.model import Model, RNNConfig
    from rnnviz.core.trace import symbol
    from rnnviz.models import LanguageModel, random_vocab

    vocab = random_vocab()
    cfg = RNNConfig(cell="lstm", n_x=len(vocab), n_a=6, n_y=len(vocab), layers=2)
    lm = LanguageModel("two-layer", Model.init(cfg, rng=np.random.default_rng(3)), vocab, {},
                start_id=None)
    text = "print(len(x))\nif (a and (b or c)):\n    pass\n" * 3
    assert {"a@1", "c@1", "gamma_f@1"} <= set(U.trace_keys(lm))
    assert symbol("a@1") == "a^[1]<t>" and symbol("gamma_f@1") == "Γf^[1]<t>"
    trace = lm.trace(text)
    corpus = U.corpus_trace(lm, text, ("a@1", "a"))
    np.testing.assert_allclose(corpus["a@1"], trace.layer(1)["a"][:, 0, :], atol=1e-5)
    np.testing.assert_allclose(corpus["a"], trace["a"][:, 0, :], atol=1e-5)
    scores = U.unit_scores(corpus, "a@1")
    row = scores[scores.feature == "line_position"].iloc[0]
    feature = corpus.features["line_position"]
    expected = np.corrcoef(trace.layer(1)["a"][int(row.unit), 0, :], feature)[0, 1]
    assert row.score == pytest.approx(expected, abs=1e-4)
