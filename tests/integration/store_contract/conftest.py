"""The store under contract: the DynamoDB repository on moto (tables from template.yaml) or MemoryStore.

Every test of this folder runs against both, so service rules tested on the fake hold in AWS.
"""

import boto3
import pytest
from moto import mock_aws

from shared.data.repository import Repository
from shared.domain.state_items import SystemStateItem
from shared.domain.system_state import initial_state
from tests.fakes.memory_store import MemoryStore
from tests.fakes.seed import seed_shop
from tests.integration.tables import healthcheck_table_definition

TABLE = "healthcheck-contract"
NOW = "2030-01-01T00:00:00.000Z"
SETTINGS = {
    "enabled": True,
    "includeLocal": True,
    "satelliteIds": [],
    "quorum": {"mode": "any"},
    "stateThresholds": {"mode": "consecutive", "degradedAfter": 1, "unhealthyAfter": 3, "recoverAfter": 1},
    "retention": {"rawDays": 7, "hourlyDays": 30, "dailyDays": 365},
}


@pytest.fixture(params=["dynamodb", "memory"])
def store(request):
    if request.param == "memory":
        yield MemoryStore()
        return
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, **healthcheck_table_definition())
        yield Repository(client, TABLE)


def state(version: int) -> SystemStateItem:
    return initial_state("shop", NOW).model_copy(update={"version": version})


@pytest.fixture
def shop(store):
    """A store holding system "shop" (state version 1) and configuration "web"."""
    seed_shop(store, state(1))
    return store
