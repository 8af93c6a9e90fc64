"""Every write to agents goes through here."""

from agents.services.auth import auth_logout, auth_token_obtain, auth_token_refresh
from agents.services.lifecycle import (
    agent_activate,
    agent_apply,
    agent_deactivate,
    agent_password_set,
    agent_reactivate,
    agent_terminate,
    agent_training_record,
    agent_update,
    refresh_tokens_revoke,
)

__all__ = [
    "agent_activate",
    "agent_apply",
    "agent_deactivate",
    "agent_password_set",
    "agent_reactivate",
    "agent_terminate",
    "agent_training_record",
    "agent_update",
    "auth_logout",
    "auth_token_obtain",
    "auth_token_refresh",
    "refresh_tokens_revoke",
]
