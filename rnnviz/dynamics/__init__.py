"""Why gradients vanish, seen from the dynamics: step Jacobians and their spectra along a
sentence (`jacobians`), fixed points under a constant input (`fixed_points`)."""

from rnnviz.dynamics.fixed_points import FixedPoint, FixedPoints, fixed_points
from rnnviz.dynamics.jacobians import (
    Spectrum,
    StepJacobians,
    jacobian_product,
    jacobian_spectrum,
    spectrum_summary,
    step_jacobians,
)

__all__ = ["step_jacobians", "jacobian_spectrum", "jacobian_product", "spectrum_summary",
           "fixed_points", "FixedPoint", "FixedPoints", "StepJacobians", "Spectrum"]
