"""GET /analysis/runs: active assignments only, and pages bounded in size that resume mid-assignment."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.history_items import RunItem
from shared.domain.wire import format_timestamp
from shared.services import analysis_feed, context
from tests.integration.api.stack import add_configuration, add_system, assign, new_key


@pytest.fixture
def feed(stack):
    add_system(stack, "shop")
    for configuration_id in ("web", "api", "dns"):
        add_configuration(stack, configuration_id)
        assign(stack, "shop", configuration_id)
    return stack, new_key(stack, "service")


def put_runs(configuration_id: str, count: int, result_bytes: int = 10) -> list[str]:
    now = datetime.now(UTC)
    runs = [
        {
            "runId": f"{configuration_id}-{n}",
            "systemId": "shop",
            "configurationId": configuration_id,
            "sourceId": "local",
            "status": "healthy",
            "latencyMs": 10,
            "result": {"body": "x" * result_bytes},
            "timestamp": format_timestamp(now - timedelta(minutes=n + 1)),
        }
        for n in range(count)
    ]
    context.default_collaborators().repository.put_runs([RunItem.model_validate(r) for r in runs])
    return [r["timestamp"] for r in runs]


def read_all(stack, key: str, limit: int = 200) -> tuple[list[dict], int]:
    items, cursor, pages = [], None, 0
    while True:
        query = {"limitPerAssignment": str(limit)} | ({"cursor": cursor} if cursor else {})
        answer = stack.call("GET", "/analysis/runs", key=key, query=query)
        assert answer.status == 200, answer.body
        pages += 1
        items += answer.body["items"]
        cursor = answer.body["nextCursor"]
        if not cursor:
            return items, pages


def test_disabled_assignments_and_paused_configurations_are_left_out(feed):
    # given
    stack, key = feed
    put_runs("web", 2)
    assign(stack, "shop", "api", {"enabled": False})
    stack.call("POST", "/configurations/dns/pause")
    # when
    items, _ = read_all(stack, key)
    # then
    assert [i["configurationId"] for i in items] == ["web"]
    assert len(items[0]["runs"]) == 2


def test_a_page_never_exceeds_its_size_bound_and_resumes_mid_assignment(feed, monkeypatch):
    # given: runs of ~2 KB each and a page bound of 20 KB
    stack, key = feed
    monkeypatch.setattr(analysis_feed, "PAGE_BUDGET_BYTES", 20_000)
    expected = {c: put_runs(c, 25, result_bytes=2_000) for c in ("web", "api")}
    # when
    items, pages = read_all(stack, key, limit=20)
    # then: every page within the bound, each assignment's 20 newest runs exactly once, in order
    assert pages > 2
    seen: dict[str, list[str]] = {}
    for item in items:
        assert len(json.dumps(item)) <= 20_000
        seen.setdefault(item["configurationId"], []).extend(r["timestamp"] for r in item["runs"])
    assert seen["web"] == expected["web"][:20]
    assert seen["api"] == expected["api"][:20]
    assert seen.get("dns", []) == []


def test_a_forged_cursor_is_a_bad_request(feed):
    # given
    stack, key = feed
    # when
    answer = stack.call("GET", "/analysis/runs", key=key, query={"cursor": "eyJhdCI6ICJ4In0"})
    # then
    assert answer.status == 400
