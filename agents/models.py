import datetime
import zoneinfo

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Regency, TimeStampedModel


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
