"""Settings for every test process (loaded before any test module imports NumPy).

NumPy's OpenBLAS starts one thread per core for every matrix product. The suite runs three
workers on two cores (and, for the browser tests, the app's server and Chromium beside them),
so those threads only wait for each other: the classifier card's test (one forward pass per
length over 2,000 reviews) took 4-7 s with them on a busy machine and 1 s without. One BLAS
thread per test process, as the app's server has (`rnnviz_app.runtime.limit_blas_threads`);
an explicit OPENBLAS_NUM_THREADS or OMP_NUM_THREADS in the environment wins.
"""

import os

if not (os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")):
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
