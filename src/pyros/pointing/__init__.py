"""The telescope's pointing model: TPOINT-style terms (``terms``), their least-squares
fit from solved-minus-commanded offsets (``fit``), the grid of fields a dedicated run
observes (``grid``) and the run itself on the unit's devices (``run``); the Django side
stores each fit (``models``, ``store``) and writes the model in force where the devices'
correction layer (``pyros.devices.corrected``) reads it.

The core (terms, fit, grid) is plain numpy and may import only astro; ``run`` also uses
the devices and the analysis core; ``models``/``store`` are the Django side."""
