"""The agents app's refusals, each with a stable code (docs/architecture.md, "Errors")."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError, ConflictError


class AgentNotActiveError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "agent_not_active"
    default_message = _("Your agent account is not active. Contact your branch office.")


class AgentTransitionError(ConflictError):
    """A change the agent's current state does not allow."""


class AgentInvalidTransitionError(AgentTransitionError):
    code = "agent_invalid_transition"
    default_message = _("This status change is not allowed from the agent's current status.")


class AgentTrainingIncompleteError(AgentTransitionError):
    code = "agent_training_incomplete"
    default_message = _("The agent has no completed branch training.")


class AgentDuplicateNikError(AgentTransitionError):
    code = "agent_duplicate_nik"
    default_message = _("Another agent with this NIK is already active, deactivated or terminated.")


class AgentDuplicatePhoneError(AgentTransitionError):
    code = "agent_duplicate_phone"
    default_message = _("Another active or deactivated agent already uses this mobile number.")


class AgentIsBpjsEmployeeError(AgentTransitionError):
    code = "agent_is_bpjs_employee"
    default_message = _("BPJS Ketenagakerjaan employees may not be Perisai agents.")


class AgentReactivationTooEarlyError(AgentTransitionError):
    code = "agent_reactivation_too_early"
    default_message = _("An agent can be reactivated no sooner than six months after deactivation.")


class SignInFailedError(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "not_authenticated"
    default_message = _("Wrong username or password.")
    expired_message = _("The token is invalid, expired or revoked. Sign in again.")
