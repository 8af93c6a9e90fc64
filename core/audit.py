"""The audit trail: database triggers (django-pghistory) copy every insert, update and
delete of the audited models into an event table beside each, including bulk and
set-based writes that bypass model signals. Each event points to a context holding who
(``user``), through which channel (``api``, ``admin``, ``task``) and where (``url`` or
``task``). Triggers exist on PostgreSQL only; on SQLite (local development) nothing is
recorded."""

from __future__ import annotations

from typing import Any

import pghistory
import pgtrigger
from django.db import connection
from django.http import HttpRequest
from pghistory.middleware import HistoryMiddleware


def audited(**options: Any) -> Any:
    """Class decorator: audit every insert, update and delete of the model. Statement
    triggers (one INSERT ... SELECT over the statement's transition table): a bulk write
    of N rows costs one extra statement, not N trigger calls."""
    level = pgtrigger.Statement
    return pghistory.track(
        pghistory.InsertEvent(level=level),
        pghistory.UpdateEvent(level=level),
        pghistory.DeleteEvent(level=level),
        **options,
    )


def recording() -> bool:
    return connection.vendor == "postgresql"


class AuditContextMiddleware(HistoryMiddleware):
    """Who and which channel, for every change a request makes. The user is filled in
    when authentication sets it, in the view for API tokens."""

    def get_context(self, request: HttpRequest) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(request)
        context["channel"] = "admin" if request.path.startswith("/admin/") else "api"
        return context

    def __call__(self, request: HttpRequest) -> Any:
        if not recording():
            return self.get_response(request)
        return super().__call__(request)


_task_contexts: dict[str, Any] = {}


def task_context_enter(task_id: str, task_name: str) -> None:
    """Celery's task_prerun: every change the task makes is recorded as channel "task"."""
    if recording():
        context = pghistory.context(channel="task", task=task_name)
        context.__enter__()
        _task_contexts[task_id] = context


def task_context_exit(task_id: str) -> None:
    context = _task_contexts.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)
