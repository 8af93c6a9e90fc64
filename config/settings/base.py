"""Settings shared by every environment; each value comes from the environment.

Every variable read here is listed in README.md and .env.example. Defaults exist only
where a newcomer's machine must work with nothing installed; production.py re-reads
the secrets without defaults so a missing one stops start-up.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# Apps -----------------------------------------------------------------------------
# Order matters: the project's apps are listed down-to-up along the layer stack
# (core <- notifications <- agents <- partners <- enrollments <- ...), and `seed_demo`
# follows it.
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rest_framework_simplejwt.token_blacklist",
    "pgtrigger",
    "core.apps.PghistoryConfig",
    "pghistory.admin",
]
LOCAL_APPS = [
    "core",
    "notifications",
    "agents",
    "partners",
    "enrollments",
    "fees",
    "tallies",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "core.middleware.RequestSizeLimitMiddleware",
    "core.middleware.NulCharacterMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # First: the admin's base_site with the project's styles, ahead of the admin's own.
        "DIRS": [BASE_DIR / "core" / "admin_templates", BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database -------------------------------------------------------------------------
# No DATABASE_URL: a SQLite file under var/, so `make run` needs nothing installed.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: broker, result backend and cache. No REDIS_URL: tasks run eagerly in-process
# and the cache is per-process memory.
REDIS_URL: str | None = env("REDIS_URL", default=None)
# Every call to Redis (cache, throttle, broker, results) gives up after this long: a
# Redis that hangs (stopped, swapping, a network black hole) must cost a request a
# second, not hold a web thread for as long as it hangs.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=1.0)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)
# After a call to Redis fails, the process skips it this long (core/outage.py): one
# request waits out one timeout, not one per use of Redis.
REDIS_OUTAGE_SKIP_SECONDS = env.float("REDIS_OUTAGE_SKIP_SECONDS", default=5.0)
REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "perisai",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "perisai",
        }
    }

# Auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"

# Language and time ----------------------------------------------------------------
# Bahasa Indonesia unless the caller's Accept-Language asks for English.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# Storage is UTC; this is only the admin's display zone (head office, WIB). Domain
# code uses each branch's own zone for "today" and "this month".
TIME_ZONE = "Asia/Jakarta"

# Static files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Security that holds everywhere; production.py adds the HTTPS-only parts.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)

# API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "agents.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.CursorPagination",
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Proxies in front of the web tier; their X-Forwarded-For decides the client IP.
    "NUM_PROXIES": env.int("DJANGO_NUM_PROXIES", default=0),
}

# Mobile sign-in: a short access token, and a rotating refresh token that lasts weeks
# because agents work offline for days. A used or revoked refresh token is blacklisted.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_CLAIM": "user_id",
}

# Sign-in throttling, (limit, window in seconds), windows aligned to the clock: attempts
# per account (whatever identifier names it; a successful sign-in clears the count) and
# FAILED attempts per client IP. Successful sign-ins do not count against an address:
# mobile carriers put many agents behind one (CGNAT), and a district's agents signing in
# together must not lock each other out; the failure ceiling is far above what their
# mistyped passwords add up to.
AUTH_THROTTLE_USERNAME = (
    env.int("AUTH_THROTTLE_USERNAME_ATTEMPTS", default=5),
    env.int("AUTH_THROTTLE_WINDOW_SECONDS", default=900),
)
AUTH_THROTTLE_IP = (
    env.int("AUTH_THROTTLE_IP_FAILURES", default=500),
    env.int("AUTH_THROTTLE_WINDOW_SECONDS", default=900),
)

# Higher apps contribute the agent's month figures (registrations, activations,
# contributions, fee) and their recruits' (active, retention, commission expected next
# month) to GET /api/v1/agent/me without the agents app importing them:
# dotted paths to callables (agent, period) -> dict of figures.
AGENT_FIGURES_PROVIDERS: list[str] = [
    "enrollments.selectors.agent_month_figures",
    "fees.selectors.agent_month_fee",
    "tallies.selectors.agent_recruit_figures",
]

SPECTACULAR_SETTINGS = {
    "TITLE": "Perisai API",
    "DESCRIPTION": (
        "Agent, partner and public API of the Perisai field-recruitment backend. "
        'Every error has the shape {"code", "message", "fields"}; messages follow '
        "Accept-Language (id or en)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from the project's own static files: the docs page fetches nothing
    # from the internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_components",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PaymentPeriodEnum": "enrollments.models.PAYMENT_PERIOD_CHOICES",
        "ParticipantStatusEnum": "enrollments.models.ParticipantStatus",
        "StatementStatusEnum": "fees.models.StatementStatus",
        "AgentStatusEnum": "agents.models.AgentStatus",
        "ProgramEnum": "enrollments.models.Program",
        "ConsentMethodEnum": "enrollments.apis.agent.ConsentMethod",
        "MessageReceiptTypeEnum": ["receipt"],
        "MessageReplyTypeEnum": ["reply"],
        "MessageStatusEnum": "notifications.models.MessageStatus",
        "ContactMethodEnum": "enrollments.models.ContactMethod",
        "ContactOutcomeEnum": "enrollments.models.ContactOutcome",
    },
}

# Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 24 * 3600
# No caller waits for a task's result; keeping none also spares each publish a
# subscription to the result channel, which retries 20 times when Redis is away.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0}
}
CELERY_TIMEZONE = "Asia/Jakarta"
# Every task is idempotent, so a task is acknowledged only once it has finished and a
# killed worker's task is delivered again.
# Broker down or hung: a request that queues a task gives up within about a second
# (one attempt, bounded by the socket timeouts) instead of holding its web thread;
# what it meant to queue is already recorded (fees.PendingRecompute) and is queued
# by the periodic requeue once the broker answers again.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_TASK_PUBLISH_RETRY = False
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
# Redis redelivers an unacknowledged task after the visibility timeout; it must be
# longer than the longest task, or a slow recompute would run twice at once.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 600,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The one place the periodic schedule is defined. Times are Asia/Jakarta (WIB);
# jobs that depend on a branch's "today" work that out per branch themselves.
CELERY_BEAT_SCHEDULE = {
    "purge-snap-external-ids": {
        "task": "partners.purge_snap_external_ids",
        "schedule": crontab(hour=2, minute=15),
    },
    "clear-expired-sessions": {
        "task": "core.clear_expired_sessions",
        "schedule": crontab(hour=2, minute=0),
    },
    "purge-idempotency-keys": {
        "task": "core.purge_idempotency_keys",
        "schedule": crontab(hour=2, minute=15),
    },
    # 00:30 WIB is past midnight in every Indonesian zone: WITA and WIT days turn first.
    "refresh-participant-statuses": {
        "task": "enrollments.refresh_participant_statuses",
        "schedule": crontab(hour=0, minute=30),
    },
    # After the statuses: the reminders read the same paid-through dates.
    "plan-reminders": {
        "task": "enrollments.plan_reminders",
        "schedule": crontab(hour=0, minute=45),
    },
    "deactivate-idle-agents": {
        "task": "fees.deactivate_idle_agents",
        "schedule": crontab(hour=1, minute=0),
    },
    "requeue-pending-fee-recomputes": {
        "task": "fees.requeue_pending_recomputes",
        "schedule": crontab(minute="*"),
    },
    "recompute-fees-open-month": {
        "task": "fees.recompute_open_month",
        "schedule": crontab(hour=1, minute=30),
    },
    "recompute-tallies": {
        "task": "tallies.recompute_recent",
        "schedule": crontab(hour=2, minute=30),
    },
    # Sends what is due (retries, quiet hours over, messages written while the broker
    # was down) and puts back what a dead worker left half-sent.
    "send-due-notifications": {
        "task": "notifications.send_due",
        "schedule": crontab(minute="*"),
    },
}

# A payment schedules its month's fee recompute this many seconds later; payments in the
# meantime ride along with it.
FEES_RECOMPUTE_DEBOUNCE_SECONDS = env.int("FEES_RECOMPUTE_DEBOUNCE_SECONDS", default=60)
# A requested recompute not done this long after it was asked for (or last queued) is
# queued again: its task was lost with a worker or never reached the broker.
FEES_RECOMPUTE_OVERDUE_SECONDS = env.int("FEES_RECOMPUTE_OVERDUE_SECONDS", default=300)

# Idempotency keys are kept at least this long; client_uuid stays unique for ever.
IDEMPOTENCY_KEY_RETENTION_DAYS = env.int("IDEMPOTENCY_KEY_RETENTION_DAYS", default=30)

# Device clocks drift: a captured_at this far ahead of the server is still accepted.
REGISTRATION_CLOCK_SKEW_SECONDS = 300
# Largest offline batch accepted by POST /api/v1/agent/registrations/sync.
REGISTRATION_SYNC_MAX_ITEMS = 500
# Contacts an agent may send in one request (the offline queue is sent in batches).
FOLLOW_UP_CONTACTS_MAX_ITEMS = 500
# Numbers before sync (POST /api/v1/agent/reservations): how long a reserved participant
# number stays usable, the most one request reserves, and the most unused an agent holds.
RESERVATION_DAYS = env.int("RESERVATION_DAYS", default=60)
RESERVATION_MAX_BATCH = env.int("RESERVATION_MAX_BATCH", default=100)
RESERVATION_MAX_UNUSED = env.int("RESERVATION_MAX_UNUSED", default=200)

# Largest request bodies, by path prefix (bytes); others: DATA_UPLOAD_MAX_MEMORY_SIZE.
# A sync of 500 registrations is well under 1 MiB.
REQUEST_SIZE_LIMITS = {
    "/api/v1/agent/registrations/sync": env.int("SYNC_MAX_BYTES", default=2 * 1024 * 1024),
    "/api/v1/partner/": env.int("PARTNER_MAX_BYTES", default=256 * 1024),
    "/admin/partners/company/import/": env.int(
        "COMPANY_IMPORT_MAX_BYTES", default=50 * 1024 * 1024
    ),
    "/admin/enrollments/settlementimport/upload/": env.int(
        "SETTLEMENT_IMPORT_MAX_BYTES", default=200 * 1024 * 1024
    ),
}

# Partners -------------------------------------------------------------------------
# A company with this many months of contribution arrears, or more, is not eligible.
PERMIT_ARREARS_THRESHOLD_MONTHS = env.int("PERMIT_ARREARS_THRESHOLD_MONTHS", default=3)
# How long a permit check's answer stands.
PERMIT_CHECK_VALIDITY_DAYS = env.int("PERMIT_CHECK_VALIDITY_DAYS", default=30)
# Where verification links printed on permits point (e.g. https://perisai.example.id).
# Empty: the host of the request that made the check.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="")
# Requests per API key per window (seconds); then 429 with Retry-After.
PARTNER_THROTTLE = (
    env.int("PARTNER_THROTTLE_REQUESTS", default=1200),
    env.int("PARTNER_THROTTLE_WINDOW_SECONDS", default=60),
)
# A payment's paid_at may be this far ahead of the server's clock, or behind the
# capture of the registration it pays for; further is refused.
PAYMENT_CLOCK_SKEW_SECONDS = 300
# Where seed_demo writes the private key of the demo SNAP channel (BANK-DEMO), for
# bench/snap_client.py; written once, when the channel's SNAP client is created.
SNAP_DEMO_KEY_FILE = env.path("SNAP_DEMO_KEY_FILE", default=BASE_DIR / "var" / "snap-demo-bank.pem")
# A signed webhook whose timestamp is further than this from the server's clock is stale.
SIGNATURE_TOLERANCE_SECONDS = 300
# Largest company CSV the admin accepts, in bytes.
COMPANY_IMPORT_MAX_BYTES = env.int("COMPANY_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# Channels' settlement files uploaded in the admin: the largest accepted (a million lines
# is about 60 MB), and where they are kept for the worker that reconciles them (a
# directory the web and worker containers share).
SETTLEMENT_IMPORT_MAX_BYTES = env.int("SETTLEMENT_IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
SETTLEMENT_FILES_DIR = env.path("SETTLEMENT_FILES_DIR", default=BASE_DIR / "var" / "settlements")

# Messages to workers (notifications) ----------------------------------------------
# Where messages go: "console" (logged, phone masked) or "http" (the gateway below).
NOTIFICATIONS_PROVIDER = env("NOTIFICATIONS_PROVIDER", default="console")
# The http provider POSTs {id, to, text} here with "Authorization: Bearer <token>".
NOTIFICATIONS_HTTP_URL = env("NOTIFICATIONS_HTTP_URL", default="")
NOTIFICATIONS_HTTP_TOKEN = env("NOTIFICATIONS_HTTP_TOKEN", default="")
NOTIFICATIONS_HTTP_CONNECT_TIMEOUT = env.float("NOTIFICATIONS_HTTP_CONNECT_TIMEOUT", default=3.0)
NOTIFICATIONS_HTTP_READ_TIMEOUT = env.float("NOTIFICATIONS_HTTP_READ_TIMEOUT", default=10.0)
# A message the gateway did not take is tried again after base x 2^(attempt - 1)
# seconds, at most the cap, and ends failed (kept, visible in the admin) after this
# many attempts: 8 attempts at 1 min doubling span about 2 hours.
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.int("NOTIFICATIONS_RETRY_BASE_SECONDS", default=60)
NOTIFICATIONS_RETRY_MAX_SECONDS = env.int("NOTIFICATIONS_RETRY_MAX_SECONDS", default=6 * 3600)
# Sent only from this hour until that one, in the recipient's time zone.
NOTIFICATIONS_SEND_FROM_HOUR = env.int("NOTIFICATIONS_SEND_FROM_HOUR", default=8)
NOTIFICATIONS_SEND_UNTIL_HOUR = env.int("NOTIFICATIONS_SEND_UNTIL_HOUR", default=20)
# At most this many messages a day to one phone (its local day); more wait a day.
NOTIFICATIONS_DAILY_LIMIT_PER_PHONE = env.int("NOTIFICATIONS_DAILY_LIMIT_PER_PHONE", default=3)
# A message "sending" this long belongs to a worker that died; it is queued again.
# Far above the provider's timeouts.
NOTIFICATIONS_SENDING_TIMEOUT_SECONDS = env.int(
    "NOTIFICATIONS_SENDING_TIMEOUT_SECONDS", default=600
)
# Messages one sweep sends at most; the next sweep, a minute later, goes on.
NOTIFICATIONS_SWEEP_LIMIT = env.int("NOTIFICATIONS_SWEEP_LIMIT", default=500)

# Logging --------------------------------------------------------------------------
# One JSON object per line; the redaction filter masks anything shaped like a NIK so
# a careless log call cannot leak one.
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "core.logging.RedactFilter"}},
    "formatters": {"json": {"()": "core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
