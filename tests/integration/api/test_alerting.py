"""Alerting through the real handlers on moto: channels, policies, the notifier fed by SQS events,
incidents with their timeline and delivery log, and the documented signature check."""

import json

import boto3
import pytest

from local.event_sources import sqs_event
from shared.services.alerting import context as alerting_context
from tests.integration.alerting.receiver import WebhookReceiver, documented_receiver, sqs_messages
from tests.integration.api.stack import add_system, created, reconfigure

VERIFY = documented_receiver()["verify"]


@pytest.fixture
def alerting_stack(stack, monkeypatch):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="notifications", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    monkeypatch.setenv("NOTIFICATIONS_QUEUE_URL", url)
    monkeypatch.setenv("NOTIFICATIONS_QUEUE_ARN", arn)
    monkeypatch.setenv("HC_SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/scheduler")
    reconfigure(stack)
    alerting_context.reset_alerting()
    stack.notifications = (url, arn)
    yield stack
    alerting_context.reset_alerting()


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


def transition_event(system_id: str, new_status: str, at: str) -> dict:
    return {
        "version": "0",
        "source": "healthcheck",
        "detail-type": "System Health Changed",
        "detail": {
            "systemId": system_id,
            "systemName": system_id.title(),
            "previousStatus": "healthy",
            "newStatus": new_status,
            "healthyChecks": 0,
            "totalChecks": 1,
            "suppressed": False,
            "timestamp": at,
        },
    }


def notify(stack, bodies: list[dict], messages: list[dict] | None = None) -> dict:
    """Invoke the notifier with these bodies (or the queue's own received messages)."""
    _, arn = stack.notifications
    messages = messages or sqs_messages(bodies)
    return stack.invoke("NotifierFunction", sqs_event(messages, arn, "us-east-1"))


def drain(stack) -> None:
    """Hand every queued notification to the notifier, as the event source mapping does."""
    url, _ = stack.notifications
    sqs = boto3.client("sqs")
    for _ in range(10):
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        messages = answer.get("Messages", [])
        if not messages:
            return
        result = notify(stack, [], messages)
        assert result["batchItemFailures"] == []
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )


def webhook(stack, receiver, channel_id="ops") -> dict:
    return created(
        stack.call(
            "POST",
            "/channels",
            {"id": channel_id, "name": "Ops", "type": "webhook", "config": {"url": receiver.url}},
        )
    )


def test_a_webhook_channel_shows_its_signing_secret_once_and_signs_its_test(alerting_stack, receiver):
    # given
    answer = webhook(alerting_stack, receiver)
    secret = answer["signingSecret"]
    # when
    read = alerting_stack.call("GET", "/channels/ops").body
    tested = alerting_stack.call("POST", "/channels/ops/test").body
    # then
    assert secret.startswith("whsec_")
    assert "signingSecret" not in read and secret not in json.dumps(read)
    assert tested["delivered"] is True and tested["statusCode"] == 204
    (request,) = receiver.received
    assert VERIFY(secret, request.headers["X-Healthcheck-Signature"], request.body)
    assert not VERIFY("whsec_wrong", request.headers["X-Healthcheck-Signature"], request.body)
    assert json.loads(request.body)["event"] == "channel.test"


def test_channel_secrets_are_write_only(alerting_stack):
    # given
    body = {
        "id": "chat",
        "name": "Chat",
        "type": "slack",
        "config": {"webhookUrl": "https://hooks.slack.com/services/T0/B0/secret-token"},
    }
    pager = {"id": "pd", "name": "PD", "type": "pagerduty", "config": {"routingKey": "R0UTINGKEY"}}
    # when
    slack = created(alerting_stack.call("POST", "/channels", body))
    created(alerting_stack.call("POST", "/channels", pager))
    renamed = alerting_stack.call(
        "PATCH", "/channels/chat", {"name": "Chat 2", "config": {"webhookUrl": "***"}}
    )
    listed = alerting_stack.call("GET", "/channels").body
    # then
    assert slack["channel"]["config"]["webhookUrl"] == "***"
    assert renamed.status == 200 and renamed.body["config"]["webhookUrl"] == "***"
    assert "secret-token" not in json.dumps(listed) and "R0UTINGKEY" not in json.dumps(listed)
    assert {c["id"]: c["config"].get("routingKey") for c in listed["items"]}["pd"] == "***"


