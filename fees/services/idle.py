"""Automatic deactivation of idle agents: three consecutive whole months (branch
calendar) with no new registration and no contribution from their recruits."""

from __future__ import annotations

import datetime
import logging

from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent, AgentStatus, AgentStatusChange, Branch
from agents.selectors import time_zones_in_use
from agents.services import agent_deactivate
from core.dates import add_months
from enrollments.selectors import agent_worked

logger = logging.getLogger(__name__)
IDLE_MONTHS = 3


def idle_window(
    today: datetime.date, zone: datetime.tzinfo
) -> tuple[datetime.datetime, datetime.datetime]:
    """The three whole months before the current one, in the branch's zone."""
    this_month = today.replace(day=1)
    first = add_months(this_month, -IDLE_MONTHS)
    return (
        datetime.datetime(first.year, first.month, 1, tzinfo=zone),
        datetime.datetime(this_month.year, this_month.month, 1, tzinfo=zone),
    )


def idle_agents_deactivate(*, now: datetime.datetime | None = None) -> list[str]:
    """Set-based selection (one query per time zone in use), then the lifecycle service
    for each agent found, so each gets its history row and loses its tokens."""
    now = now or timezone.now()
    deactivated = []
    for zone_name in time_zones_in_use():
        zone = Branch(time_zone=zone_name).zone
        start, end = idle_window(now.astimezone(zone).date(), zone)
        idle = Agent.objects.filter(
            status=AgentStatus.ACTIVE, branch__time_zone=zone_name, activated_at__lt=start
        ).exclude(agent_worked(start, end))
        for agent in idle.order_by("pk"):
            agent_deactivate(
                agent=agent,
                by=None,
                reason=_("Three consecutive months without new registrations or contributions"),
                channel=AgentStatusChange.Channel.TASK,
            )
            deactivated.append(agent.code)
    logger.info("idle agents deactivated", extra={"count": len(deactivated)})
    return deactivated
