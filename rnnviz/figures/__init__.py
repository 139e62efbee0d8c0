"""Pure figure builders: (trace, options) -> plotly.graph_objects.Figure. No Streamlit.

Modules, one per page: `activations`, `forward`, `backward`, `vanishing` (and the other
pages' `bidirectional`, `sampling`, `types`); `common` holds escaping, colours and layout
shared by all. Every text that reaches Plotly is escaped (`common.plotly_text`), every
symbol is the course's (`common.sym`), and arrays are sent as float32.
"""
