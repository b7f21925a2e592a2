"""Reading system health through the status cache: one key per system, bulk reads in one
`wrap_many`. Loaders read the state items strongly consistent from the base table."""

from __future__ import annotations

from shared.domain.errors import NotFoundError
from shared.services.context import Collaborators


def system_health(c: Collaborators, system_id: str) -> dict:
    """A system's SystemHealth through the status cache."""

    def load() -> dict | None:
        state = c.repository.get_state(system_id)
        return state.view.to_wire() if state else None

    view = c.cache.wrap(system_id, load)
    if view is None:
        raise NotFoundError(f"system {system_id} not found")
    return view


def health_batch(c: Collaborators, system_ids: list[str]) -> dict:
    """SystemHealth of many systems in one bulk cache read."""
    unique = list(dict.fromkeys(system_ids))

    def load_many(missing: list[str]) -> dict[str, dict]:
        return {
            system_id: state.view.to_wire() for system_id, state in c.repository.get_states(missing).items()
        }

    found = c.cache.wrap_many(unique, load_many)
    return {
        "statuses": {s: found[s] for s in unique if s in found},
        "notFound": [s for s in unique if s not in found],
    }
