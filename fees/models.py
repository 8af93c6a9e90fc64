from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, Branch, KantorPerisai
from core.audit import audited
from core.models import TimeStampedModel
from enrollments.models import Effective, PaymentLine, Registration

PERIOD_VALIDATOR = RegexValidator(r"^[0-9]{4}-(0[1-9]|1[0-2])$", _("A period is YYYY-MM."))
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class FeeScheme(Effective):
    """The Perisai fee rules in force from one date: commission on contributions
    received from recruits, the monthly acquisition bonus, and the Kantor Perisai
    override. A month is paid under the scheme in force on its first day."""

    name = models.CharField(_("name"), max_length=100)
    commission_percent = models.DecimalField(
        _("commission (percent of contributions received)"),
        max_digits=7,
        decimal_places=4,
        validators=PERCENT,
    )
    bonus_amount = models.PositiveIntegerField(_("acquisition bonus (Rp)"))
    bonus_min_activations = models.PositiveIntegerField(
        _("new activated participants needed for the bonus")
    )
    override_percent = models.DecimalField(
        _("Kantor Perisai override (percent of its agents' fees)"),
        max_digits=7,
        decimal_places=4,
        validators=PERCENT,
    )
    version_key = ()

    class Meta(Effective.Meta):
        ordering = ["-effective_from"]
        verbose_name = _("fee scheme")
        verbose_name_plural = _("fee schemes")

    def __str__(self) -> str:
        return f"{self.name} ({self.commission_percent}%)"


class StatementStatus(models.TextChoices):
    OPEN = "open", _("Open")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    FORFEITED = "forfeited", _("Forfeited (agent terminated)")


@audited()
class FeeStatement(TimeStampedModel):
    """A month's fee lines for one agent (or, for overrides, one Kantor Perisai).
    open -> approved -> paid; an approved statement never changes, so a line for its
    month that comes later lands in the next open statement."""

    Status = StatementStatus

    agent = models.ForeignKey(
        Agent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fee_statements",
        verbose_name=_("agent"),
    )
    kantor_perisai = models.ForeignKey(
        KantorPerisai,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fee_statements",
        verbose_name=_("Kantor Perisai"),
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="fee_statements", verbose_name=_("branch")
    )
    period = models.CharField(_("period"), max_length=7, validators=[PERIOD_VALIDATOR])
    status = models.CharField(
        _("status"), max_length=10, choices=StatementStatus.choices, default=StatementStatus.OPEN
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked paid by"),
    )

    class Meta:
        ordering = ["-period", "id"]
        verbose_name = _("fee statement")
        verbose_name_plural = _("fee statements")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(agent__isnull=False, kantor_perisai__isnull=True)
                    | models.Q(agent__isnull=True, kantor_perisai__isnull=False)
                ),
                name="fee_statement_one_owner",
            ),
            models.UniqueConstraint(
                fields=["agent", "period"],
                condition=models.Q(agent__isnull=False),
                name="fee_statement_agent_period",
            ),
            models.UniqueConstraint(
                fields=["kantor_perisai", "period"],
                condition=models.Q(kantor_perisai__isnull=False),
                name="fee_statement_kantor_period",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=StatementStatus.values),
                name="fee_statement_status_known",
            ),
        ]
        indexes = [models.Index(fields=["branch", "period"], name="fee_statement_branch_period")]

    def __str__(self) -> str:
        return f"{self.period} {self.agent_id or self.kantor_perisai_id}"


class LineKind(models.TextChoices):
    COMMISSION = "commission", _("Commission")
    ACQUISITION_BONUS = "acquisition_bonus", _("Acquisition bonus")
    OVERRIDE = "override", _("Kantor Perisai override")
    REVERSAL = "reversal", _("Reversal")
    RELEASE = "release", _("Release of a held line")
    ADJUSTMENT = "adjustment", _("Adjustment")


