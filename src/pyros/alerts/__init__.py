"""Alerts: VOEvent packets from the transient networks, turned into events to observe.

A gamma-ray burst, a neutrino or a gravitational-wave candidate reaches PyROS as a series
of packets (a first rough position, then better ones, sometimes a retraction) from
brokers that anyone on the network can reach. This package is the plain-Python core of
the intake, with no database and no network:

* ``voevent`` reads one packet, which may be hostile, into a normalised :class:`Alert`
  record (or refuses it with the reason), keeping the raw bytes;
* ``events`` groups packets into events (one burst, one superevent) and decides what a
  new packet changes: nothing (a duplicate), a new event, a better position, a
  cancellation.

The Django models, the alert agent and the broker build on these. This package may
import only ``pyros.clock``, the standard library, lxml, pydantic and astropy.
"""
