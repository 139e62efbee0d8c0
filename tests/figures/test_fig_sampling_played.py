"""The sampling steps played in the browser (rnnviz.figures.sampling.played_steps): one frame
per step, each frame's data read back and compared with the sample's own numbers."""

import html
import json
import re

import numpy as np
import plotly.io as pio
import pytest
from _fig_spec import spec, strings

from rnnviz.figures import sampling as F
from rnnviz.figures.animation import frame_names
from rnnviz.figures.safe_text import char_labels, visible_char

HOSTILE = "<img src=x onerror=alert(1)>"
ITOS = ("a", "b", " ", "<", "\n", "&", "c", "d", "e", "f", "g", "h")
TAG = re.compile(r"<b>|</b>|<span style='color:#[0-9a-f]{6}'>|</span>")
CURRENT = re.compile(r"<b><span style='color:#d62728'>(.*?)</span></b>")


def fake_sample(prefix: str, S: int = 6, n_a: int = 4, seed: int = 0) -> dict:
    """A sample's arrays (`lm.Sample.arrays` plus prefix and itos) with known numbers; step 3
    draws the least likely character (outside the top 10 of 12)."""
    rng = np.random.default_rng(seed)
    V = len(ITOS)
    probs = rng.dirichlet(np.ones(V), size=S).astype(np.float32)
    y_hat = rng.dirichlet(np.ones(V), size=S).astype(np.float32)
    ids = probs.argmax(axis=1)
    ids[1] = ITOS.index("<")
    ids[2] = int(np.argsort(-probs[2], kind="stable")[-1])
    return {"prefix": prefix, "itos": ITOS, "ids": ids, "chars": tuple(ITOS[i] for i in ids),
            "probs": probs, "y_hat": y_hat,
            "a": rng.uniform(-1, 1, (n_a, S)).astype(np.float32),
            "p_chosen": probs[np.arange(S), ids]}


def lines(text: str) -> list[str]:
    """The played text's lines as a person reads them (Plotly's markup and entities gone)."""
    return [html.unescape(TAG.sub("", line)) for line in text.split("<br>")]


@pytest.mark.parametrize("prefix", ["Return ", "", HOSTILE])
def test_a_frame_per_step_with_the_sample_numbers(prefix):
    s = fake_sample(prefix)
    n_prefix, S = len(prefix), len(s["chars"])
    fig = F.played_steps(s, step=2)
    sp = spec(fig)
    frames = sp["frames"]
    ts = [n_prefix + i for i in range(S)]                  # the page's t of each step
    assert frame_names(fig) == [str(t) for t in ts] == [f["name"] for f in frames]
    for i, (frame, t) in enumerate(zip(frames, ts, strict=True)):
        grey, sampled, cursor, hidden, text = frame["data"]
        assert frame["traces"] == [0, 1, 3, 4, 5]           # the heatmap is sent once
        order = list(np.argsort(-s["probs"][i], kind="stable")[:10])
        drawn = int(s["ids"][i])
        if drawn not in order:
            order.append(drawn)
        np.testing.assert_array_equal(sampled["y"], s["probs"][i, order])
        np.testing.assert_array_equal(grey["y"], s["y_hat"][i, order])
        assert sampled["y"].dtype == np.float32 and hidden["x"].dtype == np.float32
        assert sampled["text"] == char_labels([ITOS[j] for j in order])
        red = [lab for lab, c in zip(sampled["text"], sampled["marker"]["color"], strict=True)
               if c == F.ACCENT]
        assert red == char_labels([s["chars"][i]])
        np.testing.assert_array_equal(hidden["x"], s["a"][:, i])
        assert cursor["x"].min() == t - 0.5 and cursor["x"].max() == t + 0.5
        (shown,) = text["text"]
        head, numbers, *body = lines(shown)
        assert head == f"t = {t}: x<{t + 1}> = '{visible_char(s['chars'][i])}' drawn from ŷ<{t}>"
        assert numbers.startswith(f"P = {s['probs'][i, drawn]:.3f} "
                                  f"(model {s['y_hat'][i, drawn]:.3f}), entropy ")
        so_far = (prefix + "".join(s["chars"][:i + 1]))
        assert "".join(body) == "".join(visible_char(c) for c in so_far)
        assert CURRENT.findall(shown) == [F.plotly_text(visible_char(s["chars"][i]))]
    # Step 3 drew the least likely character: added as an eleventh bar, in red.
    assert len(frames[2]["data"][1]["y"]) == 11
    assert frames[2]["data"][1]["marker"]["color"][-1] == F.ACCENT
    # The chart opens at the step the play starts from.
    base = sp["data"]
    for trace, now in zip([base[j] for j in (0, 1, 3, 4, 5)], frames[1]["data"], strict=True):
        for field in ("x", "y", "text"):
            if field in now:
                np.testing.assert_array_equal(trace[field], now[field])
    np.testing.assert_array_equal(base[2]["z"], s["a"])
    # One step counter (the page's): no Plotly Play or slider of its own.
    assert "sliders" not in sp["layout"] and "updatemenus" not in sp["layout"]


def test_user_text_stays_text():
    s = fake_sample(HOSTILE + "&<b>x</b>")
    sp = spec(F.played_steps(s, step=1))
    every = strings(sp)
    assert not [x for x in every if "<img" in x or "onerror=alert(1)>" in x]
    assert not [x for x in every if "<b>x</b>" in x]        # a user's tag is not Plotly's
    raw = pio.to_json(F.played_steps(s, step=1), validate=False)
    assert "<img" not in json.loads(raw)["frames"][0]["data"][4]["text"][0]
    _, _, *body = lines(sp["frames"][0]["data"][4]["text"][0])
    assert "".join(body).startswith("<img␣src=x␣onerror=alert(1)>&<b>x</b>")


def test_a_long_text_keeps_its_last_lines():
    s = fake_sample("x" * 300, S=4)
    text = spec(F.played_steps(s, step=4))["frames"][-1]["data"][4]["text"][0]
    _, _, *body = lines(text)
    assert body[0] == "…" and len(body) == F.TEXT_LINES + 1
    assert all(len(line) <= F.TEXT_WIDTH for line in body)
    so_far = "".join(visible_char(c) for c in "x" * 300 + "".join(s["chars"]))
    assert so_far.endswith("".join(body[1:]))


def test_a_newline_breaks_the_line_and_a_wide_model_shows_its_most_active_units():
    s = fake_sample("ab\ncd", S=3, n_a=40)
    sp = spec(F.played_steps(s, step=1))
    _, _, *body = lines(sp["frames"][0]["data"][4]["text"][0])
    assert body[:2] == ["ab↵", "cd" + visible_char(s["chars"][0])]
    heat = sp["data"][2]
    assert heat["z"].shape == (32, 3)
    assert len(sp["frames"][0]["data"][3]["x"]) == 32
