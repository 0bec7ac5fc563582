"""PyROS, the Python Robotic Observatory Software.

The domain core (``clock``, ``config.schema``, ``observations.spec`` and friends) is
plain Python; the Django apps (``accounts``, ``programs``, ``observations``, ``web``)
and the ``pyros`` command are thin layers on top of it.
"""

__version__ = "0.1.0"
