"""The refused-requests log: the only trace a refused partner request leaves."""

from __future__ import annotations

from partners.models import Partner, RefusedRequest

REFUSED_BODY_LIMIT = 8192


def refused_request_record(
    *,
    partner: Partner | None,
    key_prefix: str,
    method: str,
    path: str,
    status_code: int,
    code: str,
    client_ip: str | None,
    body: bytes,
) -> None:
    """Written outside the refused request's transaction, so it survives the rollback.
    What the caller sent is kept as text PostgreSQL can store: invalid UTF-8 and NUL
    characters become U+FFFD."""
    RefusedRequest.objects.create(
        partner=partner,
        key_prefix=_storable(key_prefix[:16]),
        method=_storable(method[:10]),
        path=_storable(path[:300]),
        status=status_code,
        code=_storable(code[:50]),
        client_ip=client_ip,
        body=_storable(body[:REFUSED_BODY_LIMIT].decode("utf-8", errors="replace")),
    )


def _storable(text: str) -> str:
    return text.replace("\x00", "\ufffd")
