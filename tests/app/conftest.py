"""AppTest runs clear the shared caches per test: no background warm-up of the Units
readings there (`rnnviz_app.shell._prepare_process`; the browser tests and benchmarks keep it)."""

import os

os.environ.setdefault("RNNVIZ_WARM_START", "0")
