"""Small tables as HTML: what the pages show where a table is read, not explored.

`st.dataframe` draws its grid on a canvas and updates the grid's hidden accessible table
100–200 ms after the rest of the page, on every edit (measured: an edit on the Vanishing page
361 → 254 ms, Units 490 → 357 ms with the grid replaced; docs/benchmarks.md, stop 24).
`st.table` renders every cell as Markdown, so a token such as ``www.x.com`` or
``:material/home:`` would come out as a link or an icon. This table is one HTML element:
every character of every cell but ASCII letters and digits is a numeric entity (`_text`),
so the text is only ever text, in HTML and in Markdown alike.

Each numeric cell also carries its exact value (`data-v`, Python's repr), so a test reads the
numbers the page computed, not their rounded display (`read_table`).
"""

from __future__ import annotations

from html.parser import HTMLParser
from numbers import Number

import numpy as np
import pandas as pd

from rnnviz.figures.safe_text import escape_all

CLASS = "rnnviz-table"
# Scoped to the table's class, specific enough to win over the Markdown container's own table
# style; the colours are those of Streamlit's light theme.
_T, _C = f"div.{CLASS}>table", f"div.{CLASS}>table>*>tr>"
_STYLE = (
    f"<style>div.{CLASS}{{overflow:auto;margin:0 0 1rem 0;"
    "border:1px solid rgba(49,51,63,0.1);border-radius:0.5rem}"
    f"{_T}{{border-collapse:collapse;width:100%;font-size:0.875rem;margin:0;border:none}}"
    f"{_C}th,{_C}td{{padding:0.15rem 0.5rem;line-height:1.5;border:none;border-bottom:1px "
    "solid rgba(49,51,63,0.1);text-align:left;vertical-align:top;white-space:nowrap}"
    f"{_C}th{{position:sticky;top:0;background:#f8f9fb;font-weight:600;z-index:1;"
    "white-space:normal}"
    f"{_C}.n{{text-align:right;font-variant-numeric:tabular-nums}}"
    f"{_C}td.w{{white-space:normal}}</style>"
)


def _text(s: str) -> str:
    """ASCII letters and digits as they are, every other character a numeric entity
    (`rnnviz.figures.safe_text.escape_all`): letters and digits alone form no markup, in HTML
    or in Markdown, and the table stays a sixth of the size."""
    return "".join(ch if ch.isascii() and ch.isalnum() else f"&#{ord(ch)};" for ch in s)


def _is_number(v) -> bool:
    return isinstance(v, Number | np.number) and not isinstance(v, bool | np.bool_)


def _cell(v, fmt: str | None, wrap_all: bool = False) -> str:
    if not _is_number(v):
        # a sentence wraps, a token not (unless every cell may: a table of prose)
        wrap = ' class="w"' if wrap_all or len(str(v)) > 40 else ""
        return f"<td{wrap}>{_text(str(v))}</td>"
    if isinstance(v, float | np.floating):
        exact = repr(float(v))
        shown = "—" if np.isnan(v) else (fmt % v if fmt else f"{v:.4f}")
    else:
        exact = str(int(v))
        shown = fmt % v if fmt else exact
    return f'<td class="n" data-v="{exact}">{_text(shown)}</td>'


def table_html(rows, formats: dict | None = None, height: int | None = None,
               wrap: bool = False) -> str:
    """`rows` (a DataFrame, or a list of dicts, one per row) as one HTML table without its
    index, on one line (a blank line would end Markdown's HTML block). formats: printf-style
    formats of numeric columns ({"column": "%.4f"}); other floats show 4 decimals, NaN "—".
    height: the table scrolls (its header stays) beyond this many pixels. wrap: every text
    cell may wrap (default: only those over 40 characters), so a table of prose fits a
    narrow column instead of scrolling sideways."""
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    formats = formats or {}
    numeric = {c: len(df) > 0 and all(_is_number(v) for v in df[c]) for c in df.columns}
    head = "".join(("<th class=\"n\">" if numeric[c] else "<th>") + f"{_text(str(c))}</th>"
                   for c in df.columns)
    body = "".join(
        "<tr>" + "".join(_cell(v, formats.get(c), wrap)
                         for c, v in zip(df.columns, row, strict=True))
        + "</tr>" for row in df.itertuples(index=False, name=None))
    box = f' style="max-height:{int(height)}px"' if height else ""
    return (f'{_STYLE}<div class="{CLASS}"{box}><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self._row, self._cell, self._v = [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and CLASS in (a.get("class") or "").split():
            self.tables.append({"head": [], "rows": []})
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell, self._v = [], a.get("data-v")

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            text = "".join(self._cell)
            value = text if self._v is None else (
                int(self._v) if self._v.lstrip("-").isdigit() else float(self._v))
            self._row.append((tag, value))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            t = self.tables[-1]
            if self._row and all(kind == "th" for kind, _ in self._row):
                t["head"] = [v for _, v in self._row]
            else:
                t["rows"].append([v for _, v in self._row])
            self._row = None


def read_table(markup: str) -> list[pd.DataFrame]:
    """The tables `table_html` wrote into `markup`, as DataFrames of what they show: text as
    text, numbers as the exact values they were made from (their `data-v`)."""
    reader = _Reader()
    reader.feed(markup)
    return [pd.DataFrame(t["rows"], columns=t["head"]) for t in reader.tables]


# -- text shown as it is (a sample, a word) ------------------------------------------------------

TEXT_CLASS = "rnnviz-text"
_TEXT_STYLE = ("white-space:pre-wrap;overflow-wrap:anywhere;margin:0 0 1rem 0;"
               "padding:0.75rem 1rem;border-radius:0.5rem;background:#f0f2f6;"
               "font-family:'Source Code Pro',ui-monospace,monospace;font-size:0.875rem;"
               "line-height:1.6")


def text_html(text: str) -> str:
    """`text` as it is, in a wrapping monospace block: every character a numeric entity
    (newlines too, so it stays one line of Markdown and one HTML block).

    For text that is not code (a generated sample, a word). `st.code` would show it as well,
    but makes a page's first visit load Streamlit's syntax highlighter (1.5 MB of JavaScript)
    and a second font."""
    return f'<div class="{TEXT_CLASS}" style="{_TEXT_STYLE}">{escape_all(str(text))}</div>'


class _TextReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts, self._depth = [], 0

    def handle_starttag(self, tag, attrs):
        if self._depth:
            self._depth += 1
        elif tag == "div" and TEXT_CLASS in (dict(attrs).get("class") or "").split():
            self.texts.append("")
            self._depth = 1

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.texts[-1] += data


def read_text(markup: str) -> list[str]:
    """The texts of every `text_html` block in `markup`, as they were given."""
    reader = _TextReader()
    reader.feed(markup)
    return reader.texts


__all__ = ["CLASS", "TEXT_CLASS", "read_table", "read_text", "table_html", "text_html"]
