"""The SLA report and availability through the real handler on moto: JSON, CSV, and bad months."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.wire import format_timestamp
from shared.services.context import default_collaborators
from shared.services.recording import RunInput, record_run
from tests.integration.api.stack import add_configuration, add_system, assign


@pytest.fixture
def shop(stack):
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web")
    return stack


def record(status: str, at: datetime) -> None:
    record_run(
        default_collaborators(),
        RunInput(
            run_id=f"r-{at.timestamp():.0f}",
            system_id="shop",
            configuration_id="web",
            source_id="local",
            source_label="Local",
            status=status,
            latency_ms=40.0,
            timestamp=format_timestamp(at),
        ),
    )


def test_the_sla_report_counts_an_outage_in_json_and_csv(shop):
    # given: an outage of two minutes in the last ten (default thresholds: unhealthy after three)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    for minute, status in enumerate(
        ["healthy", "unhealthy", "unhealthy", "unhealthy", "unhealthy", "healthy"]
    ):
        record(status, start + timedelta(minutes=minute))
    query = {"from": format_timestamp(start), "to": format_timestamp(start + timedelta(minutes=6))}
    # when
    answer = shop.call("GET", "/systems/shop/sla", query=query)
    as_csv = shop.call("GET", "/systems/shop/sla", query=query, headers={"accept": "text/csv"})
    availability = shop.call("GET", "/systems/shop/availability", query=query)
    # then
    assert answer.status == 200, answer.body
    [web] = answer.body["checks"]
    assert web["configurationId"] == "web"
    assert web["incidents"] == 1
    assert web["downtimeMinutes"] == 2
    assert web["longestOutageMinutes"] == 2
    assert web["availability"] == pytest.approx(4 / 6)
    assert answer.body["system"]["configurationId"] is None
    assert as_csv.status == 200
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    assert as_csv.body.splitlines()[2].startswith("web,Web,")
    assert availability.body["downtimeSeconds"] == 120


@pytest.mark.parametrize(
    "query",
    [{"month": "2026-13"}, {"month": "Nov 2026"}, {"month": "2026-11", "from": "2026-11-02T00:00:00Z"}],
)
def test_a_bad_month_is_refused_naming_the_field(shop, query):
    # when
    answer = shop.call("GET", "/systems/shop/sla", query=query)
    # then
    assert answer.status == 422, answer.body
    assert answer.body["error"]["details"][0]["field"] == "query.month"


def test_the_sla_report_of_an_unknown_system_is_not_found(shop):
    answer = shop.call("GET", "/systems/ghost/sla", query={"month": "2026-11"})
    assert answer.status == 404
    assert answer.error_code == "NOT_FOUND"
