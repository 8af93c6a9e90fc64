from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination for every list: stable under inserts, no COUNT(*) over big
    tables. Views set ``ordering`` to a unique or near-unique key."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-created_at"
