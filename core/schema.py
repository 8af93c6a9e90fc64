"""OpenAPI generation: every operation documents the error responses the API really
gives, in the one error shape, and nested ``<Entity><Action>Api.OutputSerializer``
classes get distinct component names. An operation's description is the one given to
``extend_schema(description=...)``: docstrings are for the code's readers."""

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import Direction, OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny

ERROR_DESCRIPTIONS = {
    "400": "validation_error (with `fields`) or another 400 code",
    "401": "not_authenticated",
    "403": "permission_denied or another 403 code",
    "404": "not_found, or not yours",
    "405": "method_not_allowed",
    "406": "not_acceptable",
    "413": "payload_too_large: the body is over this path's limit (REQUEST_SIZE_LIMITS)",
    "415": "unsupported_media_type",
    "429": "throttled; see the Retry-After header",
}
BODY_METHODS = {"POST", "PUT", "PATCH"}


# The messages of a validation error, by field: a list of messages, or for a nested
# object its own FieldErrors, or for a list of objects one entry per item (a list item
# may be a FieldErrors of its own, empty when that item is valid).
FIELD_ERRORS_COMPONENT = {
    "type": "object",
    "additionalProperties": {
        "oneOf": [
            {
                "type": "array",
                "items": {
                    "oneOf": [
                        {"type": "string"},
                        {"$ref": "#/components/schemas/FieldErrors"},
                    ]
                },
            },
            {"$ref": "#/components/schemas/FieldErrors"},
        ]
    },
}


@extend_schema_field({"$ref": "#/components/schemas/FieldErrors"})
class FieldErrorsField(serializers.DictField):
    pass


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    message = serializers.CharField(help_text="In the caller's language (Accept-Language).")
    # A declared field, not Serializer.fields: DRF's metaclass moves it aside.
    fields = FieldErrorsField(  # type: ignore[assignment]
        required=False,
        help_text="Only for validation errors: the messages, by field.",
    )


def error_response(description: str) -> OpenApiResponse:
    """A documented error answer, in the one error shape."""
    return OpenApiResponse(ErrorSerializer, description=description)


class UniqueListFieldExtension(OpenApiSerializerFieldExtension):
    """core.fields.UniqueListField: an array whose items must differ."""

    target_class = "core.fields.UniqueListField"

    def map_serializer_field(self, auto_schema: Any, direction: Direction) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "uniqueItems": True}


class AutoSchema(SpectacularAutoSchema):
    def get_description(self) -> str:  # type: ignore[override]
        return ""

    def get_serializer_name(self, serializer: Any, direction: Direction) -> str:
        # "ProvinceListApi.OutputSerializer" -> "ProvinceListOutput"
        qualname: str = type(serializer).__qualname__
        if "." in qualname:
            owner, _, inner = qualname.rpartition(".")
            return owner.removesuffix("Api") + inner.removesuffix("Serializer")
        return str(super().get_serializer_name(serializer, direction))

    def _error_codes(self) -> list[str]:
        codes = ["400", "404", "405", "406", "429"]
        if self.method in BODY_METHODS:
            codes += ["413", "415"]
        permissions = self.view.get_permissions()
        if not all(isinstance(permission, AllowAny) for permission in permissions):
            codes += ["401", "403"]
        return sorted(codes)

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                    code,
                    direction=direction,
                )
        return responses


def add_components(result: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: the components that fields refer to by hand."""
    result.setdefault("components", {}).setdefault("schemas", {})["FieldErrors"] = (
        FIELD_ERRORS_COMPONENT
    )
    return result
