"""The sampled text as HTML (rnnviz.figures.sampling.sample_text_html), read back span by span."""

import html
import re

import numpy as np

from rnnviz.figures import sampling as F

HOSTILE = "<img src=x onerror=alert(1)>"
SPAN = re.compile(r"<span title='([^']*)'( aria-current='step')? style='([^']*)'>(.*?)</span>")


def spans(markup: str) -> list[dict]:
    """Every character's span: its hover title, whether it is the current step, its
    background and the character shown (entities decoded)."""
    out = []
    for title, current, style, body in SPAN.findall(markup):
        bg = re.search(r"background:(#[0-9a-f]{6})", style).group(1)
        out.append({"title": html.unescape(title), "current": bool(current), "bg": bg,
                    "outlined": "outline:3px" in style,
                    "char": html.unescape(re.sub(r"<br>", "", body))})
    return out


def test_each_character_once_coloured_by_its_probability():
    chars = list("ab") + list("x y\nz")
    p = np.array([0.0, 0.5, 1.0, 0.25, 0.75])
    got = spans(F.sample_text_html(chars, p, n_prefix=2, step=3))
    assert [s["char"] for s in got] == ["a", "b", "x", "␣", "y", "↵", "z"]
    assert [s["bg"] for s in got[:2]] == [F.PREFIX_GREY] * 2
    assert got[0]["title"] == "prefix (given): 'a'"
    # PROBABILITY's stops: 0 -> #f7fbff, 0.25 -> #c6dbef, 0.5 -> #6baed6, 0.75 -> #2171b5,
    # 1 -> #08306b; 0.5 between its neighbours is the stop itself
    assert [s["bg"] for s in got[2:]] == ["#f7fbff", "#6baed6", "#08306b", "#c6dbef", "#2171b5"]
    assert [s["title"] for s in got[2:]] == [
        "drawn from ŷ<2>: 'x', P = 0.000", "drawn from ŷ<3>: '␣', P = 0.500",
        "drawn from ŷ<4>: 'y', P = 1.000", "drawn from ŷ<5>: '↵', P = 0.250",
        "drawn from ŷ<6>: 'z', P = 0.750"]


def test_only_the_step_on_the_slider_is_outlined():
    chars, p = list("pre") + list("abcd"), np.full(4, 0.3)
    for step in (1, 4):
        got = spans(F.sample_text_html(chars, p, n_prefix=3, step=step))
        marked = [i for i, s in enumerate(got) if s["current"]]
        assert marked == [3 + step - 1]
        assert [s["outlined"] for s in got] == [s["current"] for s in got]
    assert not any(s["current"] for s in spans(F.sample_text_html(chars, p, n_prefix=3)))


def test_user_text_never_becomes_markup():
    chars = list(HOSTILE) + list("'\"&")
    markup = F.sample_text_html(chars, np.full(4, 0.5), n_prefix=len(HOSTILE), step=2)
    assert "<img" not in markup and "onerror=" not in markup
    assert "'\"&" not in markup                       # quotes and & are entities too
    got = spans(markup)
    assert "".join(s["char"] for s in got) == HOSTILE.replace(" ", "␣") + "'\"&"
    assert got[len(HOSTILE) + 1]["title"] == f"drawn from ŷ<{len(HOSTILE) + 1}>: '\"', P = 0.500"


def test_step_figures_paint_the_sample_of_that_step():
    sample = {"prefix": "ab", "chars": list("cde"), "p_chosen": np.array([0.2, 0.9, 0.4]),
              "probs": np.full((3, 4), 0.25), "y_hat": np.full((3, 4), 0.25),
              "ids": np.array([1, 2, 3]), "itos": ("<UNK>", "c", "d", "e"),
              "a": np.arange(12.0).reshape(4, 3)}
    text, topk, hidden = F.step_figures(sample, 2)
    got = spans(text)
    assert "".join(s["char"] for s in got) == "abcde"
    assert [i for i, s in enumerate(got) if s["current"]] == [3]
    assert topk.layout.title.text.startswith("ŷ<3>")
