"""The smallest app the browser benchmark can drive: what Streamlit + Plotly cost on their own.

    RNNVIZ_BENCH_SCRIPT=benchmarks/floor_app.py \
        python benchmarks/browser.py --pages "One chart,No chart"

Same sidebar contract as app.py (a text area labelled "Input sentence", submitted with
Ctrl+Enter, and a caption "N characters"), a two-page menu, and on the first page ONE Plotly
heatmap of 64 rows × one column per character, labelled by character (like the Activations
page's heatmap), computed from the sentence in microseconds; the second page draws nothing.
No rnnviz code runs. Whatever time this app needs per edit, page switch and cold start is the
floor under any page of rnnviz on the same machine (issue 12).

RNNVIZ_FLOOR_CHARTS=N draws N such charts (all change with the sentence); RNNVIZ_FLOOR_LABELS
labels the x axis: "array" (default: tickmode="array", one tick label per character, as
rnnviz's charts do; "array0" / "array90" the same with tickangle 0 / -90), "none" (Plotly's own
few numeric ticks), "category" (a category axis of "t c" names with dtick=1: every label shown).
Measured 2026-11-28 (AMD EPYC, 2 cores), edit → visual complete median: 1 chart array 393–469 ms,
none 213–236 ms, category 228 ms; 3 charts array 1004 ms (array0 1084, array90 1359), category
655 ms, none 386 ms.

A third page, "Widgets and charts", shows the What if? page's widgets at their defaults, in its
order, around three of these charts (labelled by character): its first visit beside the chart
page's is what Streamlit's frontend costs for that page's elements, with no rnnviz computation.

RNNVIZ_FLOOR_ELEMENT chooses what draws the charts: "plotly" (default: `st.plotly_chart`, which
re-creates a chart whose data changed), "component" (rnnviz's chart element,
`rnnviz_app.charts`: mounted once per key, updated with Plotly.react; its hidden first
element in the sidebar, as in rnnviz, loads plotly.js early) or "vega" (`st.vega_lite_chart`:
a fixed spec with the data passed beside it, which Streamlit updates in place). Results side
by side: docs/benchmarks.md.

RNNVIZ_FLOOR_REPLAY=<file written by benchmarks/floor_record.py> serves instead one page per
rnnviz page, under its title and in its menu's order, each replaying the messages rnnviz's
page sent to the main area at the sentence in the sidebar (recorded at the two sentences
benchmarks/browser.py types): the same elements, with no computation. Use it with
RNNVIZ_FLOOR_ELEMENT=component (the recorded charts are the chart element's).
"""

import base64
import json
import os

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

ELEMENT = os.environ.get("RNNVIZ_FLOOR_ELEMENT", "plotly")
VEGA_SPEC = {   # fixed: only the data changes with the sentence
    "mark": "rect", "height": 380, "width": "container",
    "encoding": {"x": {"field": "t", "type": "ordinal", "title": None, "sort": None},
                 "y": {"field": "unit", "type": "ordinal"},
                 "color": {"field": "value", "type": "quantitative",
                           "scale": {"scheme": "redblue", "domain": [-1, 1]}}},
}


def draw(fig: go.Figure, z: np.ndarray, chars: list[str], k: int) -> None:
    if ELEMENT == "component":
        from rnnviz_app.charts import plotly_chart

        plotly_chart(fig, key=f"floor.chart{k}", config={"displaylogo": False})
    elif ELEMENT == "vega":
        units, steps = np.meshgrid(np.arange(z.shape[0]), np.arange(z.shape[1]), indexing="ij")
        labels = np.array([f"{t} {c}" for t, c in enumerate(chars, start=1)])
        data = pd.DataFrame({"unit": units.ravel(), "t": labels[steps.ravel()],
                             "value": z.ravel()})
        st.vega_lite_chart(data, VEGA_SPEC, key=f"floor.chart{k}")
    else:
        st.plotly_chart(fig, key=f"floor.chart{k}")


def heatmap(text: str, k: int, labels: str = "array") -> tuple[go.Figure, np.ndarray, list]:
    """Chart k of the sentence: 64 rows × one column per character, its x axis labelled as
    `labels` says (RNNVIZ_FLOOR_LABELS); (figure, z, the characters as drawn)."""
    chars = list(text) or [" "]
    rng = np.random.default_rng([k, sum(map(ord, text))])
    z = np.tanh(rng.standard_normal((64, len(chars)))).astype(np.float32)
    x = np.arange(1, len(chars) + 1)
    if labels == "category":     # one category per step, named by its character
        x = [f"{t} {c if c != ' ' else '␣'}" for t, c in enumerate(chars, start=1)]
    fig = go.Figure(go.Heatmap(z=z, x=x, colorscale="RdBu", zmin=-1, zmax=1))
    fig.update_layout(title=f"a<t>: 64 units ({k + 1})", height=420)
    if labels.startswith("array"):
        fig.update_xaxes(tickmode="array", tickvals=np.arange(1, len(chars) + 1),
                         ticktext=[c if c != " " else "␣" for c in chars])
    if labels == "array0":
        fig.update_xaxes(tickangle=0)
    if labels == "array90":
        fig.update_xaxes(tickangle=-90)
    elif labels == "category":
        fig.update_xaxes(dtick=1, tickangle=-90)
    return fig, z, [c if c != " " else "␣" for c in chars]


