"""Pure figure builders: (trace, options) -> plotly.graph_objects.Figure. No Streamlit.

Modules, one per page: `activations`, `forward`, `backward`, `vanishing` (and the other
pages' `bidirectional`, `sampling`, `types`). Shared by all, one job each: `safe_text`
(escaping, visible characters), `colours`, `figure` (the Figure, float32 arrays, the common
layout), `axes` (token ticks, log axes), `animation` (Play and slider), `arrows`, `tables`.
Every text that reaches Plotly is escaped (`safe_text.plotly_text`), every symbol is the
course's (`safe_text.sym`), and arrays are sent as float32.
"""
