"""The default (DynamoDB-TTL) status cache's ceiling: how many lookups a second the deployment can make.

Every lookup reads the one family item (strongly consistent, in the BatchGetItem of the values), so
the family item's partition bounds the whole deployment: DynamoDB serves at most 3,000 read units a
second per partition, so at most 3,000 lookups (single or bulk) a second, whatever the number of
functions. Measured on moto: family reads per warm single lookup and per cold batch, and the calls
of a cold batch of 1,000 systems. Run: `PYTHONPATH=src:. python -m bench.cache_ceiling`.
"""

from __future__ import annotations

from bench.table import REPORT_ONLY, row

PARTITION_READ_UNITS_PER_SECOND = 3_000
BATCH = 1_000


def rows() -> list[dict]:
    from bench import use_fake_aws

    use_fake_aws()
    import boto3
    from moto import mock_aws

    from shared.cache.dynamodb_backend import DynamoDBBackend
    from shared.cache.scope import CachedScope
    from tests.integration.cache.cache_harness import CACHE_TABLE, NAMESPACE, create_cache_table

    family_key = f"cache#{NAMESPACE}#family"
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_cache_table(client)
        family_reads = [0]

        def count(params: dict, **_: object) -> None:
            keys = [k for t in params.get("RequestItems", {}).values() for k in t.get("Keys", [])]
            keys += [params["Key"]] if "Key" in params and "UpdateExpression" not in params else []
            family_reads[0] += sum(1 for k in keys if k["pk"]["S"] == family_key)

        client.meta.events.register("before-parameter-build.dynamodb.*", count)
        backend = DynamoDBBackend(client, CACHE_TABLE)
        scope = CachedScope(backend, NAMESPACE)
        ids = [f"system-{n:04d}" for n in range(BATCH)]
        scope.wrap("system-0000", lambda: {"status": "healthy"})
        family_reads[0], before = 0, backend.calls
        scope.wrap("system-0000", lambda: {"status": "healthy"})
        warm_family, warm_calls = family_reads[0], backend.calls - before
        family_reads[0], before = 0, backend.calls
        scope.wrap_many(ids, lambda missing: {k: {"status": "healthy"} for k in missing})
        cold_family, cold_calls = family_reads[0], backend.calls - before
    ceiling = PARTITION_READ_UNITS_PER_SECOND / max(1, warm_family)
    return [
        row(
            "default cache: lookups/s ceiling",
            ceiling,
            PARTITION_READ_UNITS_PER_SECOND,
            REPORT_ONLY,
            False,
            f"every lookup reads the family item ({warm_family} read per warm lookup, {warm_calls} call;"
            f" {cold_family} in a cold batch): one partition, {PARTITION_READ_UNITS_PER_SECOND:,} strongly"
            " consistent reads a second, bounds all lookups of the deployment (single or batch)",
        ),
        row(
            f"default cache: cold batch of {BATCH} calls",
            cold_calls,
            BATCH,
            REPORT_ONLY,
            False,
            "BatchGetItem of the values (100 a call), one conditional write per lease and per fill (no batch"
            " form for conditional writes; 16 at a time)",
        ),
    ]


if __name__ == "__main__":
    from bench.table import render

    print(render(rows()))
