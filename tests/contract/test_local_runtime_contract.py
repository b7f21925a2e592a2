"""The local runtime speaks the same contracts as API Gateway, the SQS event source mapping and Scheduler."""

import base64
import gzip
import json

import pytest

from local.event_sources import (
    Housekeeping,
    messages_to_delete,
    next_beat,
    schedule_period_seconds,
    scheduler_event,
    sqs_event,
)
from local.http_gateway import RouteTable, http_api_event, http_response
from local.template import HttpRoute, ResourceReferences, Schedule, Template, TemplateError


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.load()


@pytest.fixture(scope="module")
def routes(template) -> RouteTable:
    return RouteTable(template.http_routes)


def _event(method="GET", path="/systems", query="", headers=(), body=b"") -> dict:
    route = HttpRoute(method, path, "ApiReadsFunction")
    return http_api_event(
        route=route,
        path_parameters={},
        method=method,
        raw_path=path,
        raw_query_string=query,
        headers=list(headers),
        body=body,
        source_ip="127.0.0.1",
    )


def test_a_literal_route_wins_over_the_catch_all(routes):
    # when a request names an exact route
    route, parameters = routes.match("GET", "/openapi.json")
    # then it goes there, not to {proxy+}
    assert route.route_key == "GET /openapi.json"
    assert parameters == {}


def test_path_parameters_are_named_as_in_the_template_and_decoded(routes):
    # when a request carries path parameters
    route, parameters = routes.match("GET", "/systems/pay%20ments/checks/http-1/history")
    # then they arrive under the template's names
    assert route.route_key == "GET /systems/{systemId}/checks/{configurationId}/history"
    assert parameters == {"systemId": "pay ments", "configurationId": "http-1"}


def test_a_method_without_a_route_falls_to_the_catch_all(routes):
    # when a path exists for other methods only
    route, parameters = routes.match("PUT", "/systems")
    # then the catch-all takes it, as API Gateway does
    assert route.route_key == "ANY /{proxy+}"
    assert parameters == {"proxy": "systems"}


def test_the_root_path_matches_no_route(routes):
    # {proxy+} needs at least one character, so API Gateway answers / itself
    assert routes.match("GET", "/") is None


