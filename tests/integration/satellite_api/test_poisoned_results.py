"""One bad result is rejected with its reason; the rest of its batch lands. A satellite's own
probe error is stored with the run."""

import json
from datetime import timedelta

import pytest

from tests.integration.api.stack import add_configuration, add_system, assign
from tests.integration.satellite_api.fleet import add_satellite, hold_clock, post_results, result, runs


@pytest.fixture
def shop(stack):
    clock = hold_clock()
    eu = add_satellite(stack, "eu-1")
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False})
    return stack, clock, eu


def nested(depth: int) -> dict:
    document: dict = {"leaf": 1}
    for _ in range(depth):
        document = {"next": document}
    return document


POISONS = {
    "NaN in the result": {"result": {"statusCode": 200, "latencyMs": float("nan")}},
    "39 digits in the result": {"result": {"statusCode": 123456789012345678901234567890123456789}},
    "out of range in the result": {"result": {"statusCode": 200, "size": 1e200}},
    "Infinity latency": {"latencyMs": float("inf")},
    "result nested 40 deep": {"result": nested(40)},
    "malformed error": {"status": "unhealthy", "error": {"code": 42}},
}


def test_one_poisoned_result_in_a_batch_of_500_leaves_499_landed(shop):
    # given
    stack, clock, eu = shop
    batch = [result("shop", "web", clock.now - timedelta(seconds=500 - i)) for i in range(500)]
    batch[250] |= {"result": {"statusCode": 200, "latencyMs": float("nan")}, "resultId": "poisoned"}
    # when
    answer = post_results(stack, eu, batch)
    # then
    assert answer.status == 200, answer.body
    assert len(answer.body["accepted"]) == 499
    assert [r["resultId"] for r in answer.body["rejected"]] == ["poisoned"]
    assert answer.body["rejected"][0]["code"] == "VALIDATION_FAILED"
    assert len(runs(stack, "shop", "web", limit="500")) == 499


@pytest.mark.parametrize("kind", sorted(POISONS))
def test_each_kind_of_poison_is_rejected_with_its_reason(shop, kind):
    # given
    stack, clock, eu = shop
    good = result("shop", "web", clock.now - timedelta(seconds=10), result_id="good")
    bad = result("shop", "web", clock.now - timedelta(seconds=5), result_id="bad") | POISONS[kind]
    # when
    answer = post_results(stack, eu, [good, bad])
    # then
    assert answer.status == 200, answer.body
    assert answer.body["accepted"] == ["good"]
    assert [(r["resultId"], r["code"]) for r in answer.body["rejected"]] == [("bad", "VALIDATION_FAILED")]
    assert answer.body["rejected"][0]["message"]
    assert [r["runId"].endswith(":good") or r["status"] for r in runs(stack, "shop", "web")] == [True]


def test_a_satellite_probe_error_is_stored_with_the_run(shop):
    # given: the satellite's SSRF guard refused the target
    stack, clock, eu = shop
    refused = {"code": "TARGET_FORBIDDEN", "message": "10.0.0.8 is a private address"}
    sent = result(
        "shop", "web", clock.now - timedelta(seconds=5), status="unhealthy", result={}, error=refused
    )
    # when
    answer = post_results(stack, eu, [sent])
    # then
    assert answer.body["accepted"] == [sent["resultId"]], json.dumps(answer.body)
    [run] = runs(stack, "shop", "web")
    assert (run["status"], run["error"]) == ("unhealthy", refused)
