"""About rnnviz: what the app shows, in the notation of the course notes."""

import streamlit as st

import rnnviz_app as ui

# Raw string: "\<t\>" is the Markdown escape that shows a<t> literally instead of an HTML tag.
ABOUT = r"""
**See what happens inside a recurrent network, one time step at a time.**

rnnviz runs small RNNs, GRUs and LSTMs in NumPy and shows every quantity of the forward
and backward pass in the notation of the course notes:

- the hidden state **a\<t\>** and, for GRUs and LSTMs, the memory cell **c\<t\>**;
- the gates **Γu** (update), **Γf** (forget), **Γo** (output), **Γr** (relevance, the GRU's
  reset gate) and the candidate **c̃\<t\>**;
- the gradients ∂L/∂a\<t\> flowing back through time, and how they **vanish** or explode;
- **bidirectional** networks, with a→\<t\> and a←\<t\> side by side;
- **sampling** from character-level language models trained on small corpora.

Shapes follow the notes: an input batch x is (n_x, m, T_x), hidden states are (n_a, m, T_x),
and t counts from 1. Pick a page in the menu to start.
"""


def render() -> None:
    ui.ensure_frame()
    st.title("rnnviz")
    st.markdown(ABOUT)


render()