@pytest.mark.parametrize(
    "channel",
    [
        {"type": "slack", "config": {"webhookUrl": "https://example.com/services/x"}},
        {"type": "slack", "config": {"webhookUrl": "http://hooks.slack.com/services/x"}},
        {"type": "pagerduty", "config": {"routingKey": "k", "url": "https://evil.example/v2/enqueue"}},
        {"type": "webhook", "config": {"url": "ftp://example.com/x"}},
        {"type": "email", "config": {"via": "ses", "toAddresses": ["a@example.com"]}},
        {"type": "webhook", "config": {"url": "https://example.com", "extra": 1}},
    ],
)
def test_invalid_channel_config_is_refused_and_nothing_is_stored(alerting_stack, channel):
    # when
    answer = alerting_stack.call("POST", "/channels", {"name": "x"} | channel)
    # then
    assert answer.status == 422
    assert answer.error_code == "VALIDATION_FAILED"
    assert alerting_stack.call("GET", "/channels").body["items"] == []


def test_a_private_webhook_target_is_refused_when_private_targets_are_not_allowed(alerting_stack):
    # given
    reconfigure(alerting_stack, HC_ALLOW_PRIVATE_TARGETS="false")
    alerting_context.reset_alerting()
    # when
    answers = [
        alerting_stack.call("POST", "/channels", {"name": "x", "type": "webhook", "config": {"url": url}})
        for url in ("http://127.0.0.1:8080/x", "http://169.254.169.254/latest", "http://localhost/x")
    ]
    # then
    assert [a.status for a in answers] == [422, 422, 422]
    assert "TARGET_FORBIDDEN" in json.dumps(answers[0].body)


def test_a_policy_naming_an_unknown_channel_is_refused(alerting_stack):
    # when
    answer = alerting_stack.call("POST", "/alert-policies", {"name": "p", "channelIds": ["nope"]})
    # then
    assert answer.status == 422
    assert alerting_stack.call("GET", "/alert-policies").body["items"] == []


def test_a_transition_opens_one_incident_delivers_one_signed_notice_and_acknowledges(
    alerting_stack, receiver
):
    # given
    secret = webhook(alerting_stack, receiver)["signingSecret"]
    created(
        alerting_stack.call(
            "POST",
            "/alert-policies",
            {"id": "oncall", "name": "On call", "channelIds": ["ops"], "remindEverySeconds": 600},
        )
    )
    add_system(alerting_stack, "web")
    event = transition_event("web", "unhealthy", "2026-01-05T12:00:00.000Z")
    # when: the event arrives twice, then its deliveries are drained
    notify(alerting_stack, [event])
    notify(alerting_stack, [event])
    drain(alerting_stack)
    incidents = alerting_stack.call("GET", "/incidents").body["items"]
    (incident,) = incidents
    acknowledged = alerting_stack.call("POST", f"/incidents/{incident['id']}/acknowledge")
    detail = alerting_stack.call("GET", f"/incidents/{incident['id']}").body
    deliveries = alerting_stack.call("GET", f"/incidents/{incident['id']}/deliveries").body["items"]
    # then
    (request,) = receiver.received
    assert VERIFY(secret, request.headers["X-Healthcheck-Signature"], request.body)
    notice = json.loads(request.body)
    assert (notice["event"], notice["systemId"], notice["status"]) == ("incident.opened", "web", "unhealthy")
    assert request.headers["X-Healthcheck-Delivery"] == f"{incident['id']}:oncall:open:ops"
    assert acknowledged.status == 200 and acknowledged.body["status"] == "acknowledged"
    assert detail["acknowledgedBy"] == "bootstrap"
    assert [e["kind"] for e in detail["timeline"]] == ["opened", "delivered", "acknowledged"]
    assert [(d["status"], [a["statusCode"] for a in d["attempts"]]) for d in deliveries] == [("sent", [204])]


