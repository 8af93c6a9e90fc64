"""Liveness and readiness probes for load balancers and orchestrators."""

import logging

from django.conf import settings
from django.db import connections
from kombu import Connection

logger = logging.getLogger(__name__)

OK = "ok"
UNAVAILABLE = "unavailable"
NOT_CONFIGURED = "not_configured"
PROBE_TIMEOUT_SECONDS = 2


def database_status() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.warning("readiness: database unreachable", exc_info=True)
        return UNAVAILABLE
    return OK


def broker_status() -> str:
    broker_url: str = settings.CELERY_BROKER_URL
    if broker_url.startswith("memory://"):
        return NOT_CONFIGURED  # no REDIS_URL: tasks run eagerly in-process
    try:
        with Connection(
            broker_url,
            connect_timeout=PROBE_TIMEOUT_SECONDS,
            transport_options={
                "socket_connect_timeout": PROBE_TIMEOUT_SECONDS,
                "socket_timeout": PROBE_TIMEOUT_SECONDS,
                "max_retries": 0,
            },
        ) as connection:
            connection.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT_SECONDS)
            connection.default_channel.client.ping()
    except Exception as exc:
        # The exception may carry the broker URL, password included: log its type only.
        logger.warning("readiness: broker unreachable", extra={"error": type(exc).__name__})
        return UNAVAILABLE
    return OK
