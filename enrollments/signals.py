"""Events other apps may react to without the enrollments app knowing them."""

from django.dispatch import Signal

# Sent inside the transaction that records or reverses a payment, with
# ``branch_moments``: (branch id, aware datetime) pairs whose months changed. The fees
# app recomputes those months once the transaction commits.
payments_changed = Signal()
