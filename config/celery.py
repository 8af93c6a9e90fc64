"""The Celery app. Configuration lives in Django settings under the CELERY_ namespace."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("perisai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _audit_context_enter(task_id: str, task: Any, **kwargs: Any) -> None:
    from core.audit import task_context_enter

    task_context_enter(task_id, task.name)


@task_postrun.connect
def _audit_context_exit(task_id: str, **kwargs: Any) -> None:
    from core.audit import task_context_exit

    task_context_exit(task_id)
