"""The bench's metered in-memory store (bench/metered_store.py) against the repository on moto: the
same recording work makes the same DynamoDB calls and costs the same write units, so the cost and
contention rows of bench/run_scale.py describe what the repository does."""

import boto3
import pytest
from moto import mock_aws

from bench.capacity import CapacityMeter
from bench.metered_store import MeteredStore
from local.template import Template
from shared.data.repository import Repository
from shared.domain.assignment_models import AssignmentPut
from shared.domain.catalog_items import SystemItem
from shared.events import RecordingPublisher
from shared.retry import RetryPolicy
from shared.services.context import Collaborators
from shared.services.health_state import initial_state
from shared.services.recording import RunInput, record_run
from tests.fakes.memory_store import MemoryStore
from tests.fakes.seed import configuration_item
from tests.integration.api.stack import TABLE, create_resources

SEEDED_AT = "2030-01-01T00:00:00.000Z"


class Cache:
    max_staleness_seconds = 18.0

    def invalidate(self, key: str) -> bool:
        return True


def seed(store) -> None:
    store.create_system(
        SystemItem(id="shop", name="Shop", created_at=SEEDED_AT, updated_at=SEEDED_AT, version=1),
        initial_state("shop", SEEDED_AT),
    )
    settings = AssignmentPut.model_validate({}).model_dump(mode="json", by_alias=True)
    for configuration_id in ("web", "api"):
        store.create_configuration(configuration_item(configuration_id))
        store.put_assignment(
            "shop", configuration_id, settings, expected_version=None, now=SEEDED_AT, now_epoch=0
        )


def runs() -> list[RunInput]:
    return [
        RunInput(
            run_id=f"{configuration_id}-{n}",
            system_id="shop",
            configuration_id=configuration_id,
            source_id="local",
            source_label="Local",
            status=status,
            latency_ms=20.0,
            timestamp=f"2030-01-01T00:0{n}:00.000Z",
            result={"statusCode": 200},
        )
        for n, status in enumerate(["healthy", "healthy", "unhealthy", "unhealthy", "healthy"])
        for configuration_id in ("web", "api")
    ]


def record_all(repository) -> None:
    c = Collaborators(
        repository=repository,
        cache=Cache(),
        publisher=RecordingPublisher(),
        settings=None,
        conflicts=RetryPolicy(sleep=lambda _: None),
        encryptor=None,
    )
    for run in [*runs(), runs()[0]]:  # the last one is a redelivery
        record_run(c, run)


@pytest.fixture
def moto_figures():
    with mock_aws():
        create_resources(Template.load())
        client = boto3.client("dynamodb", region_name="us-east-1")
        repository = Repository(client, TABLE)
        seed(repository)
        meter = CapacityMeter(client, boto3.client("dynamodb", region_name="us-east-1"))
        record_all(repository)
        yield meter


def test_the_metered_store_makes_the_calls_and_costs_the_units_of_the_repository(moto_figures):
    # given the same system, checks and runs (status changes, steady runs and a redelivery)
    memory = MemoryStore()
    seed(memory)
    metered = MeteredStore(memory)
    # when both record them
    record_all(metered)
    # then the calls by API and the write units are the same; reads within a unit per run
    assert dict(metered.calls) == dict(moto_figures.calls)
    assert metered.write_units == moto_figures.write_units
    assert abs(metered.read_units - moto_figures.read_units) <= len(runs())
