"""A check unassigned and assigned again, or a system deleted and created again, shows none of its
predecessor's runs or chart, even before the retention pass purged them."""

from datetime import UTC, datetime, timedelta

from shared.domain.history_items import RunItem
from shared.domain.wire import format_timestamp
from shared.services import context
from tests.integration.api.stack import add_configuration, add_system, assign


def put_old_runs(count: int) -> None:
    now = datetime.now(UTC)
    context.default_collaborators().repository.put_runs(
        [
            RunItem.model_validate(
                {
                    "runId": f"old-{n}",
                    "systemId": "shop",
                    "configurationId": "web",
                    "sourceId": "local",
                    "sourceLabel": "Local",
                    "status": "healthy",
                    "result": {},
                    "assertions": [],
                    "error": None,
                    "latencyMs": 10,
                    "timestamp": format_timestamp(now - timedelta(minutes=n + 5)),
                }
            )
            for n in range(count)
        ]
    )


def test_a_reassigned_check_lists_none_of_its_old_runs(stack):
    # given
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web")
    put_old_runs(3)
    assert len(stack.call("GET", "/systems/shop/checks/web/runs").body["items"]) == 3
    # when
    stack.call("DELETE", "/systems/shop/checks/web")
    assign(stack, "shop", "web")
    # then
    assert stack.call("GET", "/systems/shop/checks/web/runs").body["items"] == []
    chart = stack.call("GET", "/systems/shop/checks/web/history", query={"points": "24"}).body
    assert sum(b["runCount"] for b in chart["buckets"]) == 0


def test_a_recreated_system_shows_none_of_its_predecessors_chart(stack):
    # given
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web")
    put_old_runs(3)
    # when
    stack.call("DELETE", "/systems/shop")
    add_system(stack, "shop")
    assign(stack, "shop", "web")
    # then
    chart = stack.call("GET", "/systems/shop/checks/web/history", query={"points": "24"}).body
    assert sum(b["runCount"] for b in chart["buckets"]) == 0
