"""The ``alpaca`` backend: the device interfaces over the ASCOM Alpaca Device API (HTTP
and JSON), the way to reach Windows/ASCOM-only hardware through a vendor's Alpaca server
or ASCOM Remote.

``client`` speaks the protocol (transaction ids, timeouts, Alpaca error numbers as our
DeviceErrors); ``images`` decodes ImageBytes and JSON image arrays; ``discovery`` finds
servers by Alpaca's UDP discovery and lists their devices; ``devices``, ``camera`` and
``weather`` are the interfaces' classes. See docs/alpaca.md. May import config, clock,
astro and the rest of devices.
"""
