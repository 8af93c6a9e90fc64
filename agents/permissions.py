from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from agents.errors import AgentNotActiveError
from agents.models import Agent, AgentStatus
from core.exceptions import PermissionDeniedError


def agent_of(request: Request) -> Agent | None:
    try:
        return request.user.agent  # type: ignore[union-attr]
    except Agent.DoesNotExist:
        return None


class IsActiveAgent(BasePermission):
    """Checked on every request, so a deactivated or terminated agent's still-valid
    token is refused at once with 403 agent_not_active."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False  # DRF answers 401 not_authenticated
        agent = agent_of(request)
        if agent is None:
            raise PermissionDeniedError()
        if agent.status != AgentStatus.ACTIVE:
            raise AgentNotActiveError(extra={"status": agent.status})
        return True
