"""Tests of the NumPy core (rnnviz.core): gradients, course step API, model, analysis, traces."""
