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
VAR_DIR.mkdir(exist_ok=True)

WHITENOISE_AUTOREFRESH = True
