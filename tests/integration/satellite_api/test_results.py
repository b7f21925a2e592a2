"""POST /satellite/results: per-result verdicts, idempotency by resultId, and nothing double counted."""

from dataclasses import replace
from datetime import timedelta
from unittest.mock import patch

import pytest

from shared.services import context
from tests.integration.api.stack import add_configuration, add_system, assign, store_items
from tests.integration.satellite_api.fleet import (
    add_satellite,
    check,
    health,
    hold_clock,
    post_results,
    result,
    runs,
)

STRICT = {"mode": "consecutive", "degradedAfter": 1, "unhealthyAfter": 2, "recoverAfter": 1}


@pytest.fixture
def shop(stack):
    clock = hold_clock()
    eu = add_satellite(stack, "eu-1", "Frankfurt", "eu-central-1")
    add_satellite(stack, "us-1", "Virginia", "us-east-1")
    add_system(stack, "shop")
    add_configuration(stack, "web")
    add_configuration(stack, "api")
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False, "stateThresholds": STRICT})
    assign(stack, "shop", "api", {"satelliteIds": ["us-1"], "includeLocal": False})
    return stack, clock, eu


def bucket_run_count(stack, query: dict | None = None) -> int:
    answer = stack.call(
        "GET",
        "/systems/shop/checks/web/history",
        query={"from": "2030-01-06T00:00:00Z", "to": "2030-01-07T00:00:00Z"} | (query or {}),
    )
    assert answer.status == 200, answer.body
    return sum(b["runCount"] for b in answer.body["buckets"])


def test_accepted_results_are_stored_as_runs_of_the_satellite(shop):
    # given
    stack, clock, eu = shop
    # when
    answer = post_results(
        stack,
        eu,
        [
            result("shop", "web", clock.now - timedelta(seconds=30), result_id="a"),
            result("shop", "web", clock.now, result_id="b", status="unhealthy"),
        ],
    )
    # then
    assert answer.status == 200, answer.body
    assert answer.body == {"accepted": ["a", "b"], "duplicates": [], "rejected": []}
    stored = runs(stack, "shop", "web")
    assert [(r["status"], r["sourceId"], r["sourceLabel"]) for r in stored] == [
        ("unhealthy", "eu-1", "Frankfurt (eu-central-1)"),
        ("healthy", "eu-1", "Frankfurt (eu-central-1)"),
    ]
    assert stored[0]["timestamp"] == "2030-01-06T12:00:00.000Z"


def test_result_for_a_check_of_another_satellite_is_forbidden_and_the_rest_lands(shop):
    # given
    stack, clock, eu = shop
    # when
    answer = post_results(
        stack,
        eu,
        [
            result("shop", "api", clock.now, result_id="theirs"),
            result("shop", "web", clock.now, result_id="mine"),
        ],
    )
    # then
    assert answer.body["accepted"] == ["mine"]
    assert [(r["resultId"], r["code"]) for r in answer.body["rejected"]] == [("theirs", "FORBIDDEN")]
    assert runs(stack, "shop", "api") == []
    assert len(runs(stack, "shop", "web")) == 1


def test_result_for_a_disabled_assignment_is_forbidden(shop):
    # given
    stack, clock, eu = shop
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False, "enabled": False})
    # when
    answer = post_results(stack, eu, [result("shop", "web", clock.now, result_id="late")])
    # then
    assert [(r["resultId"], r["code"]) for r in answer.body["rejected"]] == [("late", "FORBIDDEN")]


def test_unknown_system_configuration_or_assignment_is_not_found(shop):
    # given
    stack, clock, eu = shop
    add_configuration(stack, "dns")
    # when
    answer = post_results(
        stack,
        eu,
        [
            result("nowhere", "web", clock.now, result_id="no-system"),
            result("shop", "nothing", clock.now, result_id="no-configuration"),
            result("shop", "dns", clock.now, result_id="not-assigned"),
            result("shop", "web", clock.now, result_id="fine"),
        ],
    )
    # then
    assert answer.body["accepted"] == ["fine"]
    assert [(r["resultId"], r["code"]) for r in answer.body["rejected"]] == [
        ("no-system", "NOT_FOUND"),
        ("no-configuration", "NOT_FOUND"),
        ("not-assigned", "NOT_FOUND"),
    ]


