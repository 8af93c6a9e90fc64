"""Settings are read from the environment in a fresh interpreter each time, so the
defaults and the refusals are exercised exactly as a process starting up meets them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_DEBUG",
    "ENCRYPTION_KEYS",
    "NIK_HASH_KEY",
    "PARTNER_KEY_HASH_KEY",
    "PERMIT_VERIFY_KEY",
)
PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "broker": settings.CELERY_BROKER_URL,
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "cache": settings.CACHES["default"]["BACKEND"],
    "debug": settings.DEBUG,
    "language": settings.LANGUAGE_CODE,
}))
"""
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "k3Vq9zL7pWm2Rt8Yx4Nb6Hc1Dj5Fg0SeUaOi-test-only-not-a-real-key-4f8a2c",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/perisai",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_ALLOWED_HOSTS": "perisai.example.id",
    "ENCRYPTION_KEYS": "cHJvZHVjdGlvbi10ZXN0LWtleS0wMTIzNDU2Nzg5YWI=",
    "NIK_HASH_KEY": "production-test-hash-key-0123456789",
    "PARTNER_KEY_HASH_KEY": "production-test-partner-key-hash-key",
    "PERMIT_VERIFY_KEY": "production-test-permit-verify-key",
}


def run_python(code: str, module: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    clean.update(env, DJANGO_SETTINGS_MODULE=module)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_of(module: str, **env: str) -> dict:
    result = run_python(PROBE, module, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_local_defaults_to_sqlite_under_var_and_eager_celery():
    found = settings_of("config.settings.local")
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["db_name"] == str(ROOT / "var" / "db.sqlite3")
    assert found["eager"] is True
    assert found["broker"] == "memory://"
    assert found["cache"].endswith("LocMemCache")
    assert found["debug"] is True
    assert found["language"] == "id"


def test_postgres_and_redis_are_used_when_configured():
    found = settings_of(
        "config.settings.local",
        DATABASE_URL="postgres://u:p@db.internal:5432/perisai",
        REDIS_URL="redis://cache.internal:6379/1",
    )
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["db_name"] == "perisai"
    assert found["eager"] is False
    assert found["broker"] == "redis://cache.internal:6379/1"
    assert found["cache"].endswith("RedisCache")


def test_production_starts_with_its_secrets_set():
    found = settings_of("config.settings.production", **PRODUCTION_ENV)
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["eager"] is False
    assert found["debug"] is False


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_refuses_to_start_without_a_secret(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_python("", "config.settings.production", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_refuses_an_empty_allowed_hosts():
    result = run_python(
        "", "config.settings.production", **{**PRODUCTION_ENV, "DJANGO_ALLOWED_HOSTS": ""}
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_deploy_check_with_production_settings_reports_nothing():
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    clean.update(PRODUCTION_ENV, DJANGO_SETTINGS_MODULE="config.settings.production")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
