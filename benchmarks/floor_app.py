"""The smallest app the browser benchmark can drive: what Streamlit + Plotly cost on their own.

    RNNVIZ_BENCH_SCRIPT=benchmarks/floor_app.py \
        python benchmarks/browser.py --pages "One chart,No chart"

Same sidebar contract as app.py (a text area labelled "Input sentence", submitted with
Ctrl+Enter, and a caption "N characters"), a two-page menu, and on the first page ONE Plotly
heatmap of 64 rows × one column per character, labelled by character (like the Activations
page's heatmap), computed from the sentence in microseconds; the second page draws nothing.
No rnnviz code runs. Whatever time this app needs per edit, page switch and cold start is the
floor under any page of rnnviz on the same machine (issue 12).
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st


def chart_page() -> None:
    text = st.session_state.get("floor.text", "")
    chars = list(text) or [" "]
    rng = np.random.default_rng(sum(map(ord, text)))
    z = np.tanh(rng.standard_normal((64, len(chars)))).astype(np.float32)
    fig = go.Figure(go.Heatmap(z=z, x=np.arange(1, len(chars) + 1), colorscale="RdBu",
                               zmin=-1, zmax=1))
    fig.update_layout(title="a<t>: 64 units", height=420,
                      xaxis=dict(tickmode="array", tickvals=np.arange(1, len(chars) + 1),
                                 ticktext=[c if c != " " else "␣" for c in chars]))
    st.title("One chart")
    st.plotly_chart(fig, key="floor.chart")


def empty_page() -> None:
    st.title("No chart")
    st.write("Nothing to draw.")


st.set_page_config(page_title="floor", layout="wide")
page = st.navigation([st.Page(chart_page, title="One chart", default=True),
                      st.Page(empty_page, title="No chart", url_path="none")])
with st.sidebar:
    text = st.text_area("Input sentence", "Return the number of items in the list.",
                        key="floor.text")
    st.caption(f"{len(text)} characters")
page.run()