def chart_page() -> None:
    text = st.session_state.get("floor.text", "")
    st.title("One chart")
    for k in range(int(os.environ.get("RNNVIZ_FLOOR_CHARTS", "1"))):
        draw(*heatmap(text, k, os.environ.get("RNNVIZ_FLOOR_LABELS", "array")), k)


def widgets_page() -> None:
    """The widgets of the What if? page at its defaults, in its order, around three of the
    chart page's charts: what Streamlit's frontend costs for that page's elements without any
    rnnviz computation (its first visit beside the chart page's says what the widgets add)."""
    text = st.session_state.get("floor.text", "")
    n = max(len(text), 1)
    st.title("Widgets and charts")
    st.caption("Everything else in this app shows correlation. Here you change the network "
               "while it reads and watch what follows: clamp units, mean-ablate them, or "
               "patch in their values from another sentence, then see which tokens the "
               "prediction rests on.")
    c1, _, _ = st.columns(3)
    c1.selectbox("Quantity to change", ["a<t>", "c<t>", "Γf<t>", "Γu<t>", "Γo<t>", "c̃<t>"],
                 key="floor.quantity", help="The cell's state or one of its gates.")
    st.multiselect("Units (0…63; or click a row of the states chart below)", list(range(64)),
                   default=[0], key="floor.units", help="The Units page's suggestions.")
    st.radio("Change", ["Clamp to a value", "Mean-ablate", "Patch from sentence B"],
             horizontal=True, key="floor.mode")
    st.toggle("At every step", value=True, key="floor.every")
    st.columns([3, 1])[0].slider("Output step t", 1, n, n, key="floor.t")
    st.markdown("**Prediction ŷ<t>**, top 10")
    left, right = st.columns([4, 1], gap="medium")
    with left:
        draw(*heatmap(text, 0), 0)
    right.caption("Grey: as it is; orange: with your change.")
    st.metric("Largest change of a probability at this step", "0.1234")
    st.markdown("**a<t>: intact, changed, and the difference** (units × steps t)")
    left, right = st.columns([4, 1], gap="medium")
    with left:
        draw(*heatmap(text, 1), 1)
    right.caption("Left: as computed; middle: changed; right: the difference.")
    st.header("Which tokens made this prediction?", divider="gray")
    st.radio("Method", ["gradient × input", "integrated gradients (64 steps)"],
             key="floor.method")
    st.markdown("**gradient × input** toward ŷ = ‘s’ at t = 40")
    draw(*heatmap(text, 2), 2)
    st.caption("ŷ = 0.5 on the sentence, 0.1 with no input.")


def replay_page(title: str, recorded: dict[str, list[bytes]]):
    """A page that sends the browser what rnnviz's page `title` sent at the sentence in the
    sidebar (benchmarks/floor_record.py), and computes nothing."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.scriptrunner_utils.script_run_context import enqueue_message

    def page() -> None:
        text = st.session_state.get("floor.text", "")
        if text not in recorded:
            st.error(f"{title}: no recording at this sentence ({sorted(recorded)})")
            return
        for raw in recorded[text]:
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            msg.delta.ClearField("fragment_id")     # drawn by this (full) run
            enqueue_message(msg)

    return page


def empty_page() -> None:
    st.title("No chart")
    st.write("Nothing to draw.")


st.set_page_config(page_title="floor", layout="wide")
@st.cache_resource(show_spinner=False)
def recording(path: str) -> dict:
    """The recording, read once per server: its messages decoded to bytes."""
    rec = json.loads(open(path, encoding="utf-8").read())
    rec["recorded"] = {title: {text: [base64.b64decode(m) for m in msgs]
                               for text, msgs in by_text.items()}
                       for title, by_text in rec["recorded"].items()}
    return rec


if os.environ.get("RNNVIZ_FLOOR_REPLAY"):
    REPLAY = recording(os.environ["RNNVIZ_FLOOR_REPLAY"])
    page = st.navigation([st.Page(replay_page(t, REPLAY["recorded"][t]), title=t,
                                  default=i == 0, url_path=f"replay{i}")
                          for i, t in enumerate(REPLAY["pages"])])
else:
    page = st.navigation([st.Page(chart_page, title="One chart", default=True),
                          st.Page(empty_page, title="No chart", url_path="none"),
                          st.Page(widgets_page, title="Widgets and charts",
                                  url_path="widgets")])
with st.sidebar:
    if ELEMENT == "component":      # the element's own first element, as in rnnviz's frame
        from rnnviz_app.charts import preload_plotly

        preload_plotly()
    text = st.text_area("Input sentence", "Return the number of items in the list.",
                        key="floor.text")
    st.caption(f"{len(text)} characters")
page.run()
