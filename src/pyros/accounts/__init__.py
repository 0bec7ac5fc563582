"""Users, the eight profiles of the original guide, and who may see or do what.

``profiles`` and ``rights`` are plain data (no Django); ``models`` stores users and
their profile. Depends on nothing else in PyROS.
"""
