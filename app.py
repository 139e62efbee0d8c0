"""rnnviz: the Streamlit entry point.

Run with ``streamlit run app.py``. The frame (navigation, the sidebar shared by every page)
and the page table are in ``rnnviz_app.shell``; each page is a script in ``pages/`` with one
``render()`` function that reads widgets, calls the ``rnnviz`` package and shows figures.
"""

import rnnviz_app as ui

ui.run_app()
