import copy
import os
import uuid
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from agents.models import Branch
from config.celery import app as celery_app
from core import outage
from partners.models import Partner, PartnerKind
from tests.agents.factories import BranchFactory, RegionFactory
from tests.builders import active_agent, agent_client
from tests.core.factories import RegencyFactory
from tests.faults import forget_broker_connections


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_redis = pytest.mark.skip(reason="needs a real Redis: set REDIS_URL")
    skip_postgres = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL")
    on_postgres = connection.vendor == "postgresql"
    for item in items:
        if "redis" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(skip_redis)
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_postgres)


@pytest.fixture(autouse=True)
def _no_redis_outage_remembered():
    """A test that made Redis fail must not make the next ones skip it."""
    outage.reset()
    yield
    outage.reset()


@pytest.fixture(autouse=True)
def _cache_of_its_own(settings):
    """Each test gets a cache key prefix of its own: counters (sign-in throttling) cannot
    leak between tests, nor from an earlier run into a shared Redis, and nothing is
    flushed."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"perisai-test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_user(
        username="staff", password="correct horse battery", is_staff=True
    )


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def region(db):
    RegencyFactory.create(code="7471", name="Kota Kendari")
    return RegionFactory.create(code="KW-SULAMA")


@pytest.fixture
def kendari(region):
    return BranchFactory.create(code="KDI", name="Kendari", region=region)


@pytest.fixture
def manado(region):
    return BranchFactory.create(
        code="MDO",
        name="Manado",
        region=region,
        regency=RegencyFactory.create(code="7171", name="Kota Manado"),
    )


@pytest.fixture
def palangka(db):
    return BranchFactory.create(
        code="PLK",
        name="Palangka Raya",
        region=RegionFactory.create(code="KW-KALIMANTAN"),
        regency=RegencyFactory.create(code="6271", name="Kota Palangka Raya"),
        time_zone=Branch.TimeZone.WIB_PONTIANAK,
    )


@pytest.fixture
def agent_a(kendari):
    return active_agent(kendari, full_name="Agen A")


@pytest.fixture
def agent_b(kendari):
    return active_agent(kendari, full_name="Agen B")


@pytest.fixture
def client_a(agent_a):
    return agent_client(agent_a)


@pytest.fixture
def client_b(agent_b):
    return agent_client(agent_b)


@pytest.fixture
def channel(db):
    """A payment channel: the partner the payment services are given as ``channel``.
    A client of the payment API, with its key and signing secret, is ``channel_client``
    (tests/enrollments/test_payments.py)."""
    return Partner.objects.create(code="BANK-T", name="Bank", kind=PartnerKind.PAYMENT_CHANNEL)


@pytest.fixture
def no_auto_recompute():
    """Payments schedule a recompute after commit; tests that drive recomputes
    themselves switch that off."""
    with mock.patch("fees.tasks.recompute_branch.apply_async"):
        yield


# Nothing listens on port 1: connections are refused at once, as when Redis is down.
REDIS_DOWN = "redis://127.0.0.1:1/0"
CACHE_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_DOWN,
        "KEY_PREFIX": "perisai",
    }
}


@pytest.fixture
def redis_down():
    """Cache and broker both unreachable, tasks really sent (not run in-process)."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = REDIS_DOWN, False
    forget_broker_connections()
    with override_settings(CACHES=CACHE_DOWN):
        yield
    conf.broker_url, conf.task_always_eager = saved
    forget_broker_connections()
