"""The sidebar's "Your model…" panel: a trained PyTorch RNN / GRU / LSTM, for this session only.

Upload the weights (.safetensors, .npz, and .pt when torch is installed) and the vocabulary
(uploaded, pasted, or carried by an rnnviz export), choose the task, tokenizer, case, labels
and a classifier's readout, press **Load model**. The uploader takes any file, so what it holds
is always what the visitor chose last; `check_weights_name` says plainly which types are not
read (a Keras file gets how to convert it). A loaded model can be downloaded as one export
file that carries everything: re-uploading it alone restores the model after a reload. The import
(`rnnviz.import_torch`) runs in the button's callback, before the sidebar is drawn, so the
model picker can switch to the new model in the same run. On success the model is kept with
`add_session_model` (this session only, dropped with it); on any problem the panel shows one
st.error naming it and the session keeps the model it had.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import streamlit as st

from rnnviz.models.export import export_state_dict
from rnnviz.models.imported import (
    CLASSIFIER_READOUTS,
    FORMATS,
    MAX_BYTES,
    TASKS,
    import_torch,
    load_vocab,
    parse_vocab,
)
from rnnviz.models.weights_io import KERAS, KERAS_HELP
from rnnviz_app.loaders import add_session_model
from rnnviz_app.widgets import md

K = "upload."
KEY_WEIGHTS = K + "weights"
KEY_VOCAB_FROM = K + "vocab_from"
KEY_VOCAB_FILE = K + "vocab_file"
KEY_VOCAB_TEXT = K + "vocab_text"
KEY_TASK = K + "task"
KEY_TOKENIZER = K + "tokenizer"
KEY_LABELS = K + "labels"
KEY_NONLINEARITY = K + "nonlinearity"
KEY_START = K + "start"
KEY_LOWERCASE = K + "lowercase"
KEY_READOUT = K + "readout"
KEY_EXPORT = K + "export"           # session state: (file name, bytes) of the loaded model
KEY_LOAD = K + "load"
KEY_RESULT = K + "result"           # session state: ("error" | "ok", message) of the last load
KEY_PANEL = K + "panel"             # the expander's open state (opening or closing it reruns)
KEY_OPENED = K + "opened"           # session state: the panel has been open in this session

TASK_NAMES = {"lm": "language model (next token)", "tagger": "tagger (one label per token)",
              "classifier": "classifier (one label per text)"}
VOCAB_FROM = ("upload", "paste", "file")
VOCAB_FROM_NAMES = {"upload": "upload a file", "paste": "paste it",
                    "file": "in the weights (an rnnviz export)"}
READOUT_NAMES = {"h_n": "h_n: the final states", "last": "out[-1]: the last step's output",
                 "mean": "out.mean(0): the mean over time"}
MAX_VOCAB_MB = 5
# The largest network the app takes, counted after the embedding is folded into W_ax (a
# 2-layer LSTM with n_a = 512 over a 10k-word vocabulary has 28.8M): at that size a page
# rerun takes under a second and a first render up to a minute (the Backward page's
# finite-difference check); each session keeps its own copy (~115 MB of float32).
MAX_APP_PARAMS = 30_000_000

EXPORT_SNIPPET = """\
# In PyTorch, after training (an nn.Embedding -> nn.LSTM/GRU/RNN -> nn.Linear model):
import json
from safetensors.torch import save_file

save_file(model.state_dict(), "model.safetensors")
json.dump(itos, open("vocab.json", "w"))   # the tokens in index order
"""


@functools.cache
def weight_types() -> tuple[str, ...]:
    """File types the uploader accepts: .pt/.pth only when torch is installed.

    Looked up once per process, not imported: importing torch on the first render costs
    seconds and leaves ~200,000 objects that every later garbage collection of the server
    walks.
    """
    if importlib.util.find_spec("torch") is None:
        return ("safetensors", "npz")
    return ("safetensors", "npz", "pt", "pth")


def check_weights_name(name: str) -> None:
    """ValueError saying plainly that a file of this type is not read (and how to convert a
    Keras file); the uploader itself takes any type, so it always holds the visitor's choice."""
    suffix = Path(name).suffix.lower()
    if suffix in KERAS:
        raise ValueError(KERAS_HELP.format(name=name))
    accepted = tuple("." + t for t in weight_types())
    if suffix not in accepted:
        extra = (" (.pt/.pth need torch, which this server does not have)"
                 if suffix in FORMATS else "")
        raise ValueError(f"{name}: {suffix or 'a file without an extension'} is not accepted"
                         f"{extra}; the weights must be one of {', '.join(accepted)}. Nothing "
                         "was loaded")


