"""rnnviz: the Streamlit entry point.

Run with ``streamlit run app.py``. This file only routes: each page is a script in ``pages/``
that reads widgets, calls the ``rnnviz`` package and shows figures.
"""

import streamlit as st

st.set_page_config(page_title="rnnviz", layout="wide")

# One line per page, in menu order; the page marked default=True opens at "/".
PAGES = [
    st.Page("pages/about.py", title="About", default=True),
]

st.navigation(PAGES).run()
