"""Demo fees: the ledger for every month with payments, statements of months before the
last approved and paid, the last two still open, and one registration in the fraud
review queue."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from agents.models import Branch
from core.dates import period_of
from core.demo import DemoContext
from enrollments.models import PaymentLine, Registration
from fees import services
from fees.models import FeeLine, FeeStatement, StatementStatus
from fees.periods import previous_period


def seed(context: DemoContext) -> None:
    periods = sorted(
        {
            period_of(moment.date())
            for moment in PaymentLine.objects.values_list("paid_at", flat=True)
        }
    )
    current = period_of(timezone.localdate())
    inserted = 0
    for period in periods:
        for branch_id in Branch.objects.order_by("pk").values_list("pk", flat=True):
            inserted += services.fees_recompute_branch(branch_id=branch_id, period=period).inserted
    admin = get_user_model().objects.get(username="admin")
    settled = FeeStatement.objects.filter(
        period__lt=previous_period(current), status=StatementStatus.OPEN
    )
    approved = services.statements_approve(statements=list(settled), by=admin)
    services.statements_mark_paid(
        statements=list(
            FeeStatement.objects.filter(
                period__lt=previous_period(current), status=StatementStatus.APPROVED
            )
        ),
        by=admin,
    )
    suspicious = Registration.objects.filter(agent__code="KDI-0003").order_by("id").first()
    if suspicious is not None:
        services.registration_flag(
            registration=suspicious, by=admin, note="Contoh antrean tinjauan (data demo)"
        )
    context.note(
        f"{FeeLine.objects.count()} fee lines over {len(periods)} months ({inserted} new); "
        f"{approved} statements approved and paid"
    )
