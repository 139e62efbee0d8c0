"""Training: RNN, GRU and LSTM trained side by side on long-range agreement, your text, or the
3-bit flip-flop (whose networks open on the Dynamics page)."""

from __future__ import annotations

from functools import partial

import streamlit as st

import rnnviz_app as ui
from rnnviz.training.runs import race_work
from rnnviz.training.text_lm import MIN_CHARS
from rnnviz_app import jobs
from rnnviz_app import training_view as view
from rnnviz_app.notes import TRAINING as NOTES

K = view.K


def _start(kind, cfg, cells, text, sample_every, limits, run):
    """A new run with these settings (replacing this session's last one), or a warning."""
    try:
        if not cells:
            raise jobs.RunRejected("choose at least one cell to train")
        if kind == "text" and len(text) < MIN_CHARS:
            raise jobs.RunRejected(f"the text has {len(text)} characters; a language "
                                   f"model needs at least {MIN_CHARS}")
        limits.check(steps=cfg.steps, n_a=cfg.n_a, cells=len(cells),
                     seq_len=cfg.seq_len,
                     text_bytes=len(text.encode("utf-8")))
        if run is not None:
            jobs.manager().discard(run)
        work = partial(race_work, kind, cfg, cells, text, sample_every)   # built in the worker
        st.session_state[K + "run"] = jobs.manager().submit(jobs.session_id(), kind, work)
        st.session_state[K + "run_cfg"] = (cfg, kind, cells)
        st.session_state.pop(K + "sweep_run", None)
        st.rerun()
    except jobs.RunRejected as e:
        st.warning(f"Cannot start: {e}")


def render() -> None:
    ui.ensure_frame()
    st.title("Training")
    st.caption(NOTES["caption"])
    for key, value in view.DEFAULTS.items():
        st.session_state.setdefault(key, value)
    limits = jobs.manager().limits
    kind = st.radio("Task", list(view.TASKS), key=K + "task", horizontal=True,
                    format_func=view.TASKS.__getitem__)
    text, sample_every = "", 0
    if kind == "agreement":
        cfg, cells = view.agreement_controls(limits)
        sentence, verb = cfg.example()
        st.caption(NOTES["example"].format(sentence=sentence, verb=verb))
    elif kind == "flipflop":
        cfg, cells = view.flipflop_controls(limits)
    else:
        cfg, cells, text, sample_every = view.text_controls(limits)

    mgr = jobs.manager()
    run: jobs.Run | None = st.session_state.get(K + "run")
    status = run.status if run is not None else None
    b1, b2, b3, b4 = st.columns(4)
    b1.button("Train", key=K + "start", type="primary", disabled=status in jobs.ACTIVE,
              on_click=view.ask, args=("start",))
    b2.button("Stop", key=K + "stop", disabled=status not in jobs.ACTIVE, on_click=view.ask,
              args=("stop",))
    b3.button("Resume", key=K + "resume", disabled=status != jobs.PAUSED, on_click=view.ask,
              args=("resume",))
    b4.button("Reset", key=K + "reset", disabled=run is None, on_click=view.ask,
              args=("reset",))
    action = view.take_action()
    if action == "start":
        _start(kind, cfg, cells, text, sample_every, limits, run)
    elif action == "stop" and run is not None:
        mgr.stop(run)
        st.rerun()
    elif action == "resume" and run is not None:
        try:
            mgr.resume(run)
        except jobs.RunRejected as e:
            st.warning(str(e))
        st.rerun()
    elif action == "reset" and run is not None:
        mgr.discard(run)
        for key in ("run", "run_cfg", "sweep_run"):
            st.session_state.pop(K + key, None)
        st.rerun()

    if run is None:
        view.before_run(cfg, cells, limits)
        return
    ended = status not in jobs.ACTIVE               # one reading of the status for the page
    run_cfg, run_kind, run_cells = st.session_state[K + "run_cfg"]
    view.live_view(run, run_kind, status)
    _, _, data = run.view()
    if ended and data and data.get("step", 0) > 0:
        view.after_run(data, run_cfg, run_kind)
        if run_kind == "agreement":
            view.sweep_section(run_cfg, run_cells)


render()
