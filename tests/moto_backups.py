"""moto backs a table up once per *item* of a TransactWriteItems (a deep copy of the whole table each
time), which makes 100-item transactions quadratic in the table size. `one_backup_per_transaction`
copies each table once per transaction instead: every copy is taken before any item is applied, so the
backup (and a cancelled transaction's rollback) is the same, only cheaper."""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock

import moto.dynamodb.models as moto_dynamodb


@contextmanager
def one_backup_per_transaction() -> Iterator[None]:
    real = moto_dynamodb.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        copies: dict[int, tuple] = {}

        def deepcopy(thing, memo=None):
            if id(thing) not in copies:
                # Holding `thing` keeps it alive, so its id cannot be reused during the transaction.
                copies[id(thing)] = (thing, copy.deepcopy(thing, memo))
            return copies[id(thing)][1]

        with mock.patch.object(moto_dynamodb, "copy", SimpleNamespace(deepcopy=deepcopy)):
            return real(self, transact_items)

    with mock.patch.object(moto_dynamodb.DynamoDBBackend, "transact_write_items", transact_write_items):
        yield
