"""The analysis feed: recent runs of every active assignment, for anomaly detection.

Disabled assignments and paused configurations are left out. A page holds whole assignments while
they fit in PAGE_BUDGET_BYTES of JSON (Lambda answers at most 6 MiB); an assignment whose runs do
not fit is cut, and the next page continues its runs where this one stopped. The cursor is ours:
the assignment listing's cursor of the page being read, the assignment to resume at, and its run
cursor and the runs it still owes.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from shared.domain.catalog_items import AssignmentItem
from shared.domain.errors import BadRequestError
from shared.domain.wire import format_timestamp
from shared.services.context import Collaborators
from shared.services.history import parse_moment

ASSIGNMENTS_PER_PAGE = 25
# Under Lambda's 6 MiB response, with room for the envelope and the API Gateway headers.
PAGE_BUDGET_BYTES = 5 * 1024 * 1024


def analysis_runs(
    c: Collaborators, *, since: str | None, limit_per_assignment: int, cursor: str | None
) -> dict:
    """Recent runs per active assignment, paged over assignments within the response size bound."""
    now = c.clock()
    start = format_timestamp(parse_moment(since, "since") or now - timedelta(days=1))
    position = _decode(cursor)
    listing = position.get("page")
    page = c.repository.list_assignments_page(limit=ASSIGNMENTS_PER_PAGE, cursor=listing)
    items: list[dict] = []
    used = 0
    for assignment in page.items:
        key = f"{assignment.system_id}#{assignment.configuration_id}"
        if position.get("at") and key < position["at"]:
            continue
        resuming = position.get("at") == key
        if not assignment.enabled or assignment.configuration_paused:
            continue
        wanted = position["left"] if resuming else limit_per_assignment
        run_cursor = position.get("runs") if resuming else None
        runs = _runs(c, assignment, start, format_timestamp(now), wanted, run_cursor)
        entry = {
            "systemId": assignment.system_id,
            "configurationId": assignment.configuration_id,
            "runs": [],
        }
        used += _size(entry)
        for n, run in enumerate(runs.items):
            shown = {
                "status": run.status,
                "latencyMs": run.latency_ms,
                "result": run.result,
                "timestamp": run.timestamp,
            }
            size = _size(shown) + 1
            if used + size > PAGE_BUDGET_BYTES and (items or n):
                if n:
                    items.append(entry)
                rest = {"page": listing, "at": key, "left": wanted - n}
                # the store's cursor is the key of the last item a page returned: read the taken ones again
                taken = _runs(c, assignment, start, format_timestamp(now), n, run_cursor) if n else None
                rest["runs"] = taken.next_cursor if taken else run_cursor
                return {"items": items, "nextCursor": _encode(rest)}
            entry["runs"].append(shown)
            used += size
        items.append(entry)
        position = {}
    return {"items": items, "nextCursor": _encode({"page": page.next_cursor}) if page.next_cursor else None}


def _runs(c: Collaborators, assignment: AssignmentItem, start: str, end: str, limit: int, cursor: str | None):
    return c.repository.list_runs(
        assignment.system_id,
        assignment.configuration_id,
        start=start,
        end=end,
        source=None,
        status=None,
        limit=limit,
        cursor=cursor,
    )


def _size(value: dict) -> int:
    return len(json.dumps(value, separators=(",", ":"), default=str))


def _encode(position: dict) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str | None) -> dict:
    if not cursor:
        return {}
    try:
        position = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        if not isinstance(position, dict) or not set(position) <= {"page", "at", "left", "runs"}:
            raise ValueError("not a feed cursor")
        if "at" in position and not (isinstance(position.get("left"), int) and 1 <= position["left"] <= 1000):
            raise ValueError("not a feed cursor")
    except (ValueError, TypeError) as error:
        raise BadRequestError(
            "cursor is not valid for this list", [{"field": "query.cursor", "message": "invalid cursor"}]
        ) from error
    return position