def test_the_event_is_payload_format_2(template):
    # given a request with repeated query values, cookies and mixed-case headers
    event = _event(
        query="limit=5&tag=a&tag=b",
        headers=[("Host", "127.0.0.1:3000"), ("X-Trace", "1"), ("X-Trace", "2"), ("Cookie", "a=1; b=2")],
    )
    # then it has API Gateway's shape
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /systems"
    assert event["rawQueryString"] == "limit=5&tag=a&tag=b"
    assert event["queryStringParameters"] == {"limit": "5", "tag": "a,b"}
    assert event["headers"] == {"host": "127.0.0.1:3000", "x-trace": "1,2"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["requestContext"]["stage"] == "$default"
    assert event["requestContext"]["http"]["method"] == "GET"
    assert isinstance(event["requestContext"]["timeEpoch"], int)
    assert "body" not in event
    assert "pathParameters" not in event


def test_json_bodies_arrive_as_text_and_gzip_bodies_as_base64():
    # given a JSON body and a gzip-encoded one
    text_event = _event("POST", headers=[("Content-Type", "application/json")], body=b'{"name": "x"}')
    compressed = gzip.compress(b'{"name": "x"}')
    gzip_event = _event(
        "POST",
        headers=[("Content-Type", "application/json"), ("Content-Encoding", "gzip")],
        body=compressed,
    )
    # then each is passed as API Gateway passes it
    assert text_event["body"] == '{"name": "x"}'
    assert text_event["isBase64Encoded"] is False
    assert gzip_event["isBase64Encoded"] is True
    assert base64.b64decode(gzip_event["body"]) == compressed


def test_an_answer_without_status_code_is_a_200_json_body():
    # when a function returns a plain dict
    status, headers, payload = http_response({"ok": True})
    # then API Gateway serves it as JSON
    assert status == 200
    assert ("Content-Type", "application/json") in headers
    assert json.loads(payload) == {"ok": True}


def test_a_base64_answer_is_decoded_and_cookies_become_set_cookie():
    # when a function returns a compressed body and cookies
    compressed = gzip.compress(b"{}")
    status, headers, payload = http_response(
        {
            "statusCode": 201,
            "headers": {"Content-Encoding": "gzip"},
            "cookies": ["session=1"],
            "body": base64.b64encode(compressed).decode(),
            "isBase64Encoded": True,
        }
    )
    # then the bytes are served as they are
    assert status == 201
    assert payload == compressed
    assert ("Set-Cookie", "session=1") in headers


def _message(message_id: str) -> dict:
    return {"MessageId": message_id, "ReceiptHandle": f"rh-{message_id}", "Body": "{}", "MD5OfBody": "x"}


def test_reported_failures_stay_on_the_queue_and_the_rest_is_deleted():
    # given a batch where one record failed
    messages = [_message("a"), _message("b"), _message("c")]
    result = {"batchItemFailures": [{"itemIdentifier": "b"}]}
    # when the mapping applies the answer
    deleted = messages_to_delete(messages, result, reports_batch_item_failures=True)
    # then all but the failed one go
    assert [message["MessageId"] for message in deleted] == ["a", "c"]


def test_an_unknown_failure_identifier_fails_the_whole_batch():
    messages = [_message("a"), _message("b")]
    deleted = messages_to_delete(messages, {"batchItemFailures": [{"itemIdentifier": "zzz"}]}, True)
    assert deleted == []


def test_failures_are_ignored_when_the_mapping_does_not_report_them():
    messages = [_message("a")]
    deleted = messages_to_delete(messages, {"batchItemFailures": [{"itemIdentifier": "a"}]}, False)
    assert deleted == messages


def test_sqs_event_records_carry_what_lambda_sends():
    # given a received message with an attribute
    message = {
        **_message("a"),
        "Body": '{"systemId": "s"}',
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1"},
        "MessageAttributes": {"trace": {"DataType": "String", "StringValue": "t"}},
    }
    # when it becomes an event
    (record,) = sqs_event([message], "arn:aws:sqs:us-east-1:123456789012:q", "us-east-1")["Records"]
    # then it has the event source mapping's record shape
    assert record["messageId"] == "a"
    assert record["receiptHandle"] == "rh-a"
    assert record["body"] == '{"systemId": "s"}'
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:q"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["trace"]["stringValue"] == "t"


def test_every_minute_schedules_follow_the_tick_and_cron_runs_daily():
    assert schedule_period_seconds("rate(1 minute)", tick_seconds=5) == 5
    assert schedule_period_seconds("rate(2 hours)", tick_seconds=5) == 7200
    assert schedule_period_seconds("cron(15 3 * * ? *)", tick_seconds=5) == 86_400


def test_periodic_jobs_keep_their_beat_and_skip_what_a_stall_missed():
    assert next_beat(due_at=60.0, period=60.0, now=60.4) == 120.0  # a late wake-up does not drift
    assert next_beat(due_at=60.0, period=60.0, now=200.0) == 260.0  # no burst of missed beats


def test_housekeeping_runs_between_the_scheduler_ticks(monkeypatch):
    import local.event_sources as event_sources

    monkeypatch.setattr(event_sources.time, "monotonic", lambda: 1000.0)
    chores = Housekeeping(None, None, save_interval_seconds=30, save=None, phase_seconds=30)
    tick = 60
    # ticks fire at 1000 + k * 60: the sweep lands half a tick after one, the saves a quarter off
    assert (chores.next_sweep - 1000) % tick == 30
    assert {(chores.next_save + k * 30 - 1000) % tick for k in range(2)} == {15, 45}


def test_only_the_functions_schedules_alone_invoke_end_after_each_invocation(template):
    # Retention also drains its continuation queue, and routes and queues keep their sandboxes warm.
    assert template.only_scheduled == {"SchedulerFunction", "SatelliteSweepFunction"}


def test_scheduler_events_look_like_eventbridge_scheduler():
    event = scheduler_event(Schedule("SchedulerFunction", "EveryMinute", "rate(1 minute)"), "us-east-1")
    assert event["source"] == "aws.scheduler"
    assert event["detail-type"] == "Scheduled Event"
    assert event["time"].endswith("Z")


def test_environment_resolves_refs_conditions_and_parameter_overrides():
    # given the template with parameters overridden as `sam deploy` would
    template = Template.load(parameter_overrides={"PublicStatus": "true", "Stage": "qa"})
    references = ResourceReferences(
        refs={
            "HealthcheckTable": "main",
            "CacheTable": "cache",
            "ChecksQueue": "http://queue",
            "SchedulerQueue": "http://scheduler-queue",
            "RetentionContinuationQueue": "http://retention-queue",
            "HealthcheckEventBus": "bus",
            "SecretsKey": "key-id",
            "NotificationsQueue": "http://notifications",
            "AlertScheduleGroup": "alerts",
        },
        attributes={("NotificationsQueue", "Arn"): "arn:n", ("AlertSchedulerRole", "Arn"): "arn:r"},
    )
    # when a function's environment is resolved
    environment = template.function_environment(template.function("api_reads"), references)
    # then references, conditions and parameters all have their values
    assert environment["TABLE_NAME"] == "main"
    assert environment["CACHE_TABLE_NAME"] == "cache"
    assert environment["CACHE_BACKEND"] == "dynamodb"
    assert environment["HC_PUBLIC_STATUS"] == "true"
    assert environment["POWERTOOLS_METRICS_NAMESPACE"] == "Healthcheck/qa"
    assert environment["REDIS_URL"] == ""


def test_an_unknown_parameter_override_is_refused():
    with pytest.raises(TemplateError):
        _ = Template.load(parameter_overrides={"NoSuchParameter": "x"}).parameters


def test_a_function_can_be_named_by_logical_id_or_by_package(template):
    assert template.function("api_reads") is template.function("ApiReadsFunction")
    with pytest.raises(TemplateError):
        template.function("nope")