def test_duplicates_in_one_batch_and_across_batches_are_never_double_counted(shop):
    # given
    stack, clock, eu = shop
    failing = result("shop", "web", clock.now, result_id="once", status="unhealthy")
    first = post_results(stack, eu, [failing, failing])
    state_before = health(stack, "shop")
    # when
    again = post_results(stack, eu, [failing, result("shop", "web", clock.now, result_id="new")])
    resent = post_results(stack, eu, [failing])
    # then
    assert (first.body["accepted"], first.body["duplicates"]) == (["once"], ["once"])
    assert (again.body["accepted"], again.body["duplicates"]) == (["new"], ["once"])
    assert (resent.body["accepted"], resent.body["duplicates"], resent.body["rejected"]) == ([], ["once"], [])
    assert [r["runId"] for r in runs(stack, "shop", "web", source="eu-1") if r["status"] == "unhealthy"] == [
        "sat:eu-1:once"
    ]
    assert bucket_run_count(stack) == 2
    assert bucket_run_count(stack, {"source": "eu-1"}) == 2
    assert check(state_before, "web")["status"] == "degraded"  # one failure with unhealthyAfter 2


def test_redelivered_failure_does_not_escalate_the_state(shop):
    # given: one failure makes the check degraded; a second one would make it unhealthy
    stack, clock, eu = shop
    failing = result("shop", "web", clock.now, result_id="f1", status="unhealthy")
    post_results(stack, eu, [failing])
    before = store_items()
    # when
    answer = post_results(stack, eu, [failing, failing])
    # then
    assert answer.body["duplicates"] == ["f1", "f1"]
    assert check(health(stack, "shop"), "web")["status"] == "degraded"
    changed = [i for i in store_items() if i not in before]
    assert all(i["pk"]["S"].startswith(("SATELLITE#", "RATE#")) for i in changed), changed


@pytest.mark.parametrize(
    ("offset", "verdict"),
    [
        (timedelta(minutes=4, seconds=59), "accepted"),
        (timedelta(minutes=5, seconds=1), "rejected"),
        (-timedelta(days=6, hours=23), "accepted"),
        (-timedelta(days=7, minutes=1), "rejected"),
    ],
)
def test_executed_at_must_lie_between_raw_retention_and_five_minutes_ahead(shop, offset, verdict):
    # given
    stack, clock, eu = shop
    # when
    answer = post_results(stack, eu, [result("shop", "web", clock.now + offset, result_id="t")])
    # then
    if verdict == "accepted":
        assert answer.body["accepted"] == ["t"]
    else:
        assert [(r["resultId"], r["code"]) for r in answer.body["rejected"]] == [("t", "VALIDATION_FAILED")]
        assert runs(stack, "shop", "web") == []


def test_more_than_500_results_is_payload_too_large_and_stores_nothing(shop):
    # given
    stack, clock, eu = shop
    before = [i for i in store_items() if not i["pk"]["S"].startswith("RATE#")]
    # when
    answer = post_results(stack, eu, [result("shop", "web", clock.now) for _ in range(501)])
    # then
    assert (answer.status, answer.error_code) == (413, "PAYLOAD_TOO_LARGE")
    assert [i for i in store_items() if not i["pk"]["S"].startswith("RATE#")] == before


@pytest.mark.parametrize("body", [{"results": []}, {}, {"results": "many"}, {"results": [], "extra": 1}])
def test_empty_or_misshapen_batch_is_a_validation_failure(shop, body):
    # given
    stack, _, eu = shop
    # when
    answer = stack.call("POST", "/satellite/results", body, key=eu.token)
    # then
    assert (answer.status, answer.error_code) == (422, "VALIDATION_FAILED")


