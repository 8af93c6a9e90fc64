"""Query parameters, validated like request bodies: by a serializer, refused with the
error shape's ``validation_error`` (core.exceptions maps DRF's ValidationError)."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.settings import api_settings


def query_filters(serializer_class: type[Any], query_params: Any) -> dict[str, Any]:
    """Validated query parameters. A parameter sent empty (``?status=``) is an error,
    not the same as leaving it out: the schema promises a value of its type."""
    blank = {
        name: [_("This parameter may not be empty.")]
        for name in [*serializer_class().fields, api_settings.URL_FORMAT_OVERRIDE]
        if name and name in query_params and query_params.get(name, "").strip() == ""
    }
    if blank:
        raise serializers.ValidationError(blank)
    serializer = serializer_class(data=query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
