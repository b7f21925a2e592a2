import subprocess
import sys

import pytest

from shared.cache import CachedScope, MemoryBackend, NullBackend, build_cache, reset_memory_backend
from shared.settings import Settings
from tests.unit.cache.cache_fakes import Loader


def settings(**values) -> Settings:
    return Settings.model_validate(values)


def no_dynamodb():
    raise AssertionError("the dynamodb client must not be built for this backend")


@pytest.fixture(autouse=True)
def fresh_memory_backend():
    reset_memory_backend()
    yield
    reset_memory_backend()


def test_memory_backend_is_shared_by_every_scope_of_the_process():
    # given
    first = build_cache(settings(CACHE_BACKEND="memory"), dynamodb_client_factory=no_dynamodb)
    second = build_cache(settings(CACHE_BACKEND="memory"), dynamodb_client_factory=no_dynamodb)
    # when
    first.wrap("s1", Loader({"status": "healthy"}))
    loader = Loader({"status": "unknown"})
    # then
    assert isinstance(first.backend, MemoryBackend)
    assert second.wrap("s1", loader) == {"status": "healthy"}
    assert loader.calls == 0


def test_none_backend_always_loads_and_acknowledges_invalidations():
    # given
    scope = build_cache(settings(CACHE_BACKEND="none"), dynamodb_client_factory=no_dynamodb)
    loader = Loader({"status": "healthy"})
    # when
    answers = [scope.wrap("s1", loader), scope.wrap_many(["s1"], lambda keys: {"s1": {"n": 1}})]
    # then
    assert isinstance(scope.backend, NullBackend)
    assert answers == [{"status": "healthy"}, {"s1": {"n": 1}}]
    assert loader.calls == 1
    assert scope.invalidate("s1") and scope.invalidate_family()


def test_ttl_comes_from_settings():
    # given
    scope = build_cache(
        settings(CACHE_BACKEND="memory", CACHE_TTL_SECONDS=42), dynamodb_client_factory=no_dynamodb
    )
    # then
    assert isinstance(scope, CachedScope)
    assert scope.ttl_seconds == 42
    assert scope.namespace == "status"


def test_redis_backend_needs_a_url():
    with pytest.raises(ValueError, match="REDIS_URL"):
        build_cache(settings(CACHE_BACKEND="redis"), dynamodb_client_factory=no_dynamodb)


def test_redis_backend_connects_lazily():
    # when no server listens, building the scope must still succeed
    scope = build_cache(
        settings(CACHE_BACKEND="redis", REDIS_URL="redis://127.0.0.1:1/0"),
        dynamodb_client_factory=no_dynamodb,
    )
    # then
    assert type(scope.backend).__name__ == "RedisBackend"
    assert scope.backend.round_trips == 0


class UnreachableClient:
    """A DynamoDB client that records the table of every call and fails it, as an outage would."""

    def __init__(self) -> None:
        self.tables: list[str] = []

    def __getattr__(self, operation: str):
        def call(**request):
            self.tables.append(request.get("TableName") or next(iter(request.get("RequestItems", {"?": 0}))))
            raise ConnectionError("unreachable")

        return call


def test_dynamodb_backend_uses_the_given_client_factory():
    # given
    client = UnreachableClient()
    # when
    scope = build_cache(
        settings(CACHE_BACKEND="dynamodb", CACHE_TABLE_NAME="cache-table"),
        dynamodb_client_factory=lambda: client,
    )
    value = scope.wrap("system:shop", lambda: {"status": "healthy"})
    # then: the factory's client was asked, on the cache table, and its outage did not fail the read
    assert type(scope.backend).__name__ == "DynamoDBBackend"
    assert client.tables and set(client.tables) == {"cache-table"}
    assert value == {"status": "healthy"}


def test_importing_the_cache_does_not_import_redis():
    # given a fresh interpreter (redis may already be imported in this one)
    code = "import sys, shared.cache; sys.exit(1 if 'redis' in sys.modules else 0)"
    # when
    result = subprocess.run([sys.executable, "-c", code], cwd="src", capture_output=True, text=True)
    # then
    assert result.returncode == 0, result.stderr or "shared.cache imported redis"
