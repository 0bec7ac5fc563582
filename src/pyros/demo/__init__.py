"""``pyros demo``: a whole simulated night, dusk to dawn, that anyone can watch.

A data directory of its own (database, images, logs: a temporary folder, or the one
``--keep`` names), the example unit on free ports, programs and users with a realistic
mix of requests, weather that drifts (``plc.weather``) with one rain shower, a real
VOEvent sent through the normal alert intake during the night, and PyROS started as a
user starts it (``pyros start --sim-time --speed``), its web site up to be watched.
At dawn: a summary read from the demo's database.

Modules: ``sandbox`` (the data directory and its environment), ``population`` (who asks
for what), ``alert`` (which real packet, and when), ``night`` (the run), ``summary``
(the figures), ``console`` (the terminal). May import every PyROS package; nothing
imports it but the command line.
"""
