"""Status cache: a read-through cache that never serves data older than the last invalidation.

Protocol (ARCHITECTURE.md, "Status cache protocol"; invariants 2 and 4):

- A value key holds a lease `L:<family>:<token>` or data `D:<family>:<json>`; a family counter per
  namespace, sharded 16 ways (no hot key), makes every key stale at once (a bump per shard, one round
  trip). Data is a hit only while its own shard's family is current.
- A read gets the family and the value in one round trip. A miss atomically takes a lease (random token,
  a few seconds) and loads; the fill is stored only if the key still holds *our* lease and the family is
  unchanged (compare-and-set in the backend, never in process memory: Lambda runs many processes).
- Invalidating a key deletes it, which voids any outstanding lease; invalidating the family bumps the
  counter, which voids older leases and data. A fill racing a mutation is therefore discarded.
- A reader that finds another process's lease polls for its fill for at most 200 ms, then loads without
  filling. Threads of one process that find the lease of a load in progress here share that load
  (single flight keyed by key and lease), so a caller arriving after an invalidation never joins it.
- A cache error or timeout falls through to the loader (logged once per burst, metric
  `CacheFallThrough`); three in a row open a breaker that skips the cache for five seconds.
- Invalidation is retried three times and reports acknowledgement as a bool (metric
  `CacheInvalidationFailed` when it never came); mutations invalidate before they notify (invariant 1).

Every path that can change a system's health invalidates before it publishes (tested one by one in
tests/integration/pipeline/test_invalidation_paths.py):

- configuration create, update, delete, pause, resume -> the family (`invalidate_family`)
- assignment put and delete                            -> that system
- system delete                                        -> that system
- satellite delete                                     -> the family
- a recorded run, local or from a satellite            -> that system
- a satellite sweep that marks slices unknown         -> each system it re-evaluated
- retention purging a deleted system's history         -> that system

Backends: redis (`redis_backend`, imported only when chosen), dynamodb (`dynamodb_backend`, conditional
writes, expiry compared on read), memory (process-wide, local runtime) and none (cache disabled).
"""

from shared.cache.backend import CacheBackend, Held, Hit, Leased, Outcome, Value
from shared.cache.factory import build_cache, memory_backend, reset_memory_backend
from shared.cache.memory_backend import MemoryBackend
from shared.cache.null_backend import NullBackend
from shared.cache.scope import CachedScope

__all__ = [
    "CacheBackend",
    "CachedScope",
    "Held",
    "Hit",
    "Leased",
    "MemoryBackend",
    "NullBackend",
    "Outcome",
    "Value",
    "build_cache",
    "memory_backend",
    "reset_memory_backend",
]
