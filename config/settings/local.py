"""A developer's machine: `make run`. SQLite and eager Celery unless the environment
says otherwise."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="local-only-insecure-key-8b1f0c6e2d9a4e7f",
)
# Fixed keys for this environment only; production has no defaults.
ENCRYPTION_KEYS = env.list(
    "ENCRYPTION_KEYS",
    default=["bG9jYWwtb25seS1uaWsta2V5LW5vdC1mb3ItcHJvZDE="],
)
NIK_HASH_KEY = env("NIK_HASH_KEY", default="local-only-nik-hash-key")
PARTNER_KEY_HASH_KEY = env("PARTNER_KEY_HASH_KEY", default="local-only-partner-key-hash-key")
PERMIT_VERIFY_KEY = env("PERMIT_VERIFY_KEY", default="local-only-permit-verify-key")
VAR_DIR.mkdir(exist_ok=True)

WHITENOISE_AUTOREFRESH = True
