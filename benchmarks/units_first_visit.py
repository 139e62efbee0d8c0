"""Server-side time of the Units page's first run, caches cold vs after the warm-up
(rnnviz_app.loaders.warm_units_readings), in AppTest: `python benchmarks/units_first_visit.py`."""
import os
import time
from pathlib import Path

os.environ["RNNVIZ_WARM_START"] = "0"
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnnviz_app import loaders

APP = Path(__file__).resolve().parents[1] / "app.py"


def units_first_run() -> float:
    at = AppTest.from_file(str(APP), default_timeout=600)
    at.run()
    at.switch_page("pages/units.py")
    t0 = time.perf_counter()
    at.run()
    assert not at.exception, at.exception
    return time.perf_counter() - t0


st.cache_data.clear()
st.cache_resource.clear()
cold = units_first_run()
st.cache_data.clear()
st.cache_resource.clear()
t0 = time.perf_counter()
loaders.warm_units_readings()
warm_cost = time.perf_counter() - t0
warm = units_first_run()
print(f"Units first run, caches cold: {cold:.2f} s; warm-up (background, once per server): "
      f"{warm_cost:.2f} s; Units first run after it: {warm:.2f} s; load {os.getloadavg()[0]:.1f}")
