"""Sampling: a char LM writes text one character at a time; browse its steps, then score
sentences (the course notes' "The apple and pair/pear salad")."""

import streamlit as st

import rnnviz_app as ui
from rnnviz.figures.animation import frame_names
from rnnviz.figures.safe_text import printable, visible_char
from rnnviz.lm import entropy_bits, rank, sampling_advice
from rnnviz_app import sampling_view
from rnnviz_app.notes import SAMPLING as NOTES

CHAR_LMS = sampling_view.CHAR_LMS          # the shipped char LMs, by architecture
DEFAULT = sampling_view.DEFAULT             # the sample's settings before a visitor's own
MAX_LENGTH, SEED_MAX = 400, 2**31 - 1       # characters to sample; largest seed
GENERATED = "sampling.generated"     # the settings of the sample on display (not a widget)
REGENERATE = "sampling.regenerate"   # set by the "New seed" button's callback
STEP = "sampling.step"               # the slider's t: inputs read (prefix + drawn so far)
STEP_CHART = "sampling.topk_chart"   # ŷ<t>'s top k; while ▶ Play runs, every step's frames


def new_seed() -> None:
    st.session_state["sampling.seed"] = (st.session_state.get("sampling.seed", 0) + 1) % SEED_MAX
    st.session_state[REGENERATE] = True


def _settings() -> tuple:
    """The sample's settings (model, prefix, temperature, top-k, length, seed)."""
    c1, c2, c3 = st.columns([1.2, 2, 2], gap="medium")
    with c1:
        name = ui.lm_picker("sampling.model", CHAR_LMS, DEFAULT.name, help=NOTES["model_help"])
    with c2:
        prefix = ui.text_box("Prefix (the text to continue)", "sampling.prefix", DEFAULT.prefix)
        temperature = st.slider("Temperature", 0.0, 2.0, DEFAULT.temperature, step=0.05,
                                key="sampling.temperature", persist_state="session",
                                help=NOTES["temperature_help"])
    with c3:
        top_k = st.slider("Top-k (0 = all characters)", 0, 40, DEFAULT.top_k, key="sampling.top_k",
                          persist_state="session", help=NOTES["top_k_help"])
        length = st.slider("Length (characters to sample)", 1, MAX_LENGTH, DEFAULT.length,
                           key="sampling.length", persist_state="session")
        seed = st.number_input("Seed", 0, SEED_MAX, DEFAULT.seed, step=1, key="sampling.seed",
                               persist_state="session", help=NOTES["seed_help"])
    if advice := sampling_advice(temperature, top_k):
        getattr(st, advice[0])(ui.md(advice[1]))
    return name, prefix, float(temperature), int(top_k), int(length), int(seed)


@st.fragment
def step_browser(s: dict, settings: tuple) -> None:
    """The slider over t reruns only this fragment. One index on the whole view: the notes'
    t, the inputs read (the prefix and the characters drawn so far): ŷ<t> draws x<t+1>.
    While ▶ Play runs, the browser steps one chart's frames itself (no run per step) and
    the slider takes the step shown when it stops."""
    n, t0 = len(s["chars"]), len(s["prefix"])
    ui.keep_valid(STEP, range(t0, t0 + n), t0, init=True)
    if ui.play_button(STEP, t0 + n - 1, first=t0):    # the caption stands where the slider was
        st.caption(NOTES["playing"].format(seconds=ui.PLAY_SECONDS))
        fig = sampling_view.played_figure(settings, st.session_state[STEP] - t0 + 1)
        ui.chart(fig, key=STEP_CHART, steps=STEP, play=ui.browser_play(STEP, frame_names(fig)))
        return
    t = (st.slider(NOTES["step_label"], t0, t0 + n - 1, key=STEP, help=NOTES["step_help"])
         if n > 1 else t0)
    step = t - t0 + 1                      # 1-based over the drawn characters
    text_html, topk_fig, hidden_fig = sampling_view.step_figures(settings, step)
    with st.container(key="sampling.text"):
        ui.safe_markdown_html(text_html)
    y, chosen = s["y_hat"][step - 1], int(s["ids"][step - 1])
    # A metric's value is Markdown: show the character literally.
    ui.metrics_row((f"x\\<{t + 1}\\> drawn", ui.literal(visible_char(s["chars"][step - 1]))),
                   (f"its P in ŷ\\<{t}\\> (model)", f"{float(y[chosen]):.3f}",
                    NOTES["rank_help"].format(rank=rank(y, chosen), n=y.size)),
                   (f"entropy of ŷ\\<{t}\\> (bits)", f"{entropy_bits(y):.2f}",
                    NOTES["entropy_help"]))
    # The top-k chart is the element that plays (one key): a stop reaches the counter here.
    left, right = st.columns([3, 1], gap="medium")
    with left:
        ui.chart(topk_fig, key=STEP_CHART, steps=STEP)
    with right:
        ui.look_for(NOTES["step"])
    ui.chart_with_note(hidden_fig, key="sampling.hidden_chart", note=NOTES["hidden"])


def render() -> None:
    ui.ensure_frame()
    st.title("Sampling novel sequences")
    st.caption(NOTES["caption"])
    current = _settings()
    name = current[0]
    if name in CHAR_LMS and ui.missing_models(name):
        st.stop()
    b1, b2, _ = st.columns([1, 1, 4])
    generate = b1.button("Generate", key="sampling.generate", type="primary")
    b2.button("New seed", key="sampling.new_seed", on_click=new_seed,
              help="Seed + 1, then generate.")
    if generate or st.session_state.pop(REGENERATE, False) or GENERATED not in st.session_state:
        st.session_state[GENERATED] = current
        st.session_state.pop(STEP, None)          # the new sample starts at its first t
        st.session_state[f"{STEP}.playing"] = False   # and is not played from the old one
    shown = st.session_state[GENERATED]
    if ui.load_lm(shown[0]) is None:           # drawn earlier with a model that went missing
        st.session_state[GENERATED] = shown = current
    if shown != current:
        st.caption(NOTES["stale"])
    s = ui.get_sample(*shown)
    st.subheader("The sample")
    ui.text(printable(s["prefix"] + "".join(s["chars"])))
    st.caption(NOTES["shown"].format(model=ui.lm_choices(CHAR_LMS)[shown[0]], temperature=shown[2],
                                     top_k=shown[3] or "off", n=len(s["chars"]), seed=shown[5]))
    st.subheader("One step at a time")
    step_browser(s, shown)
    if ui.load_lm(name).state0 is None:
        st.info(ui.md(NOTES["no_start"]))
    sampling_view.score(name)
    sampling_view.compare(name)


render()
