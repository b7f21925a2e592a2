"""template.yaml ships what on-call needs: alarms to the alerts topic, log retention, a dashboard, alert
subscriptions from parameters, and no resource or VPC setting that depends on an absent parameter."""

import json
import re
from pathlib import Path

import pytest

from local.template import Template, load_template_document

REPO_ROOT = Path(__file__).resolve().parents[2]
ALERTS_TOPIC = {"Ref": "HealthAlertsTopic"}
DASHBOARD_FIGURES = {"RunRecorded", "RunFailed", "HealthRead", "CacheFallThrough", "SchedulerLagSeconds"}


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.load()


@pytest.fixture(scope="module")
def document() -> dict:
    return load_template_document()


def _alarms(template: Template) -> dict[str, dict]:
    return template.resources_of_type("AWS::CloudWatch::Alarm")


def test_every_function_has_an_errors_and_a_throttles_alarm(template):
    # given every alarm on a Lambda metric
    watched = {
        (alarm["MetricName"], alarm["Dimensions"][0]["Value"]["Ref"])
        for alarm in _alarms(template).values()
        if alarm["Namespace"] == "AWS/Lambda"
    }
    # then each function is watched for both
    for logical_id in template.functions:
        assert {("Errors", logical_id), ("Throttles", logical_id)} <= watched, logical_id


def test_queues_and_scheduler_ticks_are_alarmed(template):
    # given the alarms by metric
    alarms = {alarm["MetricName"]: alarm for alarm in _alarms(template).values()}
    # then dead letters, a stuck executor queue and missing scheduler ticks raise one
    dead_letters = alarms["ApproximateNumberOfMessagesVisible"]
    assert dead_letters["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["ChecksDeadLetterQueue", "QueueName"]}
    assert (dead_letters["ComparisonOperator"], dead_letters["Threshold"]) == ("GreaterThanThreshold", 0)
    oldest = alarms["ApproximateAgeOfOldestMessage"]
    assert oldest["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["ChecksQueue", "QueueName"]}
    ticks = alarms["SchedulerTickCompleted"]
    assert ticks["TreatMissingData"] == "breaching"
    assert (ticks["ComparisonOperator"], ticks["Threshold"]) == ("LessThanThreshold", 1)


def test_every_alarm_publishes_to_the_alerts_topic_and_the_topic_lets_it(template, document):
    # given every alarm
    for logical_id, alarm in _alarms(template).items():
        # then it notifies the alerts topic when it fires and when it clears
        assert alarm["AlarmActions"] == [ALERTS_TOPIC], logical_id
        assert alarm["OKActions"] == [ALERTS_TOPIC], logical_id
        assert "Condition" not in document["Resources"][logical_id], logical_id
    statements = document["Resources"]["HealthAlertsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert {"Service": "cloudwatch.amazonaws.com"} in [statement["Principal"] for statement in statements]


def test_every_function_logs_to_its_own_log_group_with_the_retention_parameter(template, document):
    # given the log groups and the functions' logging configuration
    log_groups = template.resources_of_type("AWS::Logs::LogGroup")
    # then each function names a log group of the stack, kept for LogRetentionDays (30 by default)
    for logical_id in template.functions:
        logging_config = document["Resources"][logical_id]["Properties"]["LoggingConfig"]
        log_group = log_groups[logging_config["LogGroup"]["Ref"]]
        assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}, logical_id
    assert document["Parameters"]["LogRetentionDays"]["Default"] == 30


@pytest.mark.parametrize(
    ("overrides", "protocols"),
    [
        ({}, set()),
        ({"AlertEmail": "oncall@example.com"}, {"email"}),
        (
            {"AlertEmail": "oncall@example.com", "AlertHttpsEndpoint": "https://hooks.example.com/x"},
            {"email", "https"},
        ),
    ],
)
def test_alert_subscriptions_follow_the_optional_parameters(overrides, protocols):
    # given the template deployed with or without the alert parameters
    template = Template.load(parameter_overrides=overrides)
    # when we list the subscriptions it would create
    subscriptions = template.resources_of_type("AWS::SNS::Subscription").values()
    # then there is one per given parameter, on the alerts topic
    assert {subscription["Protocol"] for subscription in subscriptions} == protocols
    assert all(subscription["TopicArn"] == ALERTS_TOPIC for subscription in subscriptions)


def test_elasticache_without_its_network_creates_no_vpc_resource_and_a_rule_refuses_it(document):
    # given EnableElastiCache=true but no VPC or subnets
    template = Template.load(parameter_overrides={"EnableElastiCache": "true"})
    # then no VPC resource exists, so no empty subnet reaches a VpcConfig, and the deploy is refused
    assert template.condition("UseElastiCache") is False
    assert template.resources_of_type("AWS::ElastiCache::ServerlessCache") == {}
    assert template.resources_of_type("AWS::EC2::SecurityGroup") == {}
    (rule,) = document["Rules"].values()
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "EnableElastiCache"}, "true"]}
    assert len(rule["Assertions"]) == 2


def test_dashboard_shows_the_operations_figures_and_the_code_emits_them(document):
    # given the dashboard body and the metric names the code emits
    body = document["Resources"]["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"][0]
    source = "\n".join(path.read_text("utf-8") for path in (REPO_ROOT / "src").rglob("*.py"))
    emitted = set(re.findall(r'add_metric\(\s*name="(\w+)"', source))
    # when the body is read as JSON (the substitutions are plain strings in it)
    widgets = json.loads(body)["widgets"]
    shown = {metric[1] for widget in widgets for metric in widget["properties"].get("metrics", [])}
    # then the operations figures are on it and every custom figure on it is emitted somewhere
    assert DASHBOARD_FIGURES - shown == set()
    custom = {
        metric[1]
        for widget in widgets
        for metric in widget["properties"].get("metrics", [])
        if metric[0] == "${Namespace}"
    }
    assert custom - emitted == set()
