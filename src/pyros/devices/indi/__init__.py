"""The ``indi`` backend: PyROS devices driven through an indiserver (INDI protocol 1.7,
XML over TCP, port 7624 by default), as KStars/Ekos and most observatory drivers speak it.

``protocol`` parses and writes INDI messages as plain dataclasses; ``client`` is one
connection to an indiserver; ``devices`` implements the interfaces of
:mod:`pyros.devices.interfaces` (mount, dome, filter wheel, focuser, weather station)
over the standard INDI properties, ``camera`` the camera (with ``headers``, which makes
each image's header agree with the unit's devices); ``watchdog`` is INDI's WatchDog
driver as the second safety layer; ``requirements`` lists the properties each kind of
device needs (docs/devices.md).

Why a client of our own: the Python INDI clients we know (pyindi-client, a SWIG binding
of the C++ client library; pure-Python ones such as indipyclient) hand out properties as
callbacks or a live mapping and leave the rest to the caller. An unattended observatory
needs that rest on every call: waiting until an order is done (its property leaves Busy)
or failed (Alert, with the driver's reason), a timeout, reconnection after indiserver
restarts, and images streamed to disk as they arrive instead of held in memory. The
client here does those and little else: an asyncio loop in a background thread behind
synchronous calls with timeouts, about what the device interfaces need.

May import config, clock, astro and the rest of ``pyros.devices``; only the device
factory should import it.
"""
