"""The sweep checkpoint port's contract, on DynamoDB and in memory: saves and clears are compare-and-set
on the checkpoint's version, so two invocations of one sweep never both move it."""

import boto3
import pytest
from moto import mock_aws

from shared.data.sweeps import SweepCheckpoints
from shared.domain.records import CheckpointMovedError
from tests.fakes.memory_sweeps import MemorySweepCheckpoints
from tests.integration.store_contract.conftest import TABLE
from tests.integration.tables import healthcheck_table_definition


@pytest.fixture(params=["dynamodb", "memory"])
def checkpoints(request):
    if request.param == "memory":
        yield MemorySweepCheckpoints()
        return
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, **healthcheck_table_definition())
        yield SweepCheckpoints(client, TABLE)


def test_a_checkpoint_moves_only_from_the_version_it_was_read_at(checkpoints):
    # given
    first = checkpoints.save("offline", {"cursor": "a"}, expected_version=None)
    # when
    second = checkpoints.save("offline", {"cursor": "b"}, expected_version=first)
    # then
    assert (first, second) == (1, 2)
    assert checkpoints.load("offline") == {"cursor": "b", "version": 2}
    with pytest.raises(CheckpointMovedError):
        checkpoints.save("offline", {"cursor": "c"}, expected_version=first)
    with pytest.raises(CheckpointMovedError):
        checkpoints.save("offline", {"cursor": "c"}, expected_version=None)


def test_a_checkpoint_is_cleared_only_by_who_holds_its_version(checkpoints):
    # given
    version = checkpoints.save("offline", {"cursor": "a"}, expected_version=None)
    # when / then
    with pytest.raises(CheckpointMovedError):
        checkpoints.clear("offline", expected_version=version + 1)
    checkpoints.clear("offline", expected_version=version)
    assert checkpoints.load("offline") is None