def test_malformed_items_are_rejected_one_by_one_and_good_ones_land(shop):
    # given
    stack, clock, eu = shop
    good = result("shop", "web", clock.now, result_id="good")
    batch = [
        good,
        {k: v for k, v in result("shop", "web", clock.now, result_id="no-time").items() if k != "executedAt"},
        result("shop", "web", clock.now, result_id="bad-status", status="great"),
        result("shop", "web", clock.now, result_id="naive-time") | {"executedAt": "2030-01-06T12:00:00"},
        result("shop", "web", clock.now, result_id="extra", surprise=True),
        result("shop", "web", clock.now, result_id="negative", latencyMs=-1),
        result("shop", "web", clock.now, result_id="neither", status=None),
        42,
    ]
    # when
    answer = post_results(stack, eu, batch)
    # then
    assert answer.status == 200, answer.body
    assert answer.body["accepted"] == ["good"]
    rejected = sorted((r["resultId"], r["code"]) for r in answer.body["rejected"])
    assert rejected == sorted(
        [
            ("no-time", "VALIDATION_FAILED"),
            ("bad-status", "VALIDATION_FAILED"),
            ("naive-time", "VALIDATION_FAILED"),
            ("extra", "VALIDATION_FAILED"),
            ("negative", "VALIDATION_FAILED"),
            ("neither", "VALIDATION_FAILED"),
            ("", "VALIDATION_FAILED"),
        ]
    )
    assert all(r["message"] for r in answer.body["rejected"])
    assert [r["runId"] for r in runs(stack, "shop", "web")] == ["sat:eu-1:good"]


@pytest.mark.parametrize(("status_code", "expected"), [(500, "unhealthy"), (200, "healthy")])
def test_raw_result_without_status_is_judged_by_the_configuration_assertions(stack, status_code, expected):
    # given
    clock = hold_clock()
    eu = add_satellite(stack, "eu-1")
    add_system(stack, "shop")
    any_status = {"url": "https://example.com/", "expectedStatusCodes": ["200-599"]}
    add_configuration(
        stack,
        "web",
        config=any_status,
        assertions=[{"source": "result.statusCode", "operator": "eq", "value": 200}],
    )
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False})
    raw = {"statusCode": status_code, "latencyMs": 80.0}
    raw_result = result("shop", "web", clock.now, result_id="raw", status=None, result=raw)
    # when
    answer = post_results(stack, eu, [raw_result])
    # then
    assert answer.body["accepted"] == ["raw"], answer.body
    [run] = runs(stack, "shop", "web")
    assert run["status"] == expected
    assert run["result"]["statusCode"] == status_code
    assert run["assertions"] == [
        {
            "source": "result.statusCode",
            "operator": "eq",
            "value": 200,
            "actual": status_code,
            "passed": status_code == 200,
        }
    ]
    assert (run["error"] is None) == (expected == "healthy")


def test_result_recorded_by_a_concurrent_delivery_turns_into_a_duplicate(shop):
    # given: "a" lands, and the next request's pre-check misses it (as if both raced)
    stack, clock, eu = shop
    post_results(stack, eu, [result("shop", "web", clock.now - timedelta(seconds=1), result_id="a")])
    repository = context.default_collaborators().repository
    real = repository.check_reads

    def check_reads(pairs, **parts):
        return replace(real(pairs, **parts), known_run_ids=set())

    late_copy = result("shop", "web", clock.now - timedelta(seconds=1), result_id="a")
    # when
    with patch.object(repository, "check_reads", side_effect=check_reads):
        answer = post_results(stack, eu, [late_copy, result("shop", "web", clock.now, result_id="b")])
    # then
    assert answer.status == 200, answer.body
    assert (answer.body["accepted"], answer.body["duplicates"]) == (["b"], ["a"])
    assert sorted(r["runId"] for r in runs(stack, "shop", "web")) == ["sat:eu-1:a", "sat:eu-1:b"]
    assert bucket_run_count(stack) == 2
    assert len(stack.published.of_type("Health Check Run Completed")) == 2
