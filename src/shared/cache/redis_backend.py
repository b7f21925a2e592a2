"""Redis (ElastiCache) cache backend: lease compare-and-set fills and an O(1) family counter.

A value key holds `L:<family>:<token>` (a lease) or `D:<family>:<json>` (data); the family key holds an
integer. Keys are spread over `SLOT_GROUPS` hash tags `{<namespace>:<group>}` (crc32 of the key): each
group has its own family key in the same slot as its values, so the grant and fill scripts stay in one
slot, and a bulk read is one MGET per group, all in one pipeline (one round trip). ElastiCache
Serverless is cluster mode enabled and spreads slots over its shards, so no single slot carries every
lookup. `invalidate_family` bumps every group's family in one pipeline and returns once all answered.
"""

import hashlib
import json
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError
from redis.retry import Retry

from shared.cache.backend import Held, Hit, Leased, Outcome, Value

SOCKET_TIMEOUT_SECONDS = 0.1
SLOT_GROUPS = 16

# A lost family key is recreated from the server clock in microseconds, never from 0, so data labelled
# with an earlier family can never become current again.
_NEW_FAMILY = """
local function new_family()
  local now = redis.call('TIME')
  local family = now[1] .. string.format('%06d', tonumber(now[2]))
  redis.call('SET', KEYS[1], family)
  return family
end
"""

GRANT_SCRIPT = (
    _NEW_FAMILY
    + """
local family = redis.call('GET', KEYS[1]) or new_family()
local current = redis.call('GET', KEYS[2])
if current then
  local sep = string.find(current, ':', 3, true)
  if sep and string.sub(current, 3, sep - 1) == family then
    return {string.sub(current, 1, 1), family, string.sub(current, sep + 1)}
  end
end
redis.call('SET', KEYS[2], 'L:' .. family .. ':' .. ARGV[1], 'PX', ARGV[2])
return {'G', family, ARGV[1]}
"""
)

# Stores only while the key still holds our lease and the family is unchanged; otherwise drops our lease
# so that nobody waits for a fill that will never come.
FILL_SCRIPT = """
if redis.call('GET', KEYS[2]) ~= 'L:' .. ARGV[2] .. ':' .. ARGV[1] then
  return 0
end
if ARGV[3] == '' or redis.call('GET', KEYS[1]) ~= ARGV[2] then
  redis.call('DEL', KEYS[2])
  return 0
end
redis.call('SET', KEYS[2], 'D:' .. ARGV[2] .. ':' .. ARGV[3], 'PX', ARGV[4])
return 1
"""

BUMP_SCRIPT = (
    _NEW_FAMILY
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCR', KEYS[1])
end
return new_family()
"""
)

_SCRIPTS = (GRANT_SCRIPT, FILL_SCRIPT, BUMP_SCRIPT)
_GRANT, _FILL, _BUMP = (hashlib.sha1(text.encode()).hexdigest() for text in _SCRIPTS)

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def new_client(url: str) -> redis.Redis:
    """A client with the cache's timeouts; connections open on first command."""
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        # No retries: a slow or absent cache must cost one timeout, then the loader answers.
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
        health_check_interval=0,
        lib_name=None,
        lib_version=None,
    )


def client_for(url: str) -> redis.Redis:
    """The process-wide client of `url`, reused by every invocation of a warm process."""
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = new_client(url)
        return client


