"""A simulated ASCOM Alpaca server: the Alpaca Device API over real HTTP on 127.0.0.1 for
a telescope, a dome, a camera, a filter wheel, a focuser, ObservingConditions and a
SafetyMonitor, with the Management API and UDP discovery. It lets the ``alpaca`` backend
be tested end to end, error paths included, with nothing installed (docs/alpaca.md).
May import devices.alpaca.images (the ImageBytes encoder)."""
