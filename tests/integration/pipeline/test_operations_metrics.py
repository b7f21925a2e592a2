"""The figures the template's alarms and dashboard read: ticks completed, scheduler lag, failed runs,
health reads, emitted by the handlers in CloudWatch's embedded metric format."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from shared.services.context import default_collaborators
from tests.integration.pipeline.conftest import drain_queue, http_check

TICK_TIME = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


def emitted_metrics(stdout: str) -> dict[str, list[float]]:
    """Every metric value in the embedded-metric-format lines of a captured stdout, by name."""
    values: dict[str, list[float]] = {}
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", []):
            for metric in directive["Metrics"]:
                value = record[metric["Name"]]
                values.setdefault(metric["Name"], []).extend(value if isinstance(value, list) else [value])
    return values


def test_a_completed_tick_reports_itself_and_how_late_it_started(stack, capsys):
    # given a tick scheduled for 12:00:00 that starts 7 s later
    default_collaborators().clock = lambda: TICK_TIME + timedelta(seconds=7)
    capsys.readouterr()
    # when the scheduler runs it
    stack.invoke("SchedulerFunction", {"source": "aws.scheduler", "time": "2026-11-26T12:00:00Z"})
    # then the tick is counted as completed, with its lag
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["SchedulerTickCompleted"] == [1.0]
    assert metrics["SchedulerLagSeconds"] == [7.0]


def test_a_tick_without_a_scheduled_time_still_completes_without_a_lag(stack, capsys):
    capsys.readouterr()
    stack.invoke("SchedulerFunction", {"source": "aws.scheduler", "detail-type": "Scheduled Event"})
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["SchedulerTickCompleted"] == [1.0]
    assert "SchedulerLagSeconds" not in metrics


def test_a_failing_run_is_counted_as_recorded_and_failed(stack, target, capsys):
    # given a check whose target refuses connections
    http_check(stack, target)
    stack.call("PATCH", "/configurations/web", {"config": {"url": "http://127.0.0.1:9/"}})
    assert stack.call("POST", "/systems/shop/checks/web/run").status == 202
    capsys.readouterr()
    # when the executor runs it
    drain_queue(stack)
    # then the run counts as recorded and as failed
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["RunRecorded"] == [1.0]
    assert metrics["RunFailed"] == [1.0]


def test_a_healthy_run_is_not_counted_as_failed(stack, target, capsys):
    http_check(stack, target)
    assert stack.call("POST", "/systems/shop/checks/web/run").status == 202
    capsys.readouterr()
    drain_queue(stack)
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["RunRecorded"] == [1.0]
    assert "RunFailed" not in metrics


def test_health_reads_are_counted_and_other_reads_are_not(stack, capsys):
    # given a system
    assert stack.call("POST", "/systems", {"id": "shop", "name": "Shop"}).status == 201
    capsys.readouterr()
    # when it is read as a health read, then as a plain read
    stack.call("GET", "/systems/shop/health")
    health_read = emitted_metrics(capsys.readouterr().out)
    stack.call("GET", "/systems/shop")
    plain_read = emitted_metrics(capsys.readouterr().out)
    # then only the health read counts
    assert health_read["HealthRead"] == [1.0]
    assert "HealthRead" not in plain_read
