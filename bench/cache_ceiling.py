"""The default (DynamoDB-TTL) status cache's ceiling: how many lookups a second the deployment can make.

A lookup reads its keys' family items strongly consistent (in the BatchGetItem of the values). The
family is sharded (`FAMILY_SHARDS` items, a key's shard by crc32), so single lookups of different
systems spread over the shards: DynamoDB serves at most 3,000 strongly consistent read units a second
per partition (an item never gets more, wherever it lives), so the ceiling is 3,000 x lookups / (reads
of the busiest family item). Measured on moto over warm single lookups of 1,000 systems, and the calls
of a cold batch of 1,000 systems. Run: `PYTHONPATH=src:. python -m bench.cache_ceiling`.
"""

from __future__ import annotations

from collections import Counter

from bench.sizes import scaled
from bench.table import REPORT_ONLY, row

PARTITION_READ_UNITS_PER_SECOND = 3_000
BATCH = scaled(1_000, 40)


def rows() -> list[dict]:
    from bench import use_fake_aws

    use_fake_aws()
    import boto3
    from moto import mock_aws

    from shared.cache.dynamodb_backend import FAMILY_SHARDS, DynamoDBBackend
    from shared.cache.scope import CachedScope
    from tests.integration.cache.cache_harness import CACHE_TABLE, NAMESPACE, create_cache_table
    from tests.moto_backups import one_backup_per_transaction

    with mock_aws(), one_backup_per_transaction():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_cache_table(client)
        family_reads: Counter[str] = Counter()

        def count(params: dict, **_: object) -> None:
            keys = [k for t in params.get("RequestItems", {}).values() for k in t.get("Keys", [])]
            family_reads.update(k["pk"]["S"] for k in keys if "#family#" in k["pk"]["S"])

        client.meta.events.register("before-parameter-build.dynamodb.BatchGetItem", count)
        backend = DynamoDBBackend(client, CACHE_TABLE)
        scope = CachedScope(backend, NAMESPACE)
        ids = [f"system-{n:04d}" for n in range(BATCH)]
        scope.invalidate_family()  # the family shards exist, as after the deployment's first change
        before = backend.calls
        scope.wrap_many(ids, lambda missing: {k: {"status": "healthy"} for k in missing})
        cold_calls = backend.calls - before
        family_reads.clear()
        before = backend.calls
        for system in ids:
            scope.wrap(system, lambda: None)
        warm_calls = (backend.calls - before) / len(ids)
        busiest = max(family_reads.values())
    ceiling = PARTITION_READ_UNITS_PER_SECOND * len(ids) / busiest
    return [
        row(
            "default cache: lookups/s ceiling",
            round(ceiling),
            PARTITION_READ_UNITS_PER_SECOND,
            REPORT_ONLY,
            False,
            f"single lookups of {len(ids):,} systems read one of {FAMILY_SHARDS} family items each"
            f" ({warm_calls:.0f} call a lookup; busiest item {busiest} reads of {len(ids):,}):"
            f" {PARTITION_READ_UNITS_PER_SECOND:,} consistent reads a second per item x the spread."
            " One system read alone is still bounded by its own value item (3,000/s); a batch lookup"
            f" reads each of the {FAMILY_SHARDS} family items once",
        ),
        row(
            f"default cache: cold batch of {BATCH} calls",
            cold_calls,
            BATCH,
            REPORT_ONLY,
            False,
            "BatchGetItem of the values (100 a call), leases and fills in TransactWriteItems of 100"
            " conditional writes (the family shards exist: they are created once per deployment)",
        ),
    ]


if __name__ == "__main__":
    from bench.table import render

    print(render(rows()))
