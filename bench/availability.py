"""Availability over 365 days through the real read handler on moto: DynamoDB items read by a warm
read (daily summaries stored by a first read) for a system of three checks run every minute, each
with an outage every day, against the raw runs that range covers.

Run: `PYTHONPATH=src:. python -m bench.availability` from the repository root.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench import describe, in_process_stack
from bench.sizes import scaled
from bench.table import REPORT_ONLY, row

CHECKS = ("web", "api", "db")
DAYS = scaled(365, 7)  # the window read (a named one: 365d, 7d) and the days of outages seeded
INTERVAL_SECONDS = 60
ITEMS_GOAL = 400


class ItemsRead:
    """Items DynamoDB returned to reads (Query, BatchGetItem, GetItem) since `attach`."""

    def __init__(self) -> None:
        self.items = 0

    def attach(self) -> None:
        from shared import aws

        aws.dynamodb().meta.events.register("after-call.dynamodb", self._count, unique_id="bench-items-read")

    def _count(self, parsed: dict, model, **_) -> None:
        if model.name == "Query":
            self.items += len(parsed.get("Items", []))
        elif model.name == "BatchGetItem":
            self.items += sum(len(found) for found in parsed.get("Responses", {}).values())
        elif model.name == "GetItem":
            self.items += 1 if parsed.get("Item") else 0


def _seed(stack, now: datetime) -> int:
    """Three checks, each down for 20 minutes a day for a year; returns how many transitions."""
    from shared.data import keys
    from shared.data.table import plain_key
    from shared.domain.wire import format_timestamp
    from shared.services.context import default_collaborators

    stack.call("POST", "/systems", {"id": "shop", "name": "Shop"})
    for configuration_id in CHECKS:
        body = {
            "id": configuration_id,
            "name": configuration_id.title(),
            "strategyId": "tcp",
            "intervalSeconds": INTERVAL_SECONDS,
            "config": {"host": "127.0.0.1", "port": 9},
        }
        stack.call("POST", "/configurations", body)
        stack.call("PUT", f"/systems/shop/checks/{configuration_id}", {})
    repository = default_collaborators().repository
    items = []
    for n, configuration_id in enumerate(CHECKS):
        for day in range(DAYS + 1):
            down = now - timedelta(days=day, hours=n + 1)
            changes = ((down, "healthy", "unhealthy"), (down + timedelta(minutes=20), "unhealthy", "healthy"))
            for at, previous, status in changes:
                moment = format_timestamp(at)
                key = keys.check_transition_key("shop", configuration_id, moment, day)
                items.append(
                    plain_key(key)
                    | {
                        "systemId": "shop",
                        "configurationId": configuration_id,
                        "previousStatus": previous,
                        "newStatus": status,
                        "at": moment,
                    }
                )
    repository._batch_write(puts=items)
    return len(items)


def rows() -> list[dict]:
    with in_process_stack(CACHE_BACKEND="none") as (stack, calls):
        now = datetime.now(UTC)
        transitions = _seed(stack, now)
        query = {"window": f"{DAYS}d"}
        first = stack.call("GET", "/systems/shop/availability", query=query)
        assert first.status == 200, first.body
        counter = ItemsRead()
        counter.attach()
        before = calls.snapshot()
        second = stack.call("GET", "/systems/shop/availability", query=query)
        assert second.body["downtimeSeconds"] == first.body["downtimeSeconds"]
        used = calls.since(before)
    raw_runs = len(CHECKS) * DAYS * 24 * 3600 // INTERVAL_SECONDS
    return [
        row(
            f"availability {DAYS} d: items read",
            counter.items,
            ITEMS_GOAL,
            f"<= {ITEMS_GOAL}",
            counter.items <= ITEMS_GOAL,
            note=f"warm read, 3 checks, {transitions} transitions stored; calls: {describe(used)}",
            ratio=counter.items / ITEMS_GOAL,
        ),
        row(
            f"availability {DAYS} d: vs raw runs covered (ratio)",
            counter.items,
            raw_runs,
            REPORT_ONLY,
            True,
            note=f"{raw_runs} runs of 3 checks every {INTERVAL_SECONDS} s",
        ),
    ]


if __name__ == "__main__":
    for entry in rows():
        print(entry)