def export_bytes(model) -> bytes:
    """The model as one .safetensors file that carries its vocabulary and settings."""
    from safetensors.numpy import save

    sd, meta = export_state_dict(model)
    return save(sd, metadata=meta)


def parse_labels(text: str) -> list[str] | None:
    """Class names from one a line or comma-separated; None when empty."""
    text = (text or "").strip()
    if not text:
        return None
    parts = text.splitlines() if "\n" in text else text.split(",")
    return [p.strip() for p in parts if p.strip()]


def check_app_size(model, max_params: int = MAX_APP_PARAMS) -> None:
    """ValueError when `model` is too large for the app to stay responsive."""
    n = model.model.n_params
    if n > max_params:
        cfg = model.config
        raise ValueError(
            f"the network has {n:,} parameters once the embedding is folded into W_ax "
            f"(n_a = {cfg.n_a}, {cfg.layers} layer(s), |V| = {cfg.n_x:,}), more than the "
            f"{max_params:,} the app keeps responsive (for example n_a = 512, 2 layers, a "
            "10k-token vocabulary); rnnviz.import_torch in Python has no such limit")


def _load() -> None:
    """The Load button's callback: import, keep it for this session, select it."""
    ss = st.session_state
    try:
        weights = ss.get(KEY_WEIGHTS)
        if weights is None:
            raise ValueError("choose a weights file first (.safetensors, .npz or .pt)")
        check_weights_name(weights.name)
        tokenizer = ss.get(KEY_TOKENIZER, "char")
        task = ss.get(KEY_TASK, "lm")
        if ss.get(KEY_VOCAB_FROM, "upload") == "file":       # an export: everything from it
            model = import_torch(weights, max_params=MAX_APP_PARAMS)
            vocab = None
        elif ss.get(KEY_VOCAB_FROM, "upload") == "upload":
            vocab_file = ss.get(KEY_VOCAB_FILE)
            if vocab_file is None:
                raise ValueError("upload the vocabulary (a JSON list, a JSON {token: index} "
                                 "map or a text file with one token per line), or paste it")
            vocab = load_vocab(vocab_file, tokenizer)
        else:
            text = ss.get(KEY_VOCAB_TEXT, "")
            if not text.strip():
                raise ValueError("paste the vocabulary: a JSON list, or one token a line")
            vocab = load_vocab(parse_vocab(text), tokenizer)
        if vocab is not None:
            model = import_torch(
                weights, vocab=vocab, task=task, tokenizer=tokenizer,
                lowercase=bool(ss.get(KEY_LOWERCASE, False)),
                labels=parse_labels(ss.get(KEY_LABELS, "")) if task != "lm" else None,
                readout=ss.get(KEY_READOUT, "h_n") if task == "classifier" else None,
                nonlinearity=ss.get(KEY_NONLINEARITY, "tanh"),
                start=(ss.get(KEY_START) or None) if task == "lm" else None,
                max_params=MAX_APP_PARAMS)
        check_app_size(model)
        ss[KEY_EXPORT] = (f"{model.name}.rnnviz.safetensors", export_bytes(model))
    except ValueError as exc:
        ss[KEY_RESULT] = ("error", str(exc))
        return
    except MemoryError:
        ss[KEY_RESULT] = ("error", "the model does not fit in the server's memory")
        return
    except Exception as exc:  # never a traceback for a file a visitor chose
        ss[KEY_RESULT] = ("error", f"the file could not be read as a model ({type(exc).__name__})")
        return
    add_session_model(model)
    cfg = model.config
    ss[KEY_RESULT] = ("ok", f"Loaded {model.label}: n_a = {cfg.n_a}, |V| = {len(model.vocab):,}, "
                            f"{model.model.n_params:,} parameters. It lives in this session only."
                            + "".join(f"\n\n⚠ {w}" for w in model.warnings))