def test_a_failing_webhook_is_reported_for_retry_with_back_off_and_logged(alerting_stack, receiver):
    # given
    receiver.statuses = [500]
    webhook(alerting_stack, receiver)
    created(alerting_stack.call("POST", "/alert-policies", {"name": "p", "channelIds": ["ops"]}))
    add_system(alerting_stack, "web")
    notify(alerting_stack, [transition_event("web", "unhealthy", "2026-01-05T12:00:00.000Z")])
    url, _ = alerting_stack.notifications
    sqs = boto3.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    # when
    result = notify(alerting_stack, [], [message])
    # then: the message waits out its back-off (the queue's own visibility is zero)
    assert result["batchItemFailures"] == [{"itemIdentifier": message["MessageId"]}]
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    (incident,) = alerting_stack.call("GET", "/incidents").body["items"]
    (delivery,) = alerting_stack.call("GET", f"/incidents/{incident['id']}/deliveries").body["items"]
    assert delivery["status"] == "pending"
    assert delivery["attempts"][0]["statusCode"] == 500


def test_systems_declare_existing_dependencies_only(alerting_stack):
    # given
    add_system(alerting_stack, "db")
    # when
    good = alerting_stack.call("POST", "/systems", {"id": "app", "name": "App", "dependsOn": ["db"]})
    unknown = alerting_stack.call("POST", "/systems", {"id": "api", "name": "Api", "dependsOn": ["nope"]})
    itself = alerting_stack.call("PATCH", "/systems/app", {"dependsOn": ["app"]})
    cycle = alerting_stack.call("PATCH", "/systems/db", {"dependsOn": ["app"]})
    # then
    assert good.status == 201 and good.body["dependsOn"] == ["db"]
    assert unknown.status == 422 and itself.status == 422
    assert cycle.status == 422 and "would depend on itself" in json.dumps(cycle.body)
    assert alerting_stack.call("GET", "/systems/app").body["dependsOn"] == ["db"]


def test_the_last_failed_attempt_is_dead_lettered_and_written_on_the_timeline(alerting_stack, receiver):
    # given: one attempt allowed, and a queue that dead-letters after one receive
    sqs = boto3.client("sqs")
    url, _ = alerting_stack.notifications
    dlq_url = sqs.create_queue(QueueName="notifications-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": redrive})
    reconfigure(alerting_stack, HC_ALERT_DELIVERY_ATTEMPTS="1")
    alerting_context.reset_alerting()
    receiver.statuses = [503]
    webhook(alerting_stack, receiver)
    created(alerting_stack.call("POST", "/alert-policies", {"name": "p", "channelIds": ["ops"]}))
    add_system(alerting_stack, "web")
    notify(alerting_stack, [transition_event("web", "unhealthy", "2026-01-05T12:00:00.000Z")])
    (message,) = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
    # when
    result = notify(alerting_stack, [], [message])
    # then
    assert len(result["batchItemFailures"]) == 1
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    (dead,) = sqs.receive_message(QueueUrl=dlq_url)["Messages"]
    assert json.loads(dead["Body"])["kind"] == "deliver"
    (incident,) = alerting_stack.call("GET", "/incidents").body["items"]
    timeline = alerting_stack.call("GET", f"/incidents/{incident['id']}").body["timeline"]
    assert timeline[-1]["kind"] == "deliveryFailed"
    assert "answered 503" in timeline[-1]["message"]


def test_a_policy_whose_channel_was_deleted_sends_nothing_and_logs_why(alerting_stack, receiver):
    # given a policy naming a channel that is then deleted
    webhook(alerting_stack, receiver)
    created(alerting_stack.call("POST", "/alert-policies", {"name": "p", "channelIds": ["ops"]}))
    assert alerting_stack.call("DELETE", "/channels/ops").status == 204
    add_system(alerting_stack, "web")
    # when a transition is handled and its delivery drained
    notify(alerting_stack, [transition_event("web", "unhealthy", "2026-01-05T12:00:00.000Z")])
    drain(alerting_stack)
    # then nothing was sent, the delivery says why, and the incident's timeline too
    (incident,) = alerting_stack.call("GET", "/incidents").body["items"]
    (delivery,) = alerting_stack.call("GET", f"/incidents/{incident['id']}/deliveries").body["items"]
    timeline = alerting_stack.call("GET", f"/incidents/{incident['id']}").body["timeline"]
    assert receiver.received == []
    assert delivery["attempts"][-1]["error"] == "channel deleted"
    assert "channel deleted" in timeline[-1]["message"]
