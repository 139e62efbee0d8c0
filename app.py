"""rnnviz: the Streamlit entry point.

Run with ``streamlit run app.py``. This file only routes: the sidebar (model and sentence,
shared by every page) comes from ``ui``, and each page is a script in ``pages/`` that reads
widgets, calls the ``rnnviz`` package and shows figures.
"""

import streamlit as st

import rnnviz_app as ui

st.set_page_config(page_title="rnnviz", layout="wide")

# One line per page, in menu order; the page marked default=True opens at "/".
PAGES = [
    st.Page("pages/activations.py", title="Activations", default=True),
    st.Page("pages/forward.py", title="Forward pass"),
    st.Page("pages/backward.py", title="Backward pass (BPTT)"),
    st.Page("pages/vanishing.py", title="Vanishing gradients"),
    st.Page("pages/bidirectional.py", title="Bidirectional context"),
    st.Page("pages/sampling.py", title="Sampling"),
    st.Page("pages/types.py", title="Types of RNNs"),
    st.Page("pages/about.py", title="About"),
]

page = st.navigation(PAGES)
ui.render_sidebar()
page.run()