def render_upload_panel() -> None:
    """The "Your model…" expander (inside the sidebar).

    Its form is drawn once the panel has been opened in the session (opening it reruns), and
    from then on in every run, open or closed, so that nothing typed or chosen in it is lost.
    Until then a run sends the expander alone: the form's dozen widgets and its code blocks
    (their scripts are a 1.5 MB download) are not part of a first visit."""
    panel = st.expander("Your model…", key=KEY_PANEL, on_change="rerun")
    if panel.open:
        st.session_state[KEY_OPENED] = True
    if not st.session_state.get(KEY_OPENED):
        return
    with panel:
        st.caption("A trained PyTorch nn.RNN, nn.GRU or nn.LSTM (stacked, bidirectional, with "
                   "an nn.Embedding in front and an nn.Linear head): every page shows it. "
                   "The embedding is folded into W_ax (W_ax Eᵀ), so x⟨t⟩ stays the one-hot "
                   "vector of your token.")
        st.caption("A reload of the page drops an uploaded model. After loading, download it "
                   "as one file (below): uploading that file alone, with Vocabulary \"in the "
                   "weights\", brings it back with every setting.")
        st.file_uploader(f"Weights (at most {MAX_BYTES // 2**20} MB; "
                         f"{', '.join('.' + t for t in weight_types())})",
                         key=KEY_WEIGHTS, max_upload_size=MAX_BYTES // 2**20,
                         help="The model's state_dict saved with safetensors (.npz and .pt are "
                              "read too; .pt only with weights_only=True, never unpickled). "
                              "Checkpoints {'model_state_dict': ...} and DataParallel's "
                              "'module.' names are unwrapped.")
        st.radio("Vocabulary", VOCAB_FROM, key=KEY_VOCAB_FROM, horizontal=True,
                 format_func=VOCAB_FROM_NAMES.__getitem__)
        vocab_from = st.session_state.get(KEY_VOCAB_FROM, "upload")
        if vocab_from == "file":
            st.caption("An rnnviz export carries the vocabulary, task, tokenizer, case, labels, "
                       "readout and start token: nothing else is needed.")
            _buttons()
            return
        if vocab_from == "upload":
            st.file_uploader("Vocabulary file (UTF-8: .json or .txt)",
                             key=KEY_VOCAB_FILE, max_upload_size=MAX_VOCAB_MB,
                             help="A JSON list of the tokens in index order, a JSON "
                                  "{token: index} map, or a text file with one token a line.")
        else:
            st.text_area("Vocabulary", key=KEY_VOCAB_TEXT, height=90,
                         placeholder='["a", "b", "c"]  or one token a line')
        st.selectbox("Task", TASKS, key=KEY_TASK, format_func=TASK_NAMES.__getitem__)
        st.radio("Tokenizer", ("char", "word"), key=KEY_TOKENIZER, horizontal=True,
                 help="char: one token per character. word: runs of letters, digits and "
                      "apostrophes are words, every other non-space character is a token, "
                      "spaces separate (\"don't stop!\" → don't · stop · !).")
        st.checkbox("Lowercase the text", key=KEY_LOWERCASE,
                    help="Lower the text before looking tokens up, as a pipeline that "
                         "lowercased its training text did (then \"NOT\" reads as \"not\").")
        task = st.session_state.get(KEY_TASK, "lm")
        if task == "lm":
            st.text_input("Start token (optional)", key=KEY_START,
                          help="A token the model reads first, as it did in training. Empty: "
                               "it starts from a⟨0⟩ = 0 and reads your text as given.")
        else:
            st.text_input("Labels (comma-separated, in output order)", key=KEY_LABELS,
                          help="Names of the classes; empty: class 0, class 1, ...")
        if task == "classifier":
            readout = st.radio("The head reads", tuple(CLASSIFIER_READOUTS), key=KEY_READOUT,
                               format_func=READOUT_NAMES.__getitem__)
            st.caption("In your torch code (`out, h_n = rnn(x)`, time first):")
            st.code(CLASSIFIER_READOUTS[readout or "h_n"][1], language="python")
        st.radio("nn.RNN nonlinearity", ("tanh", "relu"), key=KEY_NONLINEARITY, horizontal=True,
                 help="Only for nn.RNN (GRU and LSTM use tanh).")
        _buttons()
        st.caption("Export from PyTorch:")
        st.code(EXPORT_SNIPPET, language="python")


def _buttons() -> None:
    """Load model, the result of the last load, and the download of the loaded model."""
    result = st.session_state.get(KEY_RESULT)
    st.button("Load model", key=KEY_LOAD, on_click=_load, type="primary")
    if result is not None:
        if result[0] == "error":
            st.error(md(f"Could not load your model: {result[1]}. The session keeps the "
                        "model it had."))
        else:
            st.success(md(result[1]))
    if st.session_state.get(KEY_EXPORT):
        name, data = st.session_state[KEY_EXPORT]
        st.download_button("Download it as one file", data, file_name=name,
                           mime="application/octet-stream", key=K + "download",
                           help="Weights, vocabulary and settings in one .safetensors file "
                                "(your own module names: model.load_state_dict works on it).")


__all__ = ["render_upload_panel", "weight_types", "parse_labels", "check_app_size",
           "check_weights_name", "export_bytes",
           "EXPORT_SNIPPET", "MAX_APP_PARAMS"]
