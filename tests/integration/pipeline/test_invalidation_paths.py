"""Each path that can change a system's health invalidates the status cache, before publishing."""

from __future__ import annotations

import pytest

from shared import aws
from shared.data.retention import RetentionStore
from shared.data.sweeps import SweepCheckpoints
from shared.services.context import default_collaborators
from shared.services.retention import apply_retention
from tests.integration.pipeline.conftest import drain_queue, http_check


@pytest.fixture
def invalidations(stack):
    collaborators = default_collaborators()
    seen: list[str] = []
    real_one, real_family = collaborators.cache.invalidate, collaborators.cache.invalidate_family
    collaborators.cache.invalidate = lambda key: seen.append(key) or real_one(key)
    collaborators.cache.invalidate_family = lambda: seen.append("*family*") or real_family()
    return seen


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/configurations/web", {"name": "Renamed"}),
        ("POST", "/configurations/web/pause", None),
        ("POST", "/configurations/web/resume", None),
        ("DELETE", "/configurations/web", None),
    ],
)
def test_configuration_changes_invalidate_the_family(stack, target, invalidations, method, path, body):
    # given
    http_check(stack, target)
    invalidations.clear()
    # when
    assert stack.call(method, path, body).status in (200, 204)
    # then
    assert invalidations == ["*family*"]


def test_configuration_create_invalidates_the_family(stack, invalidations):
    # when
    stack.call(
        "POST",
        "/configurations",
        {"name": "X", "strategyId": "tcp", "config": {"host": "127.0.0.1", "port": 9}, "intervalSeconds": 60},
    )
    # then
    assert invalidations == ["*family*"]


@pytest.mark.parametrize(("method", "body"), [("PUT", {"enabled": False}), ("DELETE", None)])
def test_assignment_changes_invalidate_that_system(stack, target, invalidations, method, body):
    # given
    http_check(stack, target)
    invalidations.clear()
    # when
    stack.call(method, "/systems/shop/checks/web", body)
    # then
    assert invalidations == ["shop"]


def test_system_delete_invalidates_that_system(stack, target, invalidations):
    http_check(stack, target)
    invalidations.clear()
    stack.call("DELETE", "/systems/shop")
    assert invalidations == ["shop"]


def test_satellite_delete_invalidates_the_family(stack, invalidations):
    stack.call("POST", "/satellites", {"id": "eu", "name": "EU"})
    invalidations.clear()
    stack.call("DELETE", "/satellites/eu")
    assert invalidations == ["*family*"]


def test_a_recorded_run_invalidates_its_system(stack, target, invalidations):
    http_check(stack, target)
    stack.call("POST", "/systems/shop/checks/web/run")
    invalidations.clear()
    drain_queue(stack)
    assert invalidations == ["shop"]


def test_retention_purging_a_deleted_system_invalidates_it(stack, target, invalidations):
    # given: a system with history, then deleted
    http_check(stack, target)
    stack.call("POST", "/systems/shop/checks/web/run")
    drain_queue(stack)
    stack.call("DELETE", "/systems/shop")
    invalidations.clear()
    # when
    c = default_collaborators()
    table = c.settings.table_name
    store, checkpoints = RetentionStore(aws.dynamodb(), table), SweepCheckpoints(aws.dynamodb(), table)
    report = apply_retention(c, store, checkpoints)
    # then
    assert [p.split("#")[1] for p in report.purged] == ["shop"]
    assert invalidations == ["shop"]
    assert report.deleted > 0
    repository = default_collaborators().repository
    assert repository.list_aggregates("hourly", "shop", "web", start="", end="9", source=None) == []
