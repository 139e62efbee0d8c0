"""User text and the course's symbols made safe and visible: for Plotly, for HTML, for plain
text.

Plotly draws text through a small HTML-like markup (``<br>``, ``<b>``, ``<a href>``), so the
course's ``a<t>`` would vanish as an unknown tag and user text could add links or styling.
Every string that reaches a figure goes through `plotly_text` (symbols, tokens) first; text
for an HTML element goes through `escape_all` (every character an entity); characters that
print as nothing or reorder what follows (spaces, controls, bidi overrides) get a visible
stand-in (`visible_char`).
"""

from __future__ import annotations

import unicodedata

from rnnviz.core.trace import symbol as _symbol

# Visible stand-ins for characters that would otherwise print as nothing.
_VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


def escape_plotly(s: str) -> str:
    """Escape Plotly's markup characters: `&`, `<`, `>` become entities."""
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def visible_char(ch: str) -> str:
    """A printable stand-in for one code point: "␣" for a space, "U+202E" for a bidi control."""
    if ch in _VISIBLE:
        return _VISIBLE[ch]
    cat = unicodedata.category(ch) if len(ch) == 1 else ""
    # Control, format (bidi overrides, zero-width joiners), separators, unassigned, surrogates.
    if cat in ("Cc", "Cf", "Zl", "Zp", "Cn", "Cs", "Co"):
        return f"U+{ord(ch):04X}"
    return ch


def visible_token(tok: str) -> str:
    """A token with every invisible or direction-changing character made visible."""
    if tok.startswith("<") and tok.endswith(">") and len(tok) > 2:    # <UNK>, <EOS>
        return tok
    if tok.startswith("⟨") and tok.endswith("⟩"):
        return tok
    return "".join(visible_char(ch) for ch in tok) if tok else "∅"


def plotly_text(s: str, max_len: int | None = None) -> str:
    """Any text for a Plotly label, title or hover: escaped, cut to `max_len` with "…"."""
    s = str(s)
    if max_len is not None and len(s) > max_len:
        s = s[: max_len - 1] + "…"
    return escape_plotly(s)


def printable(text: str) -> str:
    """Text for a plain-text block: newlines and tabs kept, every other control or format
    character (NUL, bidi overrides, zero-width joiners...) shown as ⟨U+XXXX⟩, so it can
    neither vanish nor reorder what follows it."""
    return "".join(c if c in "\n\t" or len(visible_char(c)) == 1 else f"⟨{visible_char(c)}⟩"
                   for c in text)


def char_labels(chars, max_len: int = 12) -> list[str]:
    """Characters (or special tokens) as safe, visible Plotly labels."""
    return [plotly_text(visible_char(c) if len(c) == 1 else c, max_len) for c in chars]


def token_text(tok: str, max_len: int = 12) -> str:
    """A token as a short Plotly label (visible, escaped, long words cut with …)."""
    v = visible_token(tok)
    if len(v) > max_len:
        v = v[: max_len - 1] + "…"
    return escape_plotly(v)


def sym(key: str) -> str:
    """The course's symbol of a trace key, ready for Plotly ('a' -> 'a&lt;t&gt;')."""
    return escape_plotly(_symbol(key))


def html_piece(text: str) -> str:
    """Escaped HTML of a run of user text (`escape_all`), a newline as ↵ and a line break,
    every other invisible character as a small badge (U+202E...)."""
    out = []
    for ch in text:
        vis = visible_char(ch)
        if ch == "\n":
            out.append(f"{escape_all('↵')}<br>")
        elif vis != ch and len(vis) > 1:
            out.append(f"<span style='font-size:0.7em;border:1px solid #999;border-radius:3px;"
                       f"padding:0 2px'>{escape_all(vis)}</span>")
        else:
            out.append(escape_all(ch))
    return "".join(out)


def escape_all(text: str) -> str:
    """Every character as a numeric HTML entity: safe inside HTML *and* Markdown.

    Markdown would read `*`, `_`, `$`, `:` or backticks as formatting even between HTML tags;
    an entity is only ever the literal character.
    """
    return "".join(f"&#{ord(ch)};" for ch in text)
