"""Service rules of the management API (systems, configurations, assignments) on the in-memory store.

Dependencies name existing systems and never close a cycle; every assignment change publishes its
`Assignment Changed` after the cache acknowledged the invalidation; a refused change publishes nothing;
secret config fields are stored sealed and kept when a patch sends them masked."""

from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from shared.domain.assignment_models import AssignmentPut
from shared.domain.errors import ValidationFailedError, VersionMismatchError
from shared.domain.models import ConfigurationCreate, ConfigurationPatch, SystemCreate, SystemPatch
from shared.events import ASSIGNMENT_CHANGED
from shared.services import assignments, catalog, configurations
from shared.services.secret_config import unsealed_config
from tests.fakes.collaborators import fake_collaborators


@pytest.fixture
def c():
    return fake_collaborators(settings=SimpleNamespace(allow_private_targets=True, due_shards=64))


def add_system(c, system_id: str, depends_on: list[str] = ()) -> None:
    catalog.create_system(c, SystemCreate(id=system_id, name=system_id.title(), depends_on=list(depends_on)))


def add_configuration(c, configuration_id: str, **config) -> None:
    configurations.create_configuration(
        c,
        ConfigurationCreate(
            id=configuration_id,
            name=configuration_id.title(),
            strategy_id="http",
            config={"url": "https://example.com/"} | config,
            interval_seconds=60,
        ),
    )


def changes(c) -> list[tuple[str, str, str]]:
    return [
        (e.detail["systemId"], e.detail["configurationId"], e.detail["change"])
        for e in c.publisher.events
        if e.detail_type == ASSIGNMENT_CHANGED
    ]


def test_a_system_depends_on_existing_systems_only(c):
    # given
    add_system(c, "db")
    # when
    add_system(c, "app", depends_on=["db"])
    with pytest.raises(ValidationFailedError) as unknown:
        add_system(c, "api", depends_on=["nope"])
    # then
    assert catalog.get_system(c, "app").depends_on == ["db"]
    assert unknown.value.details == [{"field": "body.dependsOn", "message": "unknown system nope"}]


def test_a_dependency_that_would_close_a_cycle_is_refused_and_changes_nothing(c):
    # given: web -> app -> db
    add_system(c, "db")
    add_system(c, "app", depends_on=["db"])
    add_system(c, "web", depends_on=["app"])
    # when
    with pytest.raises(ValidationFailedError) as cycle:
        catalog.update_system(c, "db", SystemPatch(depends_on=["web"]), expected_version=None)
    # then
    assert "db would depend on itself" in cycle.value.details[0]["message"]
    assert catalog.get_system(c, "db").depends_on == []


def test_assignment_changes_are_published_after_the_acknowledged_invalidation(c):
    # given
    add_system(c, "shop")
    add_configuration(c, "web")
    # when
    assignments.put_assignment(c, "shop", "web", AssignmentPut(), expected_version=None)
    assignments.put_assignment(c, "shop", "web", AssignmentPut(enabled=False), expected_version=1)
    assignments.delete_assignment(c, "shop", "web")
    # then
    assert changes(c) == [
        ("shop", "web", "assigned"),
        ("shop", "web", "updated"),
        ("shop", "web", "unassigned"),
    ]
    assert all(e.detail.get("cacheInvalidated") is True for e in c.publisher.events)
    assert c.cache.invalidated.count("shop") >= 3


def test_a_refused_assignment_publishes_nothing(c):
    # given
    add_system(c, "shop")
    add_configuration(c, "web")
    assignments.put_assignment(c, "shop", "web", AssignmentPut(), expected_version=None)
    c.publisher.events.clear()
    # when
    with pytest.raises(VersionMismatchError):
        assignments.put_assignment(c, "shop", "web", AssignmentPut(), expected_version=7)
    # then
    assert c.publisher.events == []


def test_deleting_a_system_publishes_unassigned_for_each_of_its_checks(c):
    # given
    add_system(c, "shop")
    for configuration_id in ("web", "api"):
        add_configuration(c, configuration_id)
        assignments.put_assignment(c, "shop", configuration_id, AssignmentPut(), expected_version=None)
    c.publisher.events.clear()
    # when
    catalog.delete_system(c, "shop")
    # then
    assert sorted(changes(c)) == [("shop", "api", "unassigned"), ("shop", "web", "unassigned")]


def test_deleting_a_configuration_unassigns_it_from_every_system(c):
    # given
    add_configuration(c, "web")
    for system_id in ("shop", "blog"):
        add_system(c, system_id)
        assignments.put_assignment(c, system_id, "web", AssignmentPut(), expected_version=None)
    c.publisher.events.clear()
    # when
    configurations.delete_configuration(c, "web")
    # then
    assert sorted(changes(c)) == [("blog", "web", "unassigned"), ("shop", "web", "unassigned")]
    assert assignments.assignment_views(c, "shop") == []


def test_a_secret_is_stored_sealed_and_kept_when_a_patch_sends_it_masked(c):
    # given
    add_configuration(c, "web", basicAuth={"username": "ops", "password": "hunter2"})
    sealed = c.repository.get_configuration("web").config["basicAuth"]["password"]
    # when
    view = configurations.update_configuration(
        c,
        "web",
        ConfigurationPatch(
            config={"url": "https://example.com/v2", "basicAuth": {"username": "ops", "password": "***"}}
        ),
        expected_version=None,
    )
    # then
    stored = c.repository.get_configuration("web").config
    assert "hunter2" not in str(stored)
    assert stored["basicAuth"]["password"] == sealed
    assert unsealed_config(c.encryptor, stored)["basicAuth"]["password"] == "hunter2"
    assert view.config["basicAuth"]["password"] == "***"
    assert view.config["url"] == "https://example.com/v2"


def test_a_patch_that_breaks_a_cross_field_rule_changes_nothing(c):
    # given
    add_configuration(c, "web")
    # when
    with pytest.raises(ValidationError, match="timeoutSeconds must be below intervalSeconds"):
        configurations.update_configuration(
            c, "web", ConfigurationPatch(timeout_seconds=60), expected_version=None
        )
    # then
    assert configurations.get_configuration(c, "web").timeout_seconds == 10
    assert configurations.get_configuration(c, "web").version == 1
