"""OpenAPI generation: every operation documents the error responses the API really
gives, in the one error shape, and nested ``<Entity><Action>Api.OutputSerializer``
classes get distinct component names."""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import Direction, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny

ERROR_DESCRIPTIONS = {
    "400": "validation_error (with `fields`) or another 400 code",
    "401": "not_authenticated",
    "403": "permission_denied or another 403 code",
    "404": "not_found, or not yours",
    "405": "method_not_allowed",
    "406": "not_acceptable",
    "415": "unsupported_media_type",
    "429": "throttled; see the Retry-After header",
}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable error code.")
    message = serializers.CharField(help_text="In the caller's language (Accept-Language).")
    # A declared field, not Serializer.fields: DRF's metaclass moves it aside.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        required=False,
        help_text="Only for validation errors: field name to a list of messages.",
    )


class AutoSchema(SpectacularAutoSchema):
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
            codes.append("415")
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
