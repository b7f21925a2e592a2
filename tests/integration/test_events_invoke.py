"""Every file in events/ invoked as `make invoke` does: the handler answers, errors in API.md's shape."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from local.http_gateway import RouteTable
from local.invoke import invocation_session, invoke
from local.template import Template

REPO_ROOT = Path(__file__).resolve().parents[2]
EVENT_FILES = sorted((REPO_ROOT / "events").glob("*.json"))

NON_HTTP_EVENT_TARGETS = {
    "scheduler-tick.json": "SchedulerFunction",
    "scheduler-shard-sqs.json": "SchedulerShardFunction",
    "satellite-sweep-scheduled.json": "SatelliteSweepFunction",
    "executor-sqs-batch.json": "ExecutorFunction",
    "retention-daily.json": "RetentionFunction",
    "retention-continuation-sqs.json": "RetentionFunction",
    "notifier-sqs-transition.json": "NotifierFunction",
}
# Each invocation starts from an emulation holding only events/seed/, so these answers are deterministic.
EXPECTED_ANSWERS = {
    "api-get-seeded-system.json": (200, None),
    "api-get-seeded-health.json": (200, None),
    "api-run-seeded-check.json": (202, None),
    "api-create-system.json": (201, None),
    "api-list-systems.json": (200, None),
    "api-health-batch.json": (200, None),
    "api-get-system.json": (404, "NOT_FOUND"),
    "api-create-system-bad-body.json": (400, "BAD_REQUEST"),
    "api-create-system-missing-key.json": (401, "UNAUTHENTICATED"),
    "api-unknown-route.json": (404, "NOT_FOUND"),
    "status-page-get.json": (404, "NOT_FOUND"),
    "ping-success.json": (404, "NOT_FOUND"),
    # The seeded satellite's token replaces the one in the event file.
    "satellite-assignments.json": (200, None),
    "satellite-results.json": (200, None),
}


def _load(event_file: Path) -> dict:
    return json.loads(event_file.read_text("utf-8"))


def _target_function(event_file: Path, event: dict) -> str:
    if event_file.name in NON_HTTP_EVENT_TARGETS:
        return NON_HTTP_EVENT_TARGETS[event_file.name]
    route, _ = RouteTable(Template.load().http_routes).match(
        event["requestContext"]["http"]["method"], event["rawPath"]
    )
    assert event["routeKey"] == route.route_key, f"{event_file.name} does not match the template's route"
    return route.function


def _assert_error_shape(body: dict) -> None:
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str)
    assert isinstance(body["error"]["message"], str)
    assert isinstance(body["error"].get("details", []), list)


def test_every_expected_event_file_exists():
    names = {event_file.name for event_file in EVENT_FILES}
    assert set(EXPECTED_ANSWERS) | set(NON_HTTP_EVENT_TARGETS) <= names
    assert {"satellite-results.json", "satellite-assignments.json", "api-put-assignment.json"} <= names


@pytest.mark.parametrize("event_file", EVENT_FILES, ids=lambda path: path.stem)
def test_event_is_answered_by_the_function_the_template_routes_it_to(event_file):
    # given an event file and the function the template gives it
    event = _load(event_file)
    function_name = _target_function(event_file, event)
    # when it is invoked against a fresh emulation
    result = invoke(function_name, event)
    # then the function answers in its contract
    if "routeKey" not in event:
        if function_name in ("ExecutorFunction", "NotifierFunction"):
            message_ids = {record["messageId"] for record in event["Records"]}
            assert {failure["itemIdentifier"] for failure in result["batchItemFailures"]} <= message_ids
        return
    assert isinstance(result["statusCode"], int)
    assert result["statusCode"] < 500, result
    body = json.loads(result["body"]) if result.get("body") else None
    if result["statusCode"] >= 400:
        _assert_error_shape(body)
    expected_status, expected_code = EXPECTED_ANSWERS.get(event_file.name, (None, None))
    if expected_status is not None:
        assert result["statusCode"] == expected_status, body
    if expected_code is not None:
        assert body["error"]["code"] == expected_code


def test_invoke_command_prints_only_the_result_on_stdout():
    # given the command `make invoke` runs
    command = [sys.executable, "-m", "local.invoke", "ApiReadsFunction", "events/api-unknown-route.json"]
    # when it runs
    completed = subprocess.run(
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**_subprocess_environment(), "PYTHONPATH": "src:."},
        check=False,
    )
    # then stdout is the handler's JSON answer alone
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["statusCode"] == 404
    assert json.loads(result["body"])["error"]["code"] == "NOT_FOUND"


def _subprocess_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != "HC_ADMIN_API_KEY"}


def _with_body(event: dict, body: dict) -> dict:
    return {**event, "body": json.dumps(body), "isBase64Encoded": False}


def _with_bearer(event: dict, token: str) -> dict:
    return {**event, "headers": {**event["headers"], "authorization": f"Bearer {token}"}}


def _executed_recently(event: dict) -> dict:
    """The event file's results, re-dated to the last minutes: a fixed date ages past the raw retention."""
    body = json.loads(event["body"])
    now = datetime.now(UTC)
    for age, result in enumerate(reversed(body["results"]), start=1):
        result["executedAt"] = (now - timedelta(minutes=age)).isoformat().replace("+00:00", "Z")
    return _with_body(event, body)


def test_satellite_results_event_lands_once_the_satellite_is_assigned():
    events = {event_file.stem: _load(event_file) for event_file in EVENT_FILES}
    with invocation_session() as invoke_in_session:
        # given the system, the configuration and a satellite assigned to the check, made through the API
        assert invoke_in_session("ApiMutationsFunction", events["api-create-system"])["statusCode"] == 201
        assert (
            invoke_in_session("ApiMutationsFunction", events["api-create-configuration"])["statusCode"] == 201
        )
        create_satellite = _with_body(
            {
                **events["api-create-system"],
                "routeKey": "POST /satellites",
                "rawPath": "/satellites",
                "requestContext": {
                    **events["api-create-system"]["requestContext"],
                    "routeKey": "POST /satellites",
                    "http": {**events["api-create-system"]["requestContext"]["http"], "path": "/satellites"},
                },
            },
            {"id": "eu-west-probe", "name": "EU West probe", "region": "eu-west-1"},
        )
        created = invoke_in_session("ApiMutationsFunction", create_satellite)
        assert created["statusCode"] == 201, created
        token = json.loads(created["body"])["token"]
        assignment = json.loads(events["api-put-assignment"]["body"]) | {"satelliteIds": ["eu-west-probe"]}
        put_assignment = _with_body(events["api-put-assignment"], assignment)
        assert invoke_in_session("ApiMutationsFunction", put_assignment)["statusCode"] in (200, 201)
        # when the satellite posts the event file's results (executed just now) with its real token
        results_event = _with_bearer(_executed_recently(events["satellite-results"]), token)
        answer = invoke_in_session("SatelliteIngestFunction", results_event)
        repeated = invoke_in_session("SatelliteIngestFunction", results_event)
    # then both results are accepted once and reported as duplicates the second time
    result_ids = [result["resultId"] for result in json.loads(events["satellite-results"]["body"])["results"]]
    assert answer["statusCode"] == 200, answer
    assert sorted(json.loads(answer["body"])["accepted"]) == sorted(result_ids)
    assert sorted(json.loads(repeated["body"])["duplicates"]) == sorted(result_ids)
