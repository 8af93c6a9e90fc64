"""The test suite. PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set (CI sets
both); SQLite and eager Celery otherwise."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

DEBUG = False
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="test-only-insecure-key-3c5a7e9b1d2f4a6c",
)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Fixed keys for this environment only; production has no defaults.
ENCRYPTION_KEYS = env.list(
    "ENCRYPTION_KEYS",
    default=["dGVzdC1vbmx5LW5pay1rZXktbm90LWZvci1wcm9kITE="],
)
NIK_HASH_KEY = env("NIK_HASH_KEY", default="test-only-nik-hash-key")
PARTNER_KEY_HASH_KEY = env("PARTNER_KEY_HASH_KEY", default="test-only-partner-key-hash-key")
PERMIT_VERIFY_KEY = env("PERMIT_VERIFY_KEY", default="test-only-permit-verify-key")
VAR_DIR.mkdir(exist_ok=True)

# High enough that a whole suite signing in from 127.0.0.1 is never throttled by IP;
# the throttling tests set their own limits.
AUTH_THROTTLE_IP = (10_000, 900)

WHITENOISE_AUTOREFRESH = True
