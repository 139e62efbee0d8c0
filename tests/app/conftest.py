"""AppTest runs start from empty shared caches (`_page_support.clear_caches`: all but the shipped
models' Units readings, which a server keeps for every visitor): no background warm-up of those
readings here (`rnnviz_app.shell._start_warm_up`; the browser tests and benchmarks keep it).
A test that served stand-ins for the shipped models (`_page_support.install`) empties every
cache when it ends, so no reading of a stand-in is kept under a shipped model's name."""

import os

import pytest

os.environ.setdefault("RNNVIZ_WARM_START", "0")


@pytest.fixture(autouse=True)
def _forget_stand_in_readings():
    import _page_support
    import streamlit as st

    yield
    if _page_support.stand_ins_served:
        _page_support.stand_ins_served = False
        st.cache_data.clear()
        st.cache_resource.clear()
