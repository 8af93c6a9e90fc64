from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from agents.models import Branch
from core.models import Province, TimeStampedModel


class BranchTarget(TimeStampedModel):
    """A branch's targets for a year. Changes are kept in the admin's history."""

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="targets", verbose_name=_("branch")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    new_participants = models.PositiveIntegerField(_("new participants"))
    contributions = models.PositiveBigIntegerField(_("contributions (Rp)"))
    perisai_share = models.DecimalField(
        _("share expected through Perisai agents (percent)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        ordering = ["-year", "branch__code"]
        verbose_name = _("branch target")
        verbose_name_plural = _("branch targets")
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="target_one_per_branch_year")
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.year}"


class LabourForce(TimeStampedModel):
    """The labour force of a province (BPS Sakernas), for coverage."""

    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="+", verbose_name=_("province")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    workers = models.PositiveBigIntegerField(_("labour force"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["-year", "province"]
        verbose_name = _("labour force")
        verbose_name_plural = _("labour force figures")
        constraints = [
            models.UniqueConstraint(fields=["province", "year"], name="labour_force_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.province_id} {self.year}"


class DailyTally(models.Model):
    """A branch's day, in its own calendar: what happened that day (registrations,
    activations, contributions) and where it stood at the end of it (participants by
    status, agents). Written only by the recompute, set-based."""

    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        related_name="tallies",
        verbose_name=_("branch"),
        db_index=False,
    )
    date = models.DateField(_("date"))
    new_registrations = models.PositiveIntegerField(_("new registrations"))
    new_activations = models.PositiveIntegerField(_("new activations"))
    active_participants = models.PositiveIntegerField(_("active participants"))
    non_active_participants = models.PositiveIntegerField(_("non-active participants"))
    contributions_received = models.BigIntegerField(_("contributions received (Rp)"))
    active_agents = models.PositiveIntegerField(_("active agents"))
    productive_agents = models.PositiveIntegerField(
        _("productive agents"),
        help_text=_("With at least one registration or contribution so far this month."),
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["-date", "branch"]
        verbose_name = _("daily tally")
        verbose_name_plural = _("daily tallies")
        constraints = [
            models.UniqueConstraint(fields=["branch", "date"], name="tally_one_per_branch_day")
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.date}"
