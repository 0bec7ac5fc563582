"""What the observations app tells the rest of the system, without knowing who listens:
the scheduler re-plans when requests are submitted or cancelled."""

from django.dispatch import Signal

#: Sent inside the transaction that submits (``change="submitted"``) or cancels
#: (``change="cancelled"``) a request; arguments: ``request``, ``change``.
requests_changed = Signal()
