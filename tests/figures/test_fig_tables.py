"""The pages' HTML tables (rnnviz.figures.tables): user text only ever as text, numbers exact."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from rnnviz.figures.tables import CLASS, read_table, table_html

HOSTILE = ["<img src=x onerror=alert(1)>", "www.x.com", "http://a.b", ":material/home:",
           "**b**", "[x](javascript:alert(1))", "$x^2$", ":red[x]", "a\nb", "&amp;", "<UNK>",
           "日本", "\u202e", "it's \"q\""]


def _cells(markup: str) -> list[str]:
    return re.findall(r"<t[dh](?: [^>]*)?>(.*?)</t[dh]>", markup)


def test_every_character_but_ascii_letters_and_digits_is_an_entity():
    markup = table_html(pd.DataFrame({"token <b>": HOSTILE, "t": range(len(HOSTILE))}))
    for cell in _cells(markup):
        # Between the entities only ASCII letters and digits are left.
        assert re.fullmatch(r"(?:&#\d+;|[A-Za-z0-9])*", cell), cell
    # nothing a user typed is left raw: no tag, no Markdown, no line break (one HTML block)
    body = markup[markup.index(f'<div class="{CLASS}"'):]
    for raw in ("<img", "<b>", "**", "[x]", "](", "$x", ":material", "www.", "http:", "\n"):
        assert raw not in body, raw
    assert "\n" not in markup and "\n\n" not in markup


def test_read_table_gives_back_the_text_and_the_exact_numbers():
    df = pd.DataFrame({"token": HOSTILE[:4], "p": [1 / 3, 2e-9, -0.5, float("nan")],
                       "i": np.array([1, 20, 300, 4000], dtype=np.int64)})
    markup = table_html(df, {"p": "%.2f"})
    (back,) = read_table(markup)
    assert list(back.columns) == ["token", "p", "i"]
    assert list(back.token) == HOSTILE[:4]
    assert back.p.tolist()[:3] == [1 / 3, 2e-9, -0.5] and math.isnan(back.p.iloc[3])
    assert back.i.tolist() == [1, 20, 300, 4000]
    # the page shows the formatted value; NaN as a dash
    shown = [re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), c) for c in _cells(markup)]
    assert shown[4] == "0.33" and shown[7] == "0.00" and shown[13] == "—"
    assert 'data-v="0.3333333333333333"' in markup and 'data-v="4000"' in markup


def test_formats_defaults_alignment_and_height():
    rows = [{"model": "RNN", "r": 0.123456, "n": 3, "mixed": "—"},
            {"model": "GRU", "r": 2.0, "n": 10, "mixed": 0.5}]
    markup = table_html(rows, {"n": "%03d"}, height=250)
    shown = [re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), c) for c in _cells(markup)]
    # header, then the rows: floats 4 decimals by default, ints as they are or formatted
    assert shown == ["model", "r", "n", "mixed", "RNN", "0.1235", "003", "—",
                     "GRU", "2.0000", "010", "0.5000"]
    # numeric columns (and their headers) right-aligned; a column of text and numbers is not
    assert re.findall(r"<th( class=\"n\")?>", markup) == ["", ' class="n"', ' class="n"', ""]
    assert 'style="max-height:250px"' in markup
    assert "max-height" not in table_html(rows)
    # a long text wraps, a token does not
    assert '<td class="w">' in table_html([{"text": "x" * 41}])
    assert '<td class="w">' not in table_html([{"text": "x" * 40}])


def test_two_tables_in_one_markup_and_an_empty_one():
    markup = table_html([{"a": 1}]) + "<p>between</p>" + table_html(pd.DataFrame({"b": []}))
    first, second = read_table(markup)
    assert first.a.tolist() == [1]
    assert list(second.columns) == ["b"] and len(second) == 0


def test_text_html_shows_any_text_as_text_and_reads_back():
    """A sample or a word as it is: every character an entity (markup, Markdown, newlines),
    one line of Markdown, read back exactly (`read_text`)."""
    from rnnviz.figures.tables import TEXT_CLASS, read_text, text_html

    hostile = "<img src=x onerror=alert(1)> *b* `c` $x$ :material/home:\n\nnext & line "
    html = text_html(hostile)
    assert "\n" not in html and "<img" not in html and "*" not in html and "`" not in html
    assert html.startswith(f'<div class="{TEXT_CLASS}"')
    assert read_text(html) == [hostile]
    assert read_text(text_html("one") + "<p>between</p>" + text_html("two")) == ["one", "two"]
    assert read_text("<div>no text block</div>") == []


def test_a_table_of_prose_wraps_every_text_cell():
    """wrap=True: every text cell may wrap (Forward's shapes fit 1024 px); by default only
    cells over 40 characters do, and numbers never."""
    from rnnviz.figures.tables import table_html

    rows = [{"array": "x<t>", "meaning": "one-hot input at step t", "n": 3},
            {"array": "W_y", "meaning": "x" * 41, "n": 4}]
    assert table_html(rows).count('<td class="w">') == 1
    assert table_html(rows, wrap=True).count('<td class="w">') == 4
    assert '<td class="n" data-v="3">' in table_html(rows, wrap=True)
