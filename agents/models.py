import datetime
import zoneinfo

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import NikHolder, Regency, TimeStampedModel


class Region(TimeStampedModel):
    """Kantor Wilayah: a regional office over several branches."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$",
                _("Use capital letters, digits and hyphens, e.g. KW-SULAMA."),
            )
        ],
    )
    name = models.CharField(_("name"), max_length=150)

    class Meta:
        ordering = ["code"]
        verbose_name = _("regional office (Kantor Wilayah)")
        verbose_name_plural = _("regional offices (Kantor Wilayah)")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BranchTimeZone(models.TextChoices):
    WIB_JAKARTA = "Asia/Jakarta", "WIB (Asia/Jakarta)"
    WIB_PONTIANAK = "Asia/Pontianak", "WIB (Asia/Pontianak)"
    WITA = "Asia/Makassar", "WITA (Asia/Makassar)"
    WIT = "Asia/Jayapura", "WIT (Asia/Jayapura)"


BRANCH_TIME_ZONES = BranchTimeZone.values


class Branch(TimeStampedModel):
    """Kantor Cabang. Its time zone decides its "today" and "this month"."""

    TimeZone = BranchTimeZone

    code = models.CharField(
        _("code"),
        max_length=5,
        unique=True,
        help_text=_("Two to five capital letters; agent codes start with it (KDI-0001)."),
        validators=[RegexValidator(r"^[A-Z]{2,5}$", _("Use two to five capital letters."))],
    )
    name = models.CharField(_("name"), max_length=150)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="branches", verbose_name=_("region")
    )
    regency = models.ForeignKey(
        Regency,
        on_delete=models.PROTECT,
        related_name="branches",
        verbose_name=_("regency or city"),
        help_text=_("Where the office stands."),
    )
    time_zone = models.CharField(_("time zone"), max_length=32, choices=TimeZone.choices)
    address = models.TextField(_("address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The last number handed out in this branch's agent codes (KDI-0001, ...).
    last_agent_number = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("branch office (Kantor Cabang)")
        verbose_name_plural = _("branch offices (Kantor Cabang)")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(time_zone__in=BRANCH_TIME_ZONES),
                name="branch_time_zone_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_now(self) -> datetime.datetime:
        return timezone.now().astimezone(self.zone)

    def local_today(self) -> datetime.date:
        return self.local_now().date()


class KantorPerisai(TimeStampedModel):
    """A coordinating office for agents in a branch's area; it earns an override on
    its active agents' fees."""

    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z0-9][A-Z0-9-]*$", _("Use capital letters, digits and hyphens."))
        ],
    )
    name = models.CharField(_("name"), max_length=150)
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="kantor_perisai", verbose_name=_("branch")
    )
    address = models.TextField(_("address"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("Kantor Perisai")
        verbose_name_plural = _("Kantor Perisai")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AgentStatus(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    ACTIVE = "active", _("Active")
    DEACTIVATED = "deactivated", _("Deactivated")
    TERMINATED = "terminated", _("Terminated")


class AppointedBank(models.TextChoices):
    """Banks appointed to pay Perisai fees."""

    BNI = "BNI", "BNI"
    BRI = "BRI", "BRI"
    MANDIRI = "MANDIRI", "Bank Mandiri"
    BTN = "BTN", "BTN"
    BSI = "BSI", "BSI"


@audited()
class Agent(NikHolder, TimeStampedModel):
    """A Perisai agent. Status changes only through agents.services, each one recorded
    in AgentStatusChange."""

    Status = AgentStatus

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="agent",
        verbose_name=_("user account"),
    )
    code = models.CharField(_("agent code"), max_length=12, unique=True, editable=False)
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(
        _("mobile number"), max_length=16, help_text=_("Normalised to +628...")
    )
    bank = models.CharField(_("bank"), max_length=10, choices=AppointedBank.choices)
    bank_account_number = models.CharField(
        _("bank account number"),
        max_length=20,
        validators=[RegexValidator(r"^[0-9]{6,20}$", _("Six to twenty digits."))],
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="agents", verbose_name=_("home branch")
    )
    kantor_perisai = models.ForeignKey(
        KantorPerisai,
        on_delete=models.PROTECT,
        related_name="agents",
        null=True,
        blank=True,
        verbose_name=_("Kantor Perisai"),
    )
    is_bpjs_employee = models.BooleanField(
        _("BPJS Ketenagakerjaan employee"),
        default=False,
        help_text=_("BPJS Ketenagakerjaan employees may not be Perisai agents."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=AgentStatus.choices, default=AgentStatus.APPLICANT
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, editable=False)
    activated_at = models.DateTimeField(_("activated at"), null=True, editable=False)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        indexes = [
            models.Index(fields=["nik_digest"], name="agent_nik_digest_idx"),
            models.Index(fields=["phone"], name="agent_phone_idx"),
            models.Index(fields=["branch", "status"], name="agent_branch_status_idx"),
        ]
        constraints = [
            # One person, one agent: a NIK that was ever active (terminated for fraud
            # included) cannot be activated again under another agent record.
            models.UniqueConstraint(
                fields=["nik_digest"],
                condition=~models.Q(status=AgentStatus.APPLICANT),
                name="agent_nik_unique_once_activated",
            ),
            # Sign-in by phone needs one agent per number among those who may sign in.
            models.UniqueConstraint(
                fields=["phone"],
                condition=models.Q(status__in=[AgentStatus.ACTIVE, AgentStatus.DEACTIVATED]),
                name="agent_phone_unique_while_active",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AgentStatus.values), name="agent_status_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.full_name}"

    @property
    def bank_account_masked(self) -> str:
        return "*" * max(0, len(self.bank_account_number) - 4) + self.bank_account_number[-4:]


class AgentTraining(TimeStampedModel):
    """A completed branch training; activation needs at least one."""

    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="trainings", verbose_name=_("agent")
    )
    completed_on = models.DateField(_("completed on"))
    trainer = models.CharField(_("trainer"), max_length=150)
    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        related_name="trainings",
        verbose_name=_("branch that gave the training"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["-completed_on", "-id"]
        verbose_name = _("training")
        verbose_name_plural = _("trainings")

    def __str__(self) -> str:
        return f"{self.agent_id} {self.completed_on}"


class AgentStatusChange(models.Model):
    """Append-only history of an agent's status: never updated or deleted (a trigger
    enforces it on PostgreSQL)."""

    class Channel(models.TextChoices):
        ADMIN = "admin", _("Admin")
        API = "api", _("API")
        TASK = "task", _("Scheduled task")
        COMMAND = "command", _("Management command")

    agent = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="status_changes", verbose_name=_("agent")
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=AgentStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=12, choices=AgentStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
        help_text=_("Empty when the system made the change."),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.agent_id}: {self.from_status or '-'} -> {self.to_status}"


class StaffProfile(models.Model):
    """Where a staff user works, which decides what they see and may change: their
    branch, their region's branches, or (head office) everything."""

    class Level(models.TextChoices):
        BRANCH = "branch", _("Branch office")
        REGION = "region", _("Regional office")
        HEAD_OFFICE = "head_office", _("Head office")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("user"),
    )
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("branch"),
    )
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("region"),
    )

    class Meta:
        verbose_name = _("staff scope")
        verbose_name_plural = _("staff scopes")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(level="branch", branch__isnull=False, region__isnull=True)
                    | models.Q(level="region", branch__isnull=True, region__isnull=False)
                    | models.Q(level="head_office", branch__isnull=True, region__isnull=True)
                ),
                name="staff_profile_scope_matches_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.level}"
