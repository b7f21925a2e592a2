"""`make run` in-process: the gateway, the queue poller and the event log, against the real handlers."""

import json
import os
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from local.run import start_local_stack
from local.settings import LocalRuntimeSettings

ADMIN_KEY = "runtime-test-admin-key"
WAIT_SECONDS = 15


@pytest.fixture(scope="module")
def printed_events() -> list[str]:
    return []


@pytest.fixture(scope="module")
def stack(printed_events, tmp_path_factory):
    settings = LocalRuntimeSettings(
        HC_PORT=0, HC_ADMIN_API_KEY=ADMIN_KEY, HC_DATA_DIR=str(tmp_path_factory.mktemp("data"))
    )
    # A long tick: the schedules fire once at start and then stay out of the way.
    running = start_local_stack(tick_seconds=3600, settings=settings, event_printer=printed_events.append)
    yield running
    running.stop()


def _request(stack, method: str, path: str, body: dict | None = None, key: str | None = ADMIN_KEY):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(
        stack.base_url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _watch_invocations(monkeypatch, stack, function_name: str, answer) -> tuple[list[dict], threading.Event]:
    """Replace one function's invocations by `answer(event)`, recording each event."""
    received: list[dict] = []
    arrived = threading.Event()
    real_invoke = stack.sandboxes.invoke

    def invoke(function, event, **options):
        if function.logical_id != function_name:
            return real_invoke(function, event, **options)
        received.append(event)
        arrived.set()
        return answer(event)

    monkeypatch.setattr(stack.sandboxes, "invoke", invoke)
    return received, arrived


def _messages_left(stack) -> int:
    attributes = stack.emulation.client("sqs").get_queue_attributes(
        QueueUrl=stack.emulation.queue_url("ChecksQueue"),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(count) for count in attributes.values())


def test_the_stack_serves_on_loopback_with_the_admin_key(stack):
    assert stack.base_url.startswith("http://127.0.0.1:")
    assert stack.admin_key == ADMIN_KEY
    assert stack.emulation.endpoint_url.startswith("http://127.0.0.1:")


def test_openapi_document_is_served(stack):
    # when the OpenAPI document is requested without a key
    status, payload = _request(stack, "GET", "/openapi.json", key=None)
    # then it is API.md's OpenAPI 3.1 document
    assert status == 200
    document = json.loads(payload)
    assert document["openapi"].startswith("3.1")
    assert "/systems/{systemId}" in document["paths"]


def test_an_unknown_route_answers_404_in_the_error_shape(stack):
    status, payload = _request(stack, "GET", "/no/such/route")
    assert status == 404
    assert json.loads(payload)["error"]["code"] == "NOT_FOUND"


def test_trace_gets_the_apis_405_not_an_html_501(stack):
    # when a method no route has is sent through the gateway
    status, payload = _request(stack, "TRACE", "/systems")
    # then the functions answer it in the error shape
    assert status == 405
    assert json.loads(payload)["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_the_root_path_is_answered_by_the_gateway_itself(stack):
    status, payload = _request(stack, "GET", "/")
    assert status == 404
    assert json.loads(payload) == {"message": "Not Found"}


def test_a_created_system_can_be_read_back(stack):
    # given a system created with the admin key
    status, payload = _request(stack, "POST", "/systems", {"id": "runtime-test", "name": "Runtime test"})
    assert status == 201, payload
    # when it is read back
    status, payload = _request(stack, "GET", "/systems/runtime-test")
    # then it is the same system
    assert status == 200, payload
    system = json.loads(payload)
    assert system["id"] == "runtime-test"
    assert system["name"] == "Runtime test"


def test_a_queued_check_reaches_the_executor_and_leaves_the_queue(stack, monkeypatch):
    # given the executor succeeds
    received, arrived = _watch_invocations(
        monkeypatch, stack, "ExecutorFunction", lambda event: {"batchItemFailures": []}
    )
    body = {"systemId": "runtime-test", "configurationId": "http-1", "requestedAt": "2026-11-26T09:15:00Z"}
    # when a check is queued
    stack.emulation.client("sqs").send_message(
        QueueUrl=stack.emulation.queue_url("ChecksQueue"), MessageBody=json.dumps(body)
    )
    # then the executor gets it as an SQS event, and the message is deleted
    assert arrived.wait(WAIT_SECONDS)
    (record,) = received[0]["Records"]
    assert json.loads(record["body"]) == body
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == stack.emulation.queue_arn("ChecksQueue")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert _wait_until(lambda: _messages_left(stack) == 0)


def test_a_reported_failure_stays_on_the_queue_for_redelivery(stack, monkeypatch):
    # given the executor reports every record as failed
    received, arrived = _watch_invocations(
        monkeypatch,
        stack,
        "ExecutorFunction",
        lambda event: {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]},
    )
    # when a check is queued
    stack.emulation.client("sqs").send_message(
        QueueUrl=stack.emulation.queue_url("ChecksQueue"), MessageBody=json.dumps({"systemId": "x"})
    )
    # then it is delivered once and stays in flight until its visibility timeout
    assert arrived.wait(WAIT_SECONDS)
    assert len(received) == 1
    assert _messages_left(stack) == 1
    _purge_checks_queue(stack)


def test_published_events_are_printed_one_per_line(stack, printed_events):
    # when an event is published on the template's bus
    stack.emulation.client("events").put_events(
        Entries=[
            {
                "Source": "healthcheck",
                "DetailType": "System Health Changed",
                "Detail": json.dumps({"systemId": "runtime-test", "newStatus": "unhealthy"}),
                "EventBusName": stack.emulation.references.refs["HealthcheckEventBus"],
            }
        ]
    )
    # then the event log prints it with its detail-type and detail
    assert _wait_until(lambda: any("System Health Changed" in line for line in printed_events))
    (line,) = [line for line in printed_events if "System Health Changed" in line]
    assert '"newStatus": "unhealthy"' in line


def test_stopping_leaves_the_environment_alone_and_ends_every_process():
    # given a second stack, without a data directory, started and stopped
    before = dict(os.environ)
    settings = LocalRuntimeSettings(HC_PORT=0, HC_ADMIN_API_KEY=ADMIN_KEY, HC_DATA_DIR=None)
    running = start_local_stack(tick_seconds=3600, settings=settings, event_printer=lambda line: None)
    processes = [*running.emulation.pids, *running.sandboxes.pids(), *running.status_cache.pids]
    assert len(processes) > len(running.emulation.template.functions)
    # when it stops
    running.stop()
    # then the functions' variables never reached this process, and nothing of the stack remains
    assert dict(os.environ) == before
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(running.base_url + "/openapi.json", timeout=2)
    assert not [pid for pid in processes if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def _purge_checks_queue(stack) -> None:
    stack.emulation.client("sqs").purge_queue(QueueUrl=stack.emulation.queue_url("ChecksQueue"))


def _wait_until(condition, timeout: float = WAIT_SECONDS) -> bool:
    """Poll a background loop's visible effect; the loops run on their own threads."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()