class FeeLine(models.Model):
    """The append-only ledger: a line is never updated or deleted (a trigger refuses it
    on PostgreSQL); a correction is a new line. ``source_key`` names what earned the
    line, so a recompute inserts each line once however often it runs.

    Not in the audit trail: with updates and deletes refused, its events would only copy
    each line as inserted, a million rows a month, doubling the recompute's writes; the
    line itself records when it was written and what earned it."""

    Kind = LineKind

    # Unique by a constraint, not unique=True: that would add a second, pattern-matching
    # index (varchar_pattern_ops) that nothing searches by, paid on every insert.
    source_key = models.CharField(_("source"), max_length=80)
    # Foreign keys without an index of their own are covered by a composite index below,
    # or never searched by: every index is paid for on each of a month's million inserts.
    statement = models.ForeignKey(
        FeeStatement,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name=_("statement"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=LineKind.choices)
    amount = models.BigIntegerField(_("amount (Rp)"))
    earned_period = models.CharField(_("earned in"), max_length=7, validators=[PERIOD_VALIDATOR])
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"), db_index=False
    )
    agent = models.ForeignKey(
        Agent,
        on_delete=models.PROTECT,
        related_name="fee_lines",
        verbose_name=_("agent"),
        help_text=_("The agent whose work earned the line (for overrides, the office's agent)."),
        db_index=False,
    )
    # No database constraint on these two: checking it locks the referenced payment line
    # and registration of every line written (a million of each a month), about a quarter
    # of a recompute (64.5 s -> 49.7 s for a 1M-line month). The values are copied from
    # the payment line in the statement that writes the line; deleting a payment line or
    # registration a fee line points at is refused by triggers (migration 0008: a delete
    # waits for lines still being written) and by PROTECT in the ORM.
    payment_line = models.ForeignKey(
        PaymentLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
        db_constraint=False,
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registration"),
        db_index=False,
        db_constraint=False,
    )
    scheme = models.ForeignKey(
        FeeScheme,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scheme"),
        db_index=False,
    )
    override_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("override of"),
        db_index=False,
    )
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reverses"),
        db_index=False,
    )
    releases = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("releases"),
        db_index=False,
    )
    held = models.BooleanField(
        _("held"),
        default=False,
        help_text=_(
            "Depends on a flagged registration: not payable unless a release line follows."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("fee line")
        verbose_name_plural = _("fee lines")
        indexes = [
            models.Index(fields=["statement", "held"], name="fee_line_statement"),
            models.Index(fields=["branch", "earned_period"], name="fee_line_branch_period"),
            models.Index(fields=["registration"], name="fee_line_registration"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=LineKind.values), name="fee_line_kind_known"
            ),
            models.UniqueConstraint(fields=["source_key"], name="fee_line_source_key_unique"),
        ]

    def __str__(self) -> str:
        return self.source_key


class FlagRule(models.TextChoices):
    BURST = "burst", _("Many registrations from one spot in minutes")
    SHARED_PHONE = "shared_phone", _("One phone number shared by several participants")
    NIK_PROVINCE = "nik_province", _("NIK issued in another province than the branch's")
    STAFF = "staff", _("Flagged by staff")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Awaiting review")
    CLEARED = "cleared", _("Cleared")
    CONFIRMED = "confirmed", _("Fraud confirmed")


class RegistrationFlag(TimeStampedModel):
    """A registration under suspicion. Its fee lines are held while a flag is open;
    clearing releases them, confirming keeps them from ever being paid."""

    Rule = FlagRule
    Status = FlagStatus

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="flags", verbose_name=_("registration")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("branch")
    )
    rule = models.CharField(_("rule"), max_length=20, choices=FlagRule.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN
    )
    note = models.TextField(_("note"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("registration flag")
        verbose_name_plural = _("registration flags")
        constraints = [
            models.UniqueConstraint(fields=["registration", "rule"], name="flag_once_per_rule"),
        ]
        indexes = [models.Index(fields=["status", "branch"], name="flag_status_branch")]

    def __str__(self) -> str:
        return f"{self.registration_id} {self.rule}"


class PendingRecompute(models.Model):
    """A requested recompute of a branch-month, written in the same transaction as the
    payment or reversal that asks for it. It is the record, not the queue: the task
    that recomputes the month deletes the rows it saw, in the transaction that writes
    the ledger, so a recompute lost with its worker or its broker is still here, and
    ``fees.requeue_pending_recomputes`` queues it again once it is overdue. One row
    per request (no row is updated), so payments never wait on each other here."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=7, validators=[PERIOD_VALIDATOR])
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued again at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending fee recompute")
        verbose_name_plural = _("pending fee recomputes")
        indexes = [
            models.Index(fields=["branch", "period"], name="fees_pending_scope_idx"),
            models.Index(fields=["created_at"], name="fees_pending_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.period}"
