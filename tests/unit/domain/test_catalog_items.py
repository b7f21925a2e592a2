"""Catalog items load what the table already holds and write back the same attributes."""

from shared.domain.catalog_items import AssignmentItem, ConfigurationItem, MaintenanceItem, assignment_item

CREATED = "2030-01-01T00:00:00.000Z"
LATER = "2030-01-02T00:00:00.000Z"
RETENTION = {"rawDays": 7, "hourlyDays": 30, "dailyDays": 365}

# An assignment as the catalog wrote it before the stored retention and history floors existed.
OLDER_ASSIGNMENT = {
    "systemId": "shop",
    "configurationId": "web",
    "configurationName": "Web",
    "strategyId": "http",
    "configurationPaused": False,
    "intervalSeconds": 60,
    "enabled": True,
    "stateThresholds": {"mode": "consecutive", "degradedAfter": 1, "unhealthyAfter": 3, "recoverAfter": 1},
    "satelliteIds": ["eu"],
    "includeLocal": True,
    "quorum": {"mode": "any"},
    "retention": RETENTION,
    "createdAt": CREATED,
    "updatedAt": CREATED,
    "version": 3,
}

CONFIGURATION = {
    "id": "web",
    "name": "Web",
    "strategyId": "http",
    "config": {"url": "https://example.com", "basicAuth": {"username": "ops", "password": "sealed:abc"}},
    "intervalSeconds": 60,
    "timeoutSeconds": 10,
    "assertions": [{"source": "statusCode", "operator": "eq", "value": 200}],
    "paused": True,
    "createdAt": CREATED,
    "updatedAt": LATER,
    "version": 4,
}


def test_an_assignment_older_than_its_retention_record_loads_and_writes_back_what_it_had():
    # when
    item = AssignmentItem.model_validate(OLDER_ASSIGNMENT | {"dueShard": "S07", "nextDueAt": 5})
    # then
    assert (item.stored_retention, item.history_floors, item.history_since) == (None, None, None)
    assert item.next_due_at == 5
    assert item.to_item() == OLDER_ASSIGNMENT


def test_a_configuration_keeps_its_sealed_secrets_and_every_attribute():
    # when
    item = ConfigurationItem.model_validate(CONFIGURATION | {"pk": "CONFIG#web", "gsi1pk": "TYPE#CONFIG"})
    # then
    assert item.config["basicAuth"]["password"] == "sealed:abc"
    assert item.to_item() == CONFIGURATION


def test_a_maintenance_window_writes_back_what_it_had():
    stored = {
        "id": "m1",
        "systemId": "shop",
        "title": "Upgrade",
        "startsAt": CREATED,
        "endsAt": LATER,
        "suppressNotifications": False,
        "createdAt": CREATED,
    }
    assert MaintenanceItem.model_validate(stored).to_item() == stored


def test_a_replaced_assignment_keeps_its_creation_history_and_the_retention_its_items_follow():
    # given
    configuration = ConfigurationItem.model_validate(CONFIGURATION)
    older = AssignmentItem.model_validate(OLDER_ASSIGNMENT | {"historySince": CREATED})
    settings = {k: OLDER_ASSIGNMENT[k] for k in ("enabled", "satelliteIds", "includeLocal", "quorum")}
    settings |= {
        "stateThresholds": OLDER_ASSIGNMENT["stateThresholds"],
        "retention": RETENTION | {"rawDays": 3},
    }
    # when
    replaced = assignment_item("shop", configuration, settings, older, LATER, history_since=LATER)
    created = assignment_item("cart", configuration, settings, None, LATER, history_since=LATER)
    # then
    assert (replaced.created_at, replaced.updated_at, replaced.version) == (CREATED, LATER, 4)
    assert (replaced.stored_retention, replaced.retention["rawDays"]) == (RETENTION, 3)
    assert (replaced.history_since, replaced.configuration_paused) == (CREATED, True)
    assert (created.created_at, created.version, created.history_since) == (LATER, 1, LATER)
    assert created.stored_retention == settings["retention"]
    assert "historyFloors" not in created.to_item()
