"""What the observations app tells the rest of the system, without knowing who listens:
the scheduler re-plans when requests are submitted or cancelled."""

from django.dispatch import Signal

#: Sent inside the transaction that submits (``change="submitted"``) or cancels
#: (``change="cancelled"``) a request; arguments: ``request``, ``change``.
requests_changed = Signal()

#: Sent by the majordome when it commands the slew of a sequence, with ``sequence_id``
#: and ``slew_at``: the alerts' decision log records it (the latency's last step).
sequence_started = Signal()
