"""Events other apps may react to without the agents app knowing them."""

from django.dispatch import Signal

# Sent inside the terminating transaction, with ``agent``. The fees app forfeits the
# agent's unpaid statements.
agent_terminated = Signal()
