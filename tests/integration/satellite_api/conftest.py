import copy
from types import SimpleNamespace

import moto.dynamodb.models as moto_dynamodb
import pytest

# The in-process stack and the fixtures it depends on, whatever they are named.
from tests.integration.api.conftest import *  # noqa: F403


@pytest.fixture(autouse=True)
def one_table_backup_per_transaction(monkeypatch):
    """moto backs a table up once per *item* of a TransactWriteItems (a deep copy of the whole
    table each time), which makes 100-item transactions quadratic. Copy each table once per
    transaction instead: every copy is taken before any item is applied, so the backup is the same."""
    real = moto_dynamodb.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        copies: dict[int, tuple] = {}

        def deepcopy(thing, memo=None):
            if id(thing) not in copies:
                # Holding `thing` keeps it alive, so its id cannot be reused during the transaction.
                copies[id(thing)] = (thing, copy.deepcopy(thing, memo))
            return copies[id(thing)][1]

        monkeypatch.setattr(moto_dynamodb, "copy", SimpleNamespace(deepcopy=deepcopy))
        try:
            return real(self, transact_items)
        finally:
            monkeypatch.setattr(moto_dynamodb, "copy", copy)

    monkeypatch.setattr(moto_dynamodb.DynamoDBBackend, "transact_write_items", transact_write_items)
