"""Autofocus: a V-curve of FWHM against focuser position, fitted as a hyperbola
(``vcurve``), the sweep that takes the frames on the unit's devices (``sweep``), when
to focus again (``due``); the Django side keeps each run (``models``, ``store``).

The core (vcurve, due) is plain numpy; ``sweep`` uses the devices and the analysis
core; ``models``/``store`` are the Django side."""
