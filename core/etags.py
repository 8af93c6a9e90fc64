"""Conditional GET: an answer's ETag against the client's If-None-Match, by the weak
comparison RFC 9110 §13.1.2 prescribes for that header (``W/"x"`` matches ``"x"``)."""

from __future__ import annotations

from django.utils.http import parse_etags


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def not_modified(etag: str, if_none_match: str | None) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (or ``*``): the answer is then 304."""
    if not if_none_match:
        return False
    tags = parse_etags(if_none_match)
    return "*" in tags or _opaque(etag) in {_opaque(tag) for tag in tags}