def reset_clients() -> None:
    """Close and forget every cached client (tests)."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


class RedisBackend:
    """`round_trips` counts network exchanges: a hit is 1, a cold batch is 3."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client_factory: Callable[[], Any] | None = None,
        prefix: str = "healthcheck",
    ) -> None:
        if (url is None) == (client_factory is None):
            raise ValueError("give exactly one of url and client_factory")
        self._factory = client_factory or (lambda: client_for(url))
        self._client: Any = None
        self._prefix = prefix
        self._lock = threading.Lock()
        self._scripts_loaded = False
        self.round_trips = 0

    def lookup(self, namespace: str, keys: Sequence[str]) -> dict[str, Value]:
        groups: dict[int, list[str]] = {}
        for key in keys:
            groups.setdefault(slot_group(key), []).append(key)
        pipe = self._redis().pipeline(transaction=False)
        for group, members in groups.items():
            pipe.mget([self.family_key(namespace, group), *(self.value_key(namespace, k) for k in members)])
        self._count()
        found = {}
        for members, replies in zip(groups.values(), pipe.execute(), strict=True):
            family = replies[0]
            if family is None:
                continue
            for key, raw in zip(members, replies[1:], strict=True):
                if raw is None:
                    continue
                kind, label, rest = raw.split(":", 2)
                if kind == "D" and label == family:
                    found[key] = json.loads(rest)
        return found

    def acquire(self, namespace: str, keys: Sequence[str], token: str, lease_ms: int) -> dict[str, Outcome]:
        def grants(pipe: Any) -> None:
            for key in keys:
                family_key = self.family_key(namespace, slot_group(key))
                pipe.evalsha(_GRANT, 2, family_key, self.value_key(namespace, key), token, lease_ms)

        outcomes: dict[str, Outcome] = {}
        for key, (kind, family, rest) in zip(keys, self._pipeline(grants), strict=True):
            if kind == "D":
                outcomes[key] = Hit(json.loads(rest))
            elif kind == "L":
                outcomes[key] = Held(rest)
            else:
                outcomes[key] = Leased(family)
        return outcomes

    def fill(
        self, namespace: str, token: str, fills: Mapping[str, tuple[str, Value | None]], ttl_ms: int
    ) -> None:
        def stores(pipe: Any) -> None:
            for key, (family, value) in fills.items():
                data = "" if value is None else json.dumps(value, separators=(",", ":"))
                family_key = self.family_key(namespace, slot_group(key))
                pipe.evalsha(
                    _FILL, 2, family_key, self.value_key(namespace, key), token, family, data, ttl_ms
                )

        if fills:
            self._pipeline(stores)

    def invalidate(self, namespace: str, key: str) -> None:
        self._count()
        self._redis().delete(self.value_key(namespace, key))

    def invalidate_family(self, namespace: str) -> None:
        def bumps(pipe: Any) -> None:
            for group in range(SLOT_GROUPS):
                pipe.evalsha(_BUMP, 1, self.family_key(namespace, group))

        # One round trip; pipe.execute raises if any group's bump failed (then nothing is acknowledged).
        self._pipeline(bumps)

    def _pipeline(self, build: Callable[[Any], None]) -> list[Any]:
        """One round trip of EVALSHA calls; the scripts are loaded in the same pipeline when needed."""
        for attempt in range(2):
            preload = not self._scripts_loaded
            pipe = self._redis().pipeline(transaction=False)
            if preload:
                for text in _SCRIPTS:
                    pipe.script_load(text)
            build(pipe)
            self._count()
            try:
                replies = pipe.execute()
            except NoScriptError:
                # The server lost its script cache (restart, failover, SCRIPT FLUSH).
                self._scripts_loaded = False
                if attempt:
                    raise
                continue
            self._scripts_loaded = True
            return replies[len(_SCRIPTS) :] if preload else replies
        raise AssertionError("unreachable")

    def _redis(self) -> Any:
        if self._client is None:
            self._client = self._factory()
        return self._client

    def _count(self) -> None:
        with self._lock:
            self.round_trips += 1

    def family_key(self, namespace: str, group: int) -> str:
        """The family key of one slot group."""
        return f"{self._prefix}:{{{namespace}:{group}}}:family"

    def value_key(self, namespace: str, key: str) -> str:
        """The value key of `key`, in its group's slot."""
        return f"{self._prefix}:{{{namespace}:{slot_group(key)}}}:v:{key}"


def slot_group(key: str) -> int:
    """The hash-tag group of a key: the same in every process (crc32, not Python's salted hash)."""
    return zlib.crc32(key.encode()) % SLOT_GROUPS
