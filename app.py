"""rnnviz: the Streamlit entry point.

Run with ``streamlit run app.py``. The frame (navigation, the sidebar shared by every page)
and the page table are in ``rnnviz_app.shell``; each page is a script in ``pages/`` with one
``render()`` function that reads widgets, calls the ``rnnviz`` package and shows figures.
"""

import rnnviz_app as ui

# Streamlit runs this file as "__main__". A training worker's process (multiprocessing's
# forkserver) may load it again as "__mp_main__": there it draws nothing.
if __name__ == "__main__":
    ui.run_app()
