"""Tests of the NumPy core (rnnviz.core): gradients, seed API, model, analysis, traces."""
