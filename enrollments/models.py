from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, Branch
from core.audit import audited
from core.models import NikHolder, Regency, TimeStampedModel
from enrollments import coverage
from enrollments.pricing import PAYMENT_PERIODS
from partners.models import Partner


class EffectiveQuerySet(models.QuerySet):
    def in_force(self, on: datetime.date) -> EffectiveQuerySet:
        return self.filter(
            models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=on),
            effective_from__lte=on,
        )


class Effective(TimeStampedModel):
    """A version of reference data, in force from ``effective_from`` to
    ``effective_to`` inclusive (open-ended when empty). Registrations are priced by the
    versions in force on their date, and keep that price: a new version never reprices
    what was registered before it."""

    effective_from = models.DateField(_("in force from"))
    effective_to = models.DateField(_("in force until"), null=True, blank=True)

    objects = EffectiveQuerySet.as_manager()

    # The fields that, with the period, must not overlap another version's.
    version_key: tuple[str, ...] = ()

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True)
                | models.Q(effective_to__gte=models.F("effective_from")),
                name="%(app_label)s_%(class)s_period_ordered",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("The end of the period is before its start.")})
        if not self.effective_from:
            return
        overlapping = (
            type(self)
            ._default_manager.filter(**{name: getattr(self, name) for name in self.version_key})
            .exclude(pk=self.pk)
        )
        overlapping = overlapping.filter(
            models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=self.effective_from)
        )
        if self.effective_to:
            overlapping = overlapping.filter(effective_from__lte=self.effective_to)
        if overlapping.exists():
            raise ValidationError(
                _("Another version is in force during part of this period; end it first.")
            )


class Program(models.TextChoices):
    JKK = "JKK", _("JKK (work accident)")
    JKM = "JKM", _("JKM (death)")
    JHT = "JHT", _("JHT (old-age savings)")


PAYMENT_PERIOD_CHOICES = [(months, str(months)) for months in PAYMENT_PERIODS]


class IncomeLevel(Effective):
    """A declared-income step of the BPU contribution table (Rupiah per month)."""

    amount = models.PositiveBigIntegerField(_("declared monthly income (Rp)"))
    version_key = ("amount",)

    class Meta(Effective.Meta):
        ordering = ["amount", "-effective_from"]
        verbose_name = _("income level")
        verbose_name_plural = _("income levels")

    def __str__(self) -> str:
        return f"Rp{self.amount:,} ({self.effective_from} - {self.effective_to or '...'})"


