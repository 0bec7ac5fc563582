"""The pointing tests' simulated observatory (a focuser with its optics, a camera)."""

from tests.pointing.conftest import sim_unit

__all__ = ["sim_unit"]
