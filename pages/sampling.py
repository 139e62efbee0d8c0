"""Sampling: a char LM writes text one character at a time; browse its steps, then score
sentences (the course notes' "The apple and pair/pear salad")."""

import streamlit as st

import rnnviz_app as ui
from rnnviz.figures import sampling as figs
from rnnviz.figures.common import printable, visible_char
from rnnviz.lm import entropy_bits, rank, sampling_advice
from rnnviz_app.notes import SAMPLING as NOTES

CHAR_LMS = {"char-lm-rnn": "RNN", "char-lm-gru": "GRU", "char-lm-lstm": "LSTM"}
MAX_LENGTH, SEED_MAX = 400, 2**31 - 1       # characters to sample; largest seed
GENERATED = "sampling.generated"     # the settings of the sample on display (not a widget)
REGENERATE = "sampling.regenerate"   # set by the "New seed" button's callback


# Figures on small keys, shared by every session: building them is the costly part of a rerun.
@st.cache_resource(max_entries=256, show_spinner=False)
def step_figures(settings: tuple, step: int) -> tuple:
    """(sampled text, top-k, hidden state) at one step of the sample of `settings`."""
    return figs.step_figures(ui.get_sample(*settings), step, settings[3])


@st.cache_resource(max_entries=128, show_spinner=False)
def logprob_figure(name: str, texts: tuple[tuple[str, str], ...]):
    """Per-character log-probabilities of one or two (label, text) pairs."""
    scores = {text: ui.get_score(name, text) for _, text in texts}   # tokens scored_from..T
    return figs.fig_logprob_compare([(label, list(text)[int(scores[text]["scored_from"]) - 1:],
                                      scores[text]["per_char"]) for label, text in texts])


def new_seed() -> None:
    st.session_state["sampling.seed"] = (st.session_state.get("sampling.seed", 0) + 1) % SEED_MAX
    st.session_state[REGENERATE] = True


def _settings() -> tuple:
    """The sample's settings (model, prefix, temperature, top-k, length, seed)."""
    c1, c2, c3 = st.columns([1.2, 2, 2], gap="medium")
    with c1:
        name = ui.lm_picker("sampling.model", CHAR_LMS, "char-lm-lstm", help=NOTES["model_help"])
    with c2:
        prefix = ui.text_box("Prefix (the text to continue)", "sampling.prefix", "Return the ")
        temperature = st.slider("Temperature", 0.0, 2.0, 0.7, step=0.05,
                                key="sampling.temperature", persist_state="session",
                                help=NOTES["temperature_help"])
    with c3:
        top_k = st.slider("Top-k (0 = all characters)", 0, 40, 0, key="sampling.top_k",
                          persist_state="session", help=NOTES["top_k_help"])
        length = st.slider("Length (characters to sample)", 1, MAX_LENGTH, 200,
                           key="sampling.length", persist_state="session")
        seed = st.number_input("Seed", 0, SEED_MAX, step=1, key="sampling.seed",
                               persist_state="session", help=NOTES["seed_help"])
    if advice := sampling_advice(temperature, top_k):
        getattr(st, advice[0])(ui.md(advice[1]))
    return name, prefix, float(temperature), int(top_k), int(length), int(seed)


@st.fragment
def step_browser(s: dict, settings: tuple) -> None:
    """The slider over steps reruns only this fragment."""
    n = len(s["chars"])
    if st.session_state.get("sampling.step", 1) > n:
        st.session_state["sampling.step"] = n
    step = (st.slider("Step t (one sampled character)", 1, n, key="sampling.step",
                      help=NOTES["step_help"]) if n > 1 else 1)
    text_html, topk_fig, hidden_fig = step_figures(settings, step)
    with st.container(key="sampling.text"):
        ui.safe_markdown_html(text_html)
    i, y = step - 1, s["y_hat"][step - 1]
    chosen = int(s["ids"][i])
    left, right = st.columns([3, 1], gap="medium")
    with left:
        ui.chart(topk_fig, key="sampling.topk_chart")
    with right:
        # A metric's value is Markdown: show the character literally.
        st.metric("Drawn character", ui.literal(visible_char(s["chars"][i])))
        st.metric("Its probability in ŷ\\<t\\> (model)", f"{float(y[chosen]):.3f}",
                  help=NOTES["rank_help"].format(rank=rank(y, chosen), n=y.size))
        st.metric("Entropy of ŷ\\<t\\>", f"{entropy_bits(y):.2f} bits", help=NOTES["entropy_help"])
    ui.look_for(NOTES["step"])
    ui.chart_with_note(hidden_fig, key="sampling.hidden_chart", note=NOTES["hidden"])


def _score(name: str) -> None:
    st.header("Score a sentence: P(sentence)")
    st.caption(NOTES["score_caption"])
    text = ui.sidebar_text("scored")
    if not text:
        st.info(NOTES["empty"])
        return
    sc = ui.get_score(name, text)
    ui.metrics_row(("log P(sentence)", f"{sc['log_prob']:.2f} nats"),
                   ("P(sentence)", figs.format_prob(sc["log_prob"])),
                   ("bits per character", f"{sc['bits_per_char']:.2f}"),
                   ("perplexity per character", f"{sc['perplexity']:.2f}"))
    ui.chart_with_note(logprob_figure(name, (("sidebar sentence", text),)),
                       key="sampling.score_chart", note=NOTES["score"])


@st.fragment
def compare(name: str) -> None:
    """Two sentences side by side; editing them reruns only this fragment."""
    st.header("Which sentence does the model prefer?")
    st.caption(NOTES["compare_caption"])
    text_a, text_b = ui.text_pair(NOTES["pair"], "to compare")
    if not (text_a and text_b):
        return
    pref = figs.preference(ui.get_score(name, text_a)["log_prob"],
                           ui.get_score(name, text_b)["log_prob"])
    model = ui.lm_choices(CHAR_LMS)[name]
    if pref["winner"] == "tie":
        st.info(NOTES["tie"].format(model=model))
    else:
        st.success(NOTES["prefers"].format(model=model, loser="A" if pref["winner"] == "B"
                                           else "B", **pref))
    if len(text_a) != len(text_b):
        st.caption(NOTES["lengths"])
    ui.chart_with_note(logprob_figure(name, (("A", text_a), ("B", text_b))),
                       key="sampling.compare_chart", note=NOTES["compare"])
    st.markdown("**All three models on the same pair**")
    ui.number_table(ui.get_preferences(CHAR_LMS, text_a, text_b),
                    dict.fromkeys(("log P(A)", "log P(B)", "bits/char A", "bits/char B"), "%.2f"))


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
        st.session_state["sampling.step"] = 1
    shown = st.session_state[GENERATED]
    if ui.load_lm(shown[0]) is None:           # drawn earlier with a model that went missing
        st.session_state[GENERATED] = shown = current
    if shown != current:
        st.caption(NOTES["stale"])
    s = ui.get_sample(*shown)
    st.subheader("The sample")
    st.code(printable(s["prefix"] + "".join(s["chars"])), language=None, wrap_lines=True)
    st.caption(NOTES["shown"].format(model=ui.lm_choices(CHAR_LMS)[shown[0]], temperature=shown[2],
                                     top_k=shown[3] or "off", n=len(s["chars"]), seed=shown[5]))
    st.subheader("One step at a time")
    step_browser(s, shown)
    if ui.load_lm(name).state0 is None:
        st.info(ui.md(NOTES["no_start"]))
    _score(name)
    compare(name)


render()
