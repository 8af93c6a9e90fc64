"""What the offline batches (registrations, follow-up contacts) share: the envelope
checked as a whole, then each item on its own, so that an item that is not valid is
only that item's ``invalid`` and the rest of the batch still goes through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.exceptions import ApplicationError, InvalidInputError, error_body, validation_fields
from enrollments.services import Outcome

Item = TypeVar("Item")


def envelope_items(data: Any, *, limit: int) -> list[Any]:
    """The request's ``items``: a non-empty list of at most ``limit`` JSON values (each
    checked later, on its own); anything else refuses the whole request."""

    class EnvelopeSerializer(serializers.Serializer):
        items = serializers.ListField(
            child=serializers.JSONField(allow_null=True), allow_empty=False
        )

        def validate_items(self, items: list[Any]) -> list[Any]:
            if len(items) > limit:
                raise serializers.ValidationError(
                    _("Send at most %(limit)d items at a time.") % {"limit": limit}
                )
            return items

    envelope = EnvelopeSerializer(data=data)
    envelope.is_valid(raise_exception=True)
    return list(envelope.validated_data["items"])


def validated_items(
    raw_items: list[Any],
    validator: serializers.Serializer,
    build: Callable[[dict[str, Any]], Item],
    result_body: Callable[..., dict[str, Any]],
) -> tuple[list[dict[str, Any] | None], list[tuple[int, Item]]]:
    """Each raw item through ``validator`` (one serializer for all: building one per item
    would cost more than the rest of the batch). Returns the results so far (the
    invalid items', made by ``result_body``; ``None`` where an item is valid) and the
    valid items with their index."""
    results: list[dict[str, Any] | None] = [None] * len(raw_items)
    valid: list[tuple[int, Item]] = []
    for index, raw in enumerate(raw_items):
        try:
            valid.append((index, build(validator.run_validation(raw))))
        except serializers.ValidationError as exc:
            client_uuid = raw.get("client_uuid") if isinstance(raw, dict) else None
            results[index] = result_body(
                client_uuid if isinstance(client_uuid, str) else None,
                Outcome.INVALID.value,
                error=error_body(
                    "validation_error",
                    InvalidInputError.default_message,
                    validation_fields(exc.detail),
                ),
            )
    return results, valid


def error_of(error: ApplicationError | None) -> dict[str, Any] | None:
    return error_body(error.code, error.message, error.fields) if error else None
