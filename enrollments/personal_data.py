from typing import Any

from core import crypto
from enrollments.models import Participant


def export(digest: str) -> dict[str, list[dict[str, Any]]]:
    participants = Participant.objects.filter(nik_digest=digest).select_related(
        "registration", "registration__agent", "occupation", "branch"
    )
    records = []
    for participant in participants:
        registration = participant.registration
        records.append(
            {
                "participant_number": participant.participant_number,
                "nik": crypto.decrypt(participant.nik_ciphertext),
                "full_name": participant.full_name,
                "birth_date": participant.birth_date,
                "sex": participant.sex,
                "phone": participant.phone,
                "address": participant.address,
                "regency": participant.regency_id,
                "occupation": participant.occupation.code,
                "branch": participant.branch.code,
                "status": participant.status,
                "paid_through": participant.paid_through,
                "registration": {
                    "registered_by": registration.agent.code,
                    "captured_at": registration.captured_at,
                    "consent": {
                        "method": registration.consent_method,
                        "at": registration.consent_at,
                    },
                    "location": [registration.latitude, registration.longitude],
                    "monthly_total": registration.monthly_total,
                    "payment_code": registration.payment_code,
                },
                "payments": list(
                    participant.payment_lines.order_by("paid_at").values(
                        "paid_at",
                        "amount",
                        "months",
                        "covered_from",
                        "covered_through",
                        "reversed_at",
                    )
                ),
            }
        )
    return {"participants": records}
