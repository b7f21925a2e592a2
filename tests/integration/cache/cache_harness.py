"""Both real cache backends behind one small interface, so every interleaving runs against each."""

import time

import boto3
import redis
from moto import mock_aws

from shared.cache import CachedScope
from shared.cache.dynamodb_backend import FAMILY_SHARDS, DynamoDBBackend
from shared.cache.redis_backend import SLOT_GROUPS, RedisBackend, new_client, reset_clients
from tests.unit.cache.cache_fakes import RecordingLogger, RecordingMetrics

NAMESPACE = "status"
CACHE_TABLE = "healthcheck-cache"


class Harness:
    """Each `scope()` stands for another Lambda process: own backend instance, own single-flight table."""

    kind = ""

    def __init__(self) -> None:
        self.logger = RecordingLogger()
        self.metrics = RecordingMetrics()

    def backend(self):
        raise NotImplementedError

    def scope(self, backend=None, **options) -> CachedScope:
        return CachedScope(
            backend or self.backend(), NAMESPACE, logger=self.logger, metrics=self.metrics, **options
        )

    def drop_family(self) -> None:
        """Lose the family counter, as an eviction or a failover without persistence would."""
        raise NotImplementedError

    def expire(self, key: str) -> None:
        """Let the key's lease or data run out now."""
        raise NotImplementedError

    def break_backend(self, backend) -> None:
        """Make the cache unreachable for this backend instance."""
        raise NotImplementedError

    def close(self) -> None:
        return None


class RedisHarness(Harness):
    kind = "redis"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.admin = redis.Redis.from_url(url, decode_responses=True)
        self.admin.flushall()
        self._clients: list[redis.Redis] = []

    def backend(self) -> RedisBackend:
        client = new_client(self.url)
        self._clients.append(client)
        return RedisBackend(client_factory=lambda: client)

    def drop_family(self) -> None:
        keys = RedisBackend(client_factory=lambda: self.admin)
        assert self.admin.delete(*(keys.family_key(NAMESPACE, group) for group in range(SLOT_GROUPS))) >= 1

    def expire(self, key: str) -> None:
        value_key = RedisBackend(client_factory=lambda: self.admin).value_key(NAMESPACE, key)
        self.admin.pexpire(value_key, 1)
        deadline = time.monotonic() + 5
        while self.admin.exists(value_key):
            assert time.monotonic() < deadline, "redis never expired the key"
            time.sleep(0.005)

    def break_backend(self, backend: RedisBackend) -> None:
        client = backend._redis()
        client.connection_pool.connection_kwargs["port"] = 1
        client.connection_pool.disconnect()
        client.connection_pool.reset()

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.admin.close()
        reset_clients()


class OffsetClock:
    """Wall clock that tests can move forward (moto never expires items by itself)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


class DynamoDBHarness(Harness):
    kind = "dynamodb"

    def __init__(self) -> None:
        super().__init__()
        self._mock = mock_aws()
        self._mock.start()
        self.client = boto3.client("dynamodb", region_name="us-east-1")
        create_cache_table(self.client)
        self.clock = OffsetClock()

    def backend(self) -> DynamoDBBackend:
        return DynamoDBBackend(self.client, CACHE_TABLE, clock=self.clock)

    def drop_family(self) -> None:
        backend = self.backend()
        dropped = [
            self.client.delete_item(
                TableName=CACHE_TABLE,
                Key={"pk": {"S": backend.family_pk(NAMESPACE, shard)}},
                ReturnValues="ALL_OLD",
            )
            for shard in range(FAMILY_SHARDS)
        ]
        assert any("Attributes" in answer for answer in dropped)

    def expire(self, key: str) -> None:
        self.clock.offset += 3_600

    def break_backend(self, backend: DynamoDBBackend) -> None:
        self.client.delete_table(TableName=CACHE_TABLE)

    def close(self) -> None:
        self._mock.stop()


def create_cache_table(client) -> None:
    """The cache table: partition key `pk` only, TTL on `expiresAt`."""
    client.create_table(
        TableName=CACHE_TABLE,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=CACHE_TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expiresAt"}
    )
