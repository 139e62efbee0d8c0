"""AppTest: the Training page offers PyTorch's default init, and a run uses it for every cell."""

import time

import numpy as np
from _page_support import open_page

from rnnviz.core.init import InitConfig
from rnnviz.training.agreement import AgreementConfig, AgreementTask
from rnnviz.training.race import da_norm_at_last_step
from rnnviz_app import jobs

K = "training."


def test_the_init_select_box_offers_pytorch_default_and_the_run_uses_it(monkeypatch):
    at = open_page(monkeypatch, "pages/training.py")
    assert not at.exception, at.exception
    box = at.selectbox(key=K + "init")
    assert box.options == ["Xavier uniform", "orthogonal", "normal(0, 1/n_a)", "PyTorch default"]
    assert box.value == "xavier"
    box.set_value("pytorch")
    at.slider(key=K + "forget_bias").set_value(0.0)
    at.slider(key=K + "steps").set_value(20)
    at.slider(key=K + "L").set_value(3)
    at.multiselect(key=K + "cells").set_value(["gru", "lstm"])
    at.button(key=K + "start").click().run()
    assert not at.exception, at.exception
    run = at.session_state[K + "run"]
    try:
        cfg, kind, cells = at.session_state[K + "run_cfg"]
        assert cfg.init == InitConfig(scheme="pytorch", forget_bias=0.0)
        assert (kind, cells) == ("agreement", ["gru", "lstm"])
        end = time.monotonic() + 120
        while run.status in jobs.ACTIVE and time.monotonic() < end:
            time.sleep(0.05)
        assert run.status == jobs.DONE, (run.status, run.error)
        # the race started from the same networks a task with this init draws (same seed)
        race = run.view()[2]["race"]
        task = AgreementTask(AgreementConfig(distance=3, steps=20, init=cfg.init))
        for cell in cells:
            fresh = task.model(cell)
            k = 1 / np.sqrt(fresh.config.n_a)
            assert np.abs(fresh.params["bf" if cell == "lstm" else "bu"]).max() <= 2 * k
            assert np.any(fresh.params["bc"])                    # torch draws biases
            first = race.runs[cell].da_norms[0]
            np.testing.assert_allclose(first, da_norm_at_last_step(fresh, task.probe_batch()),
                                       rtol=1e-6)
    finally:
        jobs.manager().discard(run)
