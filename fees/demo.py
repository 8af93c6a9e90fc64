"""Demo fees: the ledger for every month with demo payments, the demo's statements of
months before the last approved and paid, the last two still open, and one demo
registration in the fraud review queue. A statement holding a line of the user's own
registrations is never approved here, and a second run writes nothing."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone

from agents.models import Branch
from core.dates import period_of, previous_period
from core.demo import DemoContext
from enrollments.demo import demo_registrations
from fees import services
from fees.models import FeeLine, FeeStatement, FlagRule, RegistrationFlag, StatementStatus


def seed(context: DemoContext) -> None:
    # Only the months in which this run created demo payments: on a second run, none.
    periods = sorted(context.periods_paid)
    inserted = 0
    for period in periods:
        for branch_id in Branch.objects.order_by("pk").values_list("pk", flat=True):
            inserted += services.fees_recompute_branch(branch_id=branch_id, period=period).inserted
    admin = get_user_model().objects.get(username="admin")
    demo = demo_registrations()
    users_lines = FeeLine.objects.filter(
        statement=OuterRef("pk"), registration__isnull=False
    ).exclude(registration__in=demo)
    current = period_of(timezone.localdate())
    settled = list(
        FeeStatement.objects.filter(
            period__lt=previous_period(current), status=StatementStatus.OPEN
        ).filter(~Exists(users_lines))
    )
    approved = services.statements_approve(statements=settled, by=admin) if settled else 0
    if settled:
        services.statements_mark_paid(statements=settled, by=admin)
    suspicious = demo.filter(agent__code="KDI-0003").order_by("id").first()
    if (
        suspicious is not None
        and not RegistrationFlag.objects.filter(
            registration=suspicious, rule=FlagRule.STAFF
        ).exists()
    ):
        # Once: a flag that staff have since cleared stays cleared.
        services.registration_flag(
            registration=suspicious, by=admin, note="Contoh antrean tinjauan (data demo)"
        )
    context.note(
        f"fee lines over {len(periods)} months ({inserted} new); "
        f"{approved} statements approved and paid"
    )
