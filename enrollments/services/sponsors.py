"""GN Lingkaran sponsorships."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ConflictError, InvalidInputError
from enrollments import pricing
from enrollments.models import Participant, Sponsor, Sponsorship
from enrollments.selectors import reference_snapshot


@transaction.atomic
def sponsorship_create(*, sponsor: Sponsor, participant: Participant, months: int) -> Sponsorship:
    """Freezes the monthly amount the sponsor pays: the mandatory programs (JKK and JKM,
    what GN Lingkaran donors fund) of the participant's registration, priced again on
    its own date, without reliefs when the sponsor is a public budget (APBN/APBD
    participants are excluded from them)."""
    if months < 1:
        raise InvalidInputError(fields={"months": [_("At least one month.")]})
    if Sponsorship.objects.filter(sponsor=sponsor, participant=participant).exists():
        raise ConflictError(_("This sponsor already funds this participant."))
    registration = participant.registration
    snapshot = reference_snapshot(on=registration.priced_on)
    contribution = pricing.price_contribution(
        declared_income=registration.declared_income,
        include_jht=False,
        period_months=1,
        rates=snapshot.rates,
        reliefs=snapshot.reliefs,
        budget_funded=sponsor.is_budget,
    )
    sponsorship = Sponsorship(
        sponsor=sponsor,
        participant=participant,
        months=months,
        monthly_amount=contribution.monthly_total,
    )
    sponsorship.full_clean()
    sponsorship.save()
    return sponsorship
