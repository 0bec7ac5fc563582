"""A night that survives its faults: a whole PyROS on a simulated clock, on a private
PostgreSQL cluster, observing while faults are injected one after the other, and the
table of what each fault cost (``pyros bench faults``, docs/faults.md)."""