class ProgramRate(Effective):
    """A program's monthly rate: a share of the declared income, or a flat amount."""

    program = models.CharField(_("program"), max_length=3, choices=Program.choices)
    percent_of_income = models.DecimalField(
        _("share of declared income (percent)"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    flat_amount = models.PositiveIntegerField(_("flat amount (Rp)"), null=True, blank=True)
    version_key = ("program",)

    class Meta(Effective.Meta):
        ordering = ["program", "-effective_from"]
        verbose_name = _("program rate")
        verbose_name_plural = _("program rates")
        constraints = [
            *Effective.Meta.constraints,
            models.CheckConstraint(
                condition=(
                    models.Q(percent_of_income__isnull=False, flat_amount__isnull=True)
                    | models.Q(percent_of_income__isnull=True, flat_amount__isnull=False)
                ),
                name="program_rate_percent_or_flat",
            ),
        ]

    def __str__(self) -> str:
        rate = (
            f"{self.percent_of_income}%"
            if self.percent_of_income is not None
            else f"Rp{self.flat_amount:,}"
        )
        return f"{self.program} {rate} ({self.effective_from} - {self.effective_to or '...'})"

    def clean(self) -> None:
        if (self.percent_of_income is None) == (self.flat_amount is None):
            raise ValidationError(_("Give either a percentage of income or a flat amount."))
        super().clean()


class ContributionRelief(Effective):
    """A temporary reduction (e.g. PP 50/2025: JKK and JKM at 50%). Participants whose
    contributions come from the state or regional budget (APBN/APBD) can be excluded."""

    name = models.CharField(_("name"), max_length=150, help_text=_("e.g. PP 50/2025"))
    applies_to_jkk = models.BooleanField(_("applies to JKK"), default=False)
    applies_to_jkm = models.BooleanField(_("applies to JKM"), default=False)
    applies_to_jht = models.BooleanField(_("applies to JHT"), default=False)
    pay_percent = models.DecimalField(
        _("share still paid (percent)"),
        max_digits=5,
        decimal_places=2,
        help_text=_("50 means half the contribution is paid."),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    excludes_budget_funded = models.BooleanField(
        _("not for APBN/APBD-funded participants"), default=True
    )
    version_key = ("name",)

    class Meta(Effective.Meta):
        ordering = ["-effective_from"]
        verbose_name = _("contribution relief")
        verbose_name_plural = _("contribution reliefs")
        constraints = [
            *Effective.Meta.constraints,
            models.CheckConstraint(
                condition=models.Q(pay_percent__gte=0) & models.Q(pay_percent__lte=100),
                name="relief_pay_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def programs(self) -> frozenset[str]:
        flags = {
            Program.JKK: self.applies_to_jkk,
            Program.JKM: self.applies_to_jkm,
            Program.JHT: self.applies_to_jht,
        }
        return frozenset(str(program) for program, applies in flags.items() if applies)


class Occupation(Effective):
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name (Indonesian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    version_key = ("code",)

    class Meta(Effective.Meta):
        ordering = ["name"]
        verbose_name = _("occupation")
        verbose_name_plural = _("occupations")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class ParticipantStatus(models.TextChoices):
    # The values are coverage.py's, where the rules that set them live.
    AWAITING_PAYMENT = coverage.AWAITING_PAYMENT, _("Awaiting first payment")
    ACTIVE = coverage.ACTIVE, _("Active")
    NON_ACTIVE = coverage.NON_ACTIVE, _("Non-active")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


@audited()
class Participant(NikHolder, TimeStampedModel):
    """An informal worker (peserta BPU). One NIK, one participant: the database's
    unique index on the NIK's keyed hash decides."""

    Status = ParticipantStatus

    participant_number = models.CharField(_("participant number"), max_length=11, unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    phone = models.CharField(_("mobile number"), max_length=16, blank=True)
    regency = models.ForeignKey(
        Regency, on_delete=models.PROTECT, related_name="+", verbose_name=_("regency or city")
    )
    address = models.TextField(_("address"), blank=True)
    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="+", verbose_name=_("occupation")
    )
    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        related_name="participants",
        verbose_name=_("branch"),
        help_text=_("The branch of the agent who registered the participant."),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ParticipantStatus.choices,
        default=ParticipantStatus.AWAITING_PAYMENT,
    )
    nik_province_code = models.CharField(
        _("province code in the NIK"),
        max_length=2,
        blank=True,
        help_text=_("Where the NIK was issued; checked against the branch by the fraud rules."),
    )
    paid_through = models.DateField(
        _("paid through"),
        null=True,
        blank=True,
        help_text=_("Last day of the last month covered by the payments received."),
    )
    activated_at = models.DateTimeField(
        _("first paid at"), null=True, blank=True, help_text=_("When the first payment was made.")
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    # Set when the participant is reported deceased: no reminder is planned after it.
    reminders_stopped_at = models.DateTimeField(_("reminders stopped at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(fields=["nik_digest"], name="participant_nik_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=ParticipantStatus.values),
                name="participant_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(sex__in=Sex.values), name="participant_sex_known"
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "status"], name="participant_branch_status"),
            models.Index(fields=["status", "paid_through"], name="participant_status_paid"),
            models.Index(fields=["branch", "activated_at"], name="participant_branch_activated"),
        ]

    def __str__(self) -> str:
        return f"{self.participant_number} {self.full_name}"


@audited()
class Registration(TimeStampedModel):
    """How a participant was registered: by which agent, when and where, with which
    consent, and the contribution priced then (frozen: later rate changes never
    reprice it). The worker pays against ``payment_code``."""

    class ConsentMethod(models.TextChoices):
        SIGNATURE = "signature", _("Signature on the device")
        VERBAL = "verbal", _("Verbal, witnessed by the agent")
        THUMBPRINT = "thumbprint", _("Thumbprint")
        CHECKBOX = "checkbox", _("Ticked by the worker on the device")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        SYNC = "sync", _("Offline, synchronised later")
        IMPORT = "import", _("Imported")

    participant = models.OneToOneField(
        Participant,
        on_delete=models.PROTECT,
        related_name="registration",
        verbose_name=_("participant"),
    )
    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("agent")
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("branch")
    )
    client_uuid = models.UUIDField(_("client UUID"), unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    captured_at = models.DateTimeField(_("captured at"))
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    location_accuracy_m = models.PositiveIntegerField(
        _("location accuracy (m)"), null=True, blank=True
    )
    consent_given = models.BooleanField(_("consent given"))
    consent_method = models.CharField(
        _("consent method"), max_length=12, choices=ConsentMethod.choices
    )
    consent_at = models.DateTimeField(_("consent given at"))

    declared_income = models.PositiveBigIntegerField(_("declared monthly income (Rp)"))
    includes_jht = models.BooleanField(_("includes JHT"))
    payment_period_months = models.PositiveSmallIntegerField(_("payment period (months)"))
    priced_on = models.DateField(_("priced on"))
    contribution_jkk = models.PositiveIntegerField(_("JKK per month (Rp)"))
    contribution_jkm = models.PositiveIntegerField(_("JKM per month (Rp)"))
    contribution_jht = models.PositiveIntegerField(_("JHT per month (Rp)"))
    monthly_total = models.PositiveIntegerField(_("total per month (Rp)"))
    amount_due = models.PositiveBigIntegerField(_("amount due for the period (Rp)"))
    reliefs_applied = models.JSONField(_("reliefs applied"), default=list, blank=True)
    payment_code = models.CharField(_("payment code"), max_length=14, unique=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        indexes = [
            models.Index(fields=["agent", "-created_at", "-id"], name="registration_agent_recent"),
            models.Index(fields=["agent", "updated_at"], name="registration_agent_updated"),
            models.Index(fields=["branch", "created_at"], name="registration_branch_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(consent_given=True), name="registration_consent_given"
            ),
            models.CheckConstraint(
                condition=models.Q(payment_period_months__in=PAYMENT_PERIODS),
                name="registration_payment_period_known",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    monthly_total=models.F("contribution_jkk")
                    + models.F("contribution_jkm")
                    + models.F("contribution_jht")
                ),
                name="registration_monthly_total_adds_up",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    amount_due=models.F("monthly_total") * models.F("payment_period_months")
                ),
                name="registration_amount_due_adds_up",
            ),
        ]

    def __str__(self) -> str:
        # What staff and the worker know it by (the UUID is the app's own key).
        return self.payment_code


class SponsorKind(models.TextChoices):
    CSR_COMPANY = "csr_company", _("Company CSR")
    BUMN = "bumn", _("State-owned enterprise (BUMN/BUMD)")
    BAZNAS = "baznas", _("BAZNAS")
    INDIVIDUAL = "individual", _("Individual")
    REGIONAL_BUDGET = "apbd", _("Regional budget (APBD)")
    STATE_BUDGET = "apbn", _("State budget (APBN)")


BUDGET_SPONSOR_KINDS = frozenset({SponsorKind.REGIONAL_BUDGET, SponsorKind.STATE_BUDGET})


class Sponsor(TimeStampedModel):
    """GN Lingkaran: someone who pays named workers' contributions for a while."""

    Kind = SponsorKind

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=SponsorKind.choices)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sponsor")
        verbose_name_plural = _("sponsors")

    def __str__(self) -> str:
        return self.name

    @property
    def is_budget(self) -> bool:
        return self.kind in BUDGET_SPONSOR_KINDS


class Sponsorship(TimeStampedModel):
    """A sponsor funds one participant for a number of months, at a monthly amount
    frozen when the sponsorship is made: budget-funded (APBN/APBD) participants are
    priced without reliefs."""

    sponsor = models.ForeignKey(
        Sponsor, on_delete=models.PROTECT, related_name="sponsorships", verbose_name=_("sponsor")
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="sponsorships",
        verbose_name=_("participant"),
    )
    months = models.PositiveSmallIntegerField(_("months funded"))
    monthly_amount = models.PositiveIntegerField(_("monthly amount (Rp)"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sponsorship")
        verbose_name_plural = _("sponsorships")
        constraints = [
            models.UniqueConstraint(
                fields=["sponsor", "participant"], name="sponsorship_one_per_participant"
            ),
            models.CheckConstraint(condition=models.Q(months__gte=1), name="sponsorship_months"),
        ]

    def __str__(self) -> str:
        return f"{self.sponsor_id} -> {self.participant_id}"


@audited()
class Payment(models.Model):
    """One delivery from a payment channel, unique by the channel's reference. It pays
    one participant, or (a sponsor payment) many, one line each."""

    channel = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="payments", verbose_name=_("channel")
    )
    channel_ref = models.CharField(_("channel reference"), max_length=100)
    sponsor = models.ForeignKey(
        Sponsor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("sponsor"),
    )
    amount = models.PositiveBigIntegerField(_("amount (Rp)"))
    paid_at = models.DateTimeField(_("paid at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    request_hash = models.CharField(_("request hash"), max_length=64)
    response_body = models.TextField(_("answer"))

    class Meta:
        ordering = ["-paid_at", "-id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "channel_ref"], name="payment_channel_ref_unique"
            )
        ]
        indexes = [
            # The daily reconciliation's question: what did this channel pay on that day?
            models.Index(fields=["channel", "paid_at"], name="payment_channel_paid"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.channel_ref}"


@audited()
class PaymentLine(models.Model):
    """What one payment did for one participant: the months it covers."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="lines", verbose_name=_("payment")
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.PROTECT,
        related_name="payment_lines",
        verbose_name=_("registration"),
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="payment_lines",
        verbose_name=_("participant"),
    )
    # The registering agent, copied from the registration: fees and the agent's figures
    # are summed per agent over millions of lines without joining the registrations.
    agent = models.ForeignKey(
        Agent,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("agent"),
        db_index=False,
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="payment_lines", verbose_name=_("branch")
    )
    sponsorship = models.ForeignKey(
        Sponsorship,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment_lines",
        verbose_name=_("sponsorship"),
    )
    amount = models.PositiveBigIntegerField(_("amount (Rp)"))
    months = models.PositiveSmallIntegerField(_("months"))
    paid_at = models.DateTimeField(_("paid at"))
    covered_from = models.DateField(_("covers from"))
    covered_through = models.DateField(_("covers through"))
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)

    class Meta:
        ordering = ["-paid_at", "-id"]
        verbose_name = _("payment line")
        verbose_name_plural = _("payment lines")
        indexes = [
            models.Index(fields=["participant", "paid_at"], name="payment_line_participant"),
            models.Index(fields=["branch", "paid_at"], name="payment_line_branch_paid"),
            models.Index(fields=["agent", "paid_at"], name="payment_line_agent_paid"),
            # Few lines are ever reversed: a partial index finds a month's reversals.
            models.Index(
                fields=["reversed_at"],
                condition=models.Q(reversed_at__isnull=False),
                name="payment_line_reversed",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(months__in=PAYMENT_PERIODS), name="payment_line_months_known"
            ),
            models.CheckConstraint(
                condition=models.Q(covered_through__gte=models.F("covered_from")),
                name="payment_line_coverage_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}/{self.participant_id}"


@audited()
class PaymentReversal(models.Model):
    """A channel took a payment back (refund, chargeback). At most one per payment."""

    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="reversal", verbose_name=_("payment")
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    reversed_at = models.DateTimeField(_("reversed at"), auto_now_add=True)
    response_body = models.TextField(_("answer"))

    class Meta:
        ordering = ["-reversed_at"]
        verbose_name = _("payment reversal")
        verbose_name_plural = _("payment reversals")

    def __str__(self) -> str:
        return f"{self.payment_id}"


# Follow-ups ------------------------------------------------------------------------------


class ContactMethod(models.TextChoices):
    VISIT = "visit", _("visit")
    CALL = "call", _("call")
    MESSAGE = "message", _("message")


class ContactOutcome(models.TextChoices):
    PROMISED = "promised", _("promised to pay")
    PAID_ELSEWHERE = "paid_elsewhere", _("paid elsewhere")
    UNREACHABLE = "unreachable", _("unreachable")
    DECLINED = "declined", _("declined")
    MOVED = "moved", _("moved away")
    DECEASED = "deceased", _("deceased")


@audited()
class FollowUpContact(TimeStampedModel):
    """An agent's contact with one of their recruits, recorded online or later from the
    app's offline queue. Replay-safe by ``client_uuid``, like a registration."""

    client_uuid = models.UUIDField(_("client UUID"), unique=True)
    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="+", verbose_name=_("agent")
    )
    registration = models.ForeignKey(
        Registration,
        on_delete=models.PROTECT,
        related_name="contacts",
        verbose_name=_("registration"),
    )
    contacted_at = models.DateTimeField(_("contacted at"))
    method = models.CharField(_("method"), max_length=16, choices=ContactMethod.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=ContactOutcome.choices)
    promised_on = models.DateField(_("promised to pay on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-contacted_at", "-id"]
        verbose_name = _("follow-up contact")
        verbose_name_plural = _("follow-up contacts")
        indexes = [
            models.Index(fields=["registration", "-contacted_at"], name="contact_latest_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method__in=ContactMethod.values), name="contact_method_known"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=ContactOutcome.values),
                name="contact_outcome_known",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome=ContactOutcome.PROMISED, promised_on__isnull=False)
                | (~models.Q(outcome=ContactOutcome.PROMISED) & models.Q(promised_on__isnull=True)),
                name="contact_promise_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} {self.outcome}"


@audited()
class DeathReport(TimeStampedModel):
    """An agent reported a participant deceased: a case for the branch's staff (the
    family may claim JKM). Reminders to the participant stop when it is opened."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    participant = models.OneToOneField(
        Participant,
        on_delete=models.PROTECT,
        related_name="death_report",
        verbose_name=_("participant"),
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("branch")
    )
    contact = models.ForeignKey(
        FollowUpContact,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reported in contact"),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)

    class Meta:
        ordering = ["status", "-created_at"]
        verbose_name = _("death report")
        verbose_name_plural = _("death reports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "closed"]),
                name="death_report_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.status}"


class FollowUpQueueEntry(Registration):
    """The branch's follow-up queue in the admin: registrations whose participant is
    behind or about to be (a view of Registration, no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("follow-up queue entry")
        verbose_name_plural = _("follow-up queue")


# Numbers before sync ---------------------------------------------------------------------


class NumberReservationQuerySet(models.QuerySet):
    def unused(self, *, now: datetime.datetime) -> NumberReservationQuerySet:
        """Neither used nor expired: what an agent may still hand out."""
        return self.filter(used_at__isnull=True, expires_at__gt=now)


@audited()
class NumberReservation(models.Model):
    """A participant number set aside for an agent's device while online, so that a
    worker registered offline leaves with their number on paper (DESIGN §9). It is not
    a participant: nothing can be paid against it until the registration that uses it
    is synced. The number is never reissued, expired or not: the row stays, and its
    unique index keeps it out of every later draw."""

    participant_number = models.CharField(_("participant number"), max_length=11, unique=True)
    agent = models.ForeignKey(
        Agent,
        on_delete=models.PROTECT,
        related_name="number_reservations",
        verbose_name=_("agent"),
        db_index=False,  # the partial index below leads with the agent
    )
    reserved_at = models.DateTimeField(_("reserved at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    registration = models.OneToOneField(
        Registration,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="number_reservation",
        verbose_name=_("registration"),
    )

    objects = NumberReservationQuerySet.as_manager()

    class Meta:
        ordering = ["-reserved_at", "-id"]
        verbose_name = _("number reservation")
        verbose_name_plural = _("number reservations")
        indexes = [
            # The cap counts an agent's unused numbers on every request, and the app lists
            # them: few per agent, however many were used or have expired.
            models.Index(
                fields=["agent", "expires_at"],
                condition=models.Q(used_at__isnull=True),
                name="reservation_agent_unused",
            ),
            models.Index(fields=["agent", "-reserved_at"], name="reservation_agent_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("reserved_at")),
                name="reservation_expires_after_reserved",
            ),
            models.CheckConstraint(
                condition=models.Q(used_at__isnull=True, registration__isnull=True)
                | models.Q(used_at__isnull=False, registration__isnull=False),
                name="reservation_used_with_registration",
            ),
        ]

    def __str__(self) -> str:
        return self.participant_number


# Daily reconciliation -------------------------------------------------------------------


class SettlementImport(models.Model):
    """One channel's settlement file for one day (Asia/Jakarta), imported and matched
    against the payments recorded: its progress while it runs, then its report."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    channel = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "payment_channel"},
        verbose_name=_("channel"),
    )
    day = models.DateField(
        _("settlement day"),
        null=True,
        blank=True,
        help_text=_("When not given: the day most of the file's payments were made on."),
    )
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.RUNNING
    )
    lines_total = models.PositiveIntegerField(_("lines in the file"), default=0)
    lines_done = models.PositiveIntegerField(_("lines read"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    to_apply = models.PositiveIntegerField(_("lines not recorded here"), default=0)
    applied = models.PositiveIntegerField(_("applied"), default=0)
    missing = models.PositiveIntegerField(_("missing from the file"), default=0)
    mismatched = models.PositiveIntegerField(_("amount mismatches"), default=0)
    invalid = models.PositiveIntegerField(_("invalid lines"), default=0)
    # The first invalid lines, as [line number, reason] pairs; ``invalid`` counts them all.
    invalid_lines = models.JSONField(_("invalid lines (first ones)"), default=list, blank=True)
    failure = models.TextField(_("failure"), blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("settlement import")
        verbose_name_plural = _("settlement imports")
        indexes = [models.Index(fields=["channel", "day"], name="settlement_channel_day")]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.day} ({self.file_name})"


class SettlementLine(models.Model):
    """A settlement file's valid line, staged for the set-based match and removed when
    the import ends. Unlogged on PostgreSQL and without a foreign-key check: it is
    rebuilt from the file, and a million rows go in by COPY."""

    settlement = models.ForeignKey(
        SettlementImport,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("settlement import"),
    )
    line_number = models.PositiveIntegerField(_("line"))
    reference = models.CharField(_("reference"), max_length=100)
    payment_code = models.CharField(_("payment code"), max_length=14, blank=True)
    participant_number = models.CharField(_("participant number"), max_length=11, blank=True)
    amount = models.PositiveBigIntegerField(_("amount (Rp)"))
    paid_at = models.DateTimeField(_("paid at"))

    class Meta:
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.settlement_id}:{self.line_number}"


class ReconciliationIssue(models.Model):
    """What a settlement file and the payments recorded disagree on, for staff to
    resolve: a payment recorded here that the channel's file does not list, or a line
    whose amount is not the one recorded (or cannot be applied as it is). One per
    channel reference and kind, so importing a file again adds nothing."""

    class Kind(models.TextChoices):
        MISSING_IN_FILE = "missing_in_file", _("recorded here, absent from the file")
        AMOUNT_MISMATCH = "amount_mismatch", _("amount mismatch")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    channel = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="+", verbose_name=_("channel")
    )
    day = models.DateField(_("settlement day"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    channel_ref = models.CharField(_("channel reference"), max_length=100)
    payment = models.ForeignKey(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("payment"),
    )
    settlement = models.ForeignKey(
        SettlementImport,
        on_delete=models.PROTECT,
        related_name="issues",
        verbose_name=_("found by import"),
    )
    file_amount = models.PositiveBigIntegerField(
        _("amount in the file (Rp)"), null=True, blank=True
    )
    recorded_amount = models.PositiveBigIntegerField(
        _("amount recorded (Rp)"), null=True, blank=True
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    note = models.TextField(_("resolution note"), blank=True)
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    class Meta:
        ordering = ["status", "-day", "channel_ref"]
        verbose_name = _("reconciliation issue")
        verbose_name_plural = _("reconciliation issues")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "channel_ref", "kind"], name="reconciliation_issue_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["missing_in_file", "amount_mismatch"]),
                name="reconciliation_issue_kind_known",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", resolved_at__isnull=True)
                | models.Q(status="resolved", resolved_at__isnull=False),
                name="reconciliation_issue_resolved_dated",
            ),
        ]
        indexes = [models.Index(fields=["status", "day"], name="reconciliation_issue_queue")]

    def __str__(self) -> str:
        return f"{self.channel_id}:{self.channel_ref} {self.kind}"
