from typing import Any

from django.utils.translation import gettext as _
from rest_framework import pagination

from core.exceptions import InvalidInputError


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination for every list: stable under inserts, no COUNT(*) over big
    tables. Views set ``ordering`` to a unique or near-unique key. A malformed
    ``page_size`` is refused rather than silently replaced by the default."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-created_at"

    def get_page_size(self, request: Any) -> int:
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        value = values[0]
        if (
            len(values) > 1
            or not value.isascii()
            or not value.isdigit()
            or not 1 <= int(value) <= self.max_page_size
        ):
            raise InvalidInputError(
                fields={
                    self.page_size_query_param: [
                        _("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(value)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters
