"""Simulators of the observatory: what the devices would do, see and report, without hardware.

``models`` is the devices' behaviour driven by the Clock, ``server`` serves the simulated
devices on their configured ports, and ``sky`` renders the images a simulated camera
returns (star field, sky background, detector noise, FITS headers with a WCS),
``transients`` the sources that light up and fade (and the running simulator's registry
of them), ``truth`` what a LIGHT frame really shows, stored in its TRUTH extension.

Simulators are plain Python (numpy, astropy): they may import ``config``, ``clock``,
``astro`` and the device interfaces, never Django or the agents. They never touch the
network: coordinates go through ``pyros.astro``, which keeps astropy on its bundled
IERS tables.
"""
