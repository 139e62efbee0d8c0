"""The NumPy core: cells, fused sequences, the model abstraction, traces and analysis."""
