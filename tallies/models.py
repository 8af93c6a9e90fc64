from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, Branch
from core.dates import period_of
from core.models import Province, TimeStampedModel
from tallies import pace


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


# Months after registration at which a cohort's active workers are counted.
RETENTION_MONTHS = (3, 6, 12)


class CohortShares:
    """A cohort's month and its figures as shares of the workers registered, one
    decimal; None while a figure is unknown. For stored cohorts and for sums of them
    (tallies.selectors.CohortTotal): a sum's share is taken of the summed counts."""

    cohort: datetime.date
    registered: int
    paid_once: int
    active_3: int | None
    active_6: int | None
    active_12: int | None

    @property
    def period(self) -> str:
        return period_of(self.cohort)

    @property
    def paid_once_pct(self) -> Decimal | None:
        return pace.percent(self.paid_once, self.registered)

    @property
    def active_3_pct(self) -> Decimal | None:
        return None if self.active_3 is None else pace.percent(self.active_3, self.registered)

    @property
    def active_6_pct(self) -> Decimal | None:
        return None if self.active_6 is None else pace.percent(self.active_6, self.registered)

    @property
    def active_12_pct(self) -> Decimal | None:
        return None if self.active_12 is None else pace.percent(self.active_12, self.registered)


class CohortFigures(CohortShares, models.Model):
    """A registration-month cohort: its workers registered (by ``Registration.created_at``
    in the branch's calendar, as the daily tallies count new registrations), those who
    have paid at least once, and those active 3, 6 and 12 months after their
    registration day. A figure at k months is empty until the k-month day of every
    member has passed; written only by the tallies recompute (tallies/services.py)."""

    cohort = models.DateField(_("cohort (month of registration)"))
    registered = models.PositiveIntegerField(_("registered"))
    paid_once = models.PositiveIntegerField(_("paid at least once"))
    active_3 = models.PositiveIntegerField(_("active after 3 months"), null=True)
    active_6 = models.PositiveIntegerField(_("active after 6 months"), null=True)
    active_12 = models.PositiveIntegerField(_("active after 12 months"), null=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        abstract = True


class RetentionCohort(CohortFigures):
    """A branch's cohort: the sum of its agents' (``AgentRetentionCohort``)."""

    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        related_name="retention_cohorts",
        verbose_name=_("branch"),
        db_index=False,
    )

    class Meta:
        ordering = ["branch", "cohort"]
        verbose_name = _("retention cohort")
        verbose_name_plural = _("retention cohorts")
        constraints = [
            models.UniqueConstraint(fields=["branch", "cohort"], name="retention_one_per_branch"),
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.cohort:%Y-%m}"


class AgentRetentionCohort(CohortFigures):
    """An agent's recruits registered in one month at one branch."""

    agent = models.ForeignKey(
        Agent,
        on_delete=models.PROTECT,
        related_name="retention_cohorts",
        verbose_name=_("agent"),
        db_index=False,
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="+", verbose_name=_("branch")
    )

    class Meta:
        ordering = ["agent", "cohort"]
        verbose_name = _("agent retention cohort")
        verbose_name_plural = _("agent retention cohorts")
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "branch", "cohort"], name="retention_one_per_agent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.branch_id} {self.cohort:%Y-%m}"
