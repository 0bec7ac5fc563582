"""Data reduction and analysis: master calibrations, the pipeline of small stages that
calibrates, measures and solves each frame, and the search for an alert's transient.

The core (frames, stages, masters, astrometry, photometry, candidates) is plain Python
on numpy, sep and astrometry.net's ``solve-field``: it imports no Django and may depend
on config, clock and, for the simulated sky's truth and index, simulators. The Django
side (models, store, the analysis agent, pages) loads frames, calls the core and stores
what it found.
"""
