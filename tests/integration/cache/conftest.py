import os

os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "Healthcheck"
os.environ["POWERTOOLS_SERVICE_NAME"] = "healthcheck"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_SESSION_TOKEN"] = "testing"

import pytest

from tests.integration.cache.cache_harness import DynamoDBHarness, RedisHarness
from tests.moto_backups import one_backup_per_transaction
from tests.redis_server import redis_url  # noqa: F401


@pytest.fixture
def redis_harness(redis_url):  # noqa: F811
    harness = RedisHarness(redis_url)
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
def dynamodb_harness():
    # The backend writes leases and fills in transactions of 100 (see tests/moto_backups.py).
    with one_backup_per_transaction():
        harness = DynamoDBHarness()
        try:
            yield harness
        finally:
            harness.close()


@pytest.fixture(params=["redis", "dynamodb"])
def harness(request):
    """The same scenario against both real backends."""
    return request.getfixturevalue(f"{request.param}_harness")
