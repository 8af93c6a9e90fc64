from typing import Any

from agents.models import Agent
from core import crypto


def export(digest: str) -> dict[str, list[dict[str, Any]]]:
    agents = Agent.objects.filter(nik_digest=digest).select_related("branch", "kantor_perisai")
    return {
        "agents": [
            {
                "code": agent.code,
                "nik": crypto.decrypt(agent.nik_ciphertext),
                "full_name": agent.full_name,
                "phone": agent.phone,
                "bank": agent.bank,
                "bank_account_number": agent.bank_account_number,
                "branch": agent.branch.code,
                "kantor_perisai": agent.kantor_perisai.code if agent.kantor_perisai else None,
                "status": agent.status,
                "activated_at": agent.activated_at,
                "deactivated_at": agent.deactivated_at,
                "status_history": list(
                    agent.status_changes.order_by("changed_at").values(
                        "from_status", "to_status", "changed_at", "reason", "channel"
                    )
                ),
                "trainings": list(
                    agent.trainings.values("completed_on", "trainer", "branch__code")
                ),
            }
            for agent in agents
        ]
    }
