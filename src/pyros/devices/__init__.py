"""Devices behind interfaces: Mount, Dome, Camera, FilterWheel, Focuser, WeatherStation.

``interfaces`` declares what every backend offers (typed status, capabilities, errors
that name the device); ``targets`` refuses pointings below the horizon or outside the
mount's limits before anything is sent; ``sim`` and ``indi`` are the backends; ``factory``
builds a unit's devices from its configuration. May import config, clock, astro.
"""
