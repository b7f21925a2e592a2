"""Configurations: create, read, list, patch, pause and resume, delete and its cascade, config validation."""

import pytest

from tests.integration.api.stack import (
    add_configuration,
    add_system,
    assign,
    configuration_body,
    reconfigure,
    store_items,
)


def test_created_configuration_has_defaults_and_normalised_config(stack):
    # given / when
    answer = stack.call("POST", "/configurations", configuration_body("web"))
    # then
    assert answer.status == 201, answer.body
    body = answer.body
    assert body["timeoutSeconds"] == 10
    assert body["paused"] is False
    assert body["assertions"] == []
    assert body["version"] == 1
    assert body["config"]["url"] == "https://example.com/health"
    assert body["config"]["expectedStatusCodes"] == ["200-299"]
    assert stack.call("GET", "/configurations/web").body == body


def test_configuration_keeps_its_assertions(stack):
    # given
    assertions = [
        {"source": "status", "operator": "eq", "value": "healthy"},
        {"source": "result.statusCode", "operator": "in", "value": [200, 204]},
        {"source": "latencyMs", "operator": "lt", "value": 500},
    ]
    # when
    answer = stack.call("POST", "/configurations", configuration_body("web", assertions=assertions))
    # then
    assert answer.status == 201, answer.body
    assert stack.call("GET", "/configurations/web").body["assertions"] == assertions


def test_list_configurations_returns_every_one(stack):
    # given
    add_configuration(stack, "a")
    add_configuration(stack, "b")
    # when
    answer = stack.call("GET", "/configurations")
    # then
    assert answer.status == 200, answer.body
    assert sorted(c["id"] for c in answer.body["items"]) == ["a", "b"]
    assert answer.body["nextCursor"] is None


def test_duplicate_configuration_id_is_a_conflict(stack):
    # given
    add_configuration(stack, "web")
    before = store_items()
    # when
    answer = stack.call("POST", "/configurations", configuration_body("web", name="Other"))
    # then
    assert answer.status == 409
    assert answer.error_code == "CONFLICT"
    assert store_items() == before


def test_unknown_configuration_is_not_found(stack):
    # given / when
    answers = [
        stack.call("GET", "/configurations/ghost"),
        stack.call("PATCH", "/configurations/ghost", {"name": "x"}),
        stack.call("DELETE", "/configurations/ghost"),
        stack.call("POST", "/configurations/ghost/pause"),
        stack.call("POST", "/configurations/ghost/resume"),
    ]
    # then
    assert [(a.status, a.error_code) for a in answers] == [(404, "NOT_FOUND")] * 5


@pytest.mark.parametrize(
    "config, field",
    [
        ({}, "body.config.url"),
        ({"url": "ftp://example.com"}, "body.config.url"),
        ({"url": "https://example.com", "method": "BREW"}, "body.config.method"),
        ({"url": "https://example.com", "surprise": 1}, "body.config.surprise"),
    ],
)
def test_config_that_breaks_its_strategy_is_refused(stack, config, field):
    # given
    before = store_items()
    # when
    answer = stack.call("POST", "/configurations", configuration_body("web", config=config))
    # then
    assert answer.status == 422, answer.body
    assert answer.error_code == "VALIDATION_FAILED"
    assert field in [d["field"] for d in answer.body["error"]["details"]]
    assert store_items() == before


def test_unknown_strategy_is_refused(stack):
    # given / when
    answer = stack.call("POST", "/configurations", configuration_body("web", strategyId="carrier-pigeon"))
    # then
    assert answer.status == 422
    assert [d["field"] for d in answer.body["error"]["details"]] == ["body.strategyId"]
    assert stack.call("GET", "/configurations/web").status == 404


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:8080/",
        "http://10.0.0.7/",
        "http://[::1]/",
        "http://[::ffff:169.254.169.254]/",
    ],
)
def test_private_address_is_refused_when_private_targets_are_not_allowed(stack, url):
    # given
    reconfigure(stack, HC_ALLOW_PRIVATE_TARGETS="false")
    # when
    answer = stack.call("POST", "/configurations", configuration_body("web", config={"url": url}))
    # then
    assert answer.status == 422, answer.body
    assert [d["field"] for d in answer.body["error"]["details"]] == ["body.config.url"]
    assert stack.call("GET", "/configurations").body["items"] == []


def test_patch_to_a_private_target_is_refused_when_not_allowed(stack):
    # given
    reconfigure(stack, HC_ALLOW_PRIVATE_TARGETS="false")
    add_configuration(stack, "web")
    before = store_items()
    # when
    answer = stack.call("PATCH", "/configurations/web", {"config": {"url": "http://127.0.0.1:8080/"}})
    # then
    assert answer.status == 422, answer.body
    assert store_items() == before


def test_private_target_is_accepted_when_allowed(stack):
    # given / when
    answer = stack.call(
        "POST", "/configurations", configuration_body("web", config={"url": "http://127.0.0.1:8080/health"})
    )
    # then
    assert answer.status == 201, answer.body


@pytest.mark.parametrize(
    "timing",
    [
        {"intervalSeconds": 10, "timeoutSeconds": 10},
        {"intervalSeconds": 30, "timeoutSeconds": 45},
        {"intervalSeconds": 9},
        {"intervalSeconds": 86401},
        {"intervalSeconds": 60, "timeoutSeconds": 0},
        {"intervalSeconds": 120, "timeoutSeconds": 61},
    ],
)
def test_timing_outside_its_bounds_is_refused(stack, timing):
    # given / when
    answer = stack.call("POST", "/configurations", configuration_body("web", **timing))
    # then
    assert answer.status == 422, answer.body
    assert answer.error_code == "VALIDATION_FAILED"
    assert answer.body["error"]["details"]
    assert stack.call("GET", "/configurations/web").status == 404


def test_patch_that_makes_timeout_reach_interval_is_refused(stack):
    # given
    add_configuration(stack, "web", intervalSeconds=60, timeoutSeconds=30)
    before = store_items()
    # when
    answer = stack.call("PATCH", "/configurations/web", {"intervalSeconds": 30})
    # then
    assert answer.status == 422, answer.body
    assert answer.error_code == "VALIDATION_FAILED"
    assert store_items() == before


def test_patch_updates_fields_and_version(stack):
    # given
    add_configuration(stack, "web")
    # when
    answer = stack.call(
        "PATCH",
        "/configurations/web",
        {
            "name": "Website",
            "intervalSeconds": 300,
            "timeoutSeconds": 20,
            "config": {"url": "https://example.org/"},
        },
    )
    # then
    assert answer.status == 200, answer.body
    assert answer.body["name"] == "Website"
    assert answer.body["intervalSeconds"] == 300
    assert answer.body["timeoutSeconds"] == 20
    assert answer.body["config"]["url"] == "https://example.org/"
    assert answer.body["version"] == 2
    assert stack.call("GET", "/configurations/web").body == answer.body


def test_patch_id_is_refused(stack):
    # given
    add_configuration(stack, "web")
    # when
    answer = stack.call("PATCH", "/configurations/web", {"id": "other"})
    # then
    assert answer.status == 422
    assert [d["field"] for d in answer.body["error"]["details"]] == ["body.id"]


def test_patch_with_stale_if_match_is_a_version_mismatch(stack):
    # given
    add_configuration(stack, "web")
    stack.call("PATCH", "/configurations/web", {"name": "Second"})
    # when
    answer = stack.call("PATCH", "/configurations/web", {"name": "Third"}, headers={"If-Match": "1"})
    # then
    assert answer.status == 412
    assert answer.error_code == "VERSION_MISMATCH"
    assert stack.call("GET", "/configurations/web").body["name"] == "Second"


def test_configuration_rename_reaches_its_assignments(stack):
    # given
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web")
    # when
    stack.call("PATCH", "/configurations/web", {"name": "Website"})
    # then
    checks = stack.call("GET", "/systems/shop/checks").body["items"]
    assert [c["configurationName"] for c in checks] == ["Website"]


def test_pause_and_resume_flip_paused(stack):
    # given
    add_configuration(stack, "web")
    # when
    paused = stack.call("POST", "/configurations/web/pause")
    resumed = stack.call("POST", "/configurations/web/resume")
    # then
    assert paused.status == 200, paused.body
    assert paused.body["paused"] is True
    assert resumed.status == 200, resumed.body
    assert resumed.body["paused"] is False
    assert resumed.body["version"] == 3


def test_delete_configuration_removes_its_assignments(stack):
    # given
    add_system(stack, "shop")
    add_system(stack, "blog")
    add_configuration(stack, "web")
    add_configuration(stack, "dns")
    assign(stack, "shop", "web")
    assign(stack, "shop", "dns")
    assign(stack, "blog", "web")
    stack.published.events.clear()
    # when
    answer = stack.call("DELETE", "/configurations/web")
    # then
    assert answer.status == 204
    assert [c["configurationId"] for c in stack.call("GET", "/systems/shop/checks").body["items"]] == ["dns"]
    assert stack.call("GET", "/systems/blog/checks").body["items"] == []
    assert [c["configurationId"] for c in stack.call("GET", "/systems/shop/health").body["checks"]] == ["dns"]
    left = [i for i in store_items() if "web" in i["pk"]["S"] + i["sk"]["S"]]
    # only the tombstones the retention pass purges the history by
    assert sorted(i["sk"]["S"].rsplit("#", 1)[0] for i in left) == ["CHECK#blog#web", "CHECK#shop#web"]
    assert {i["pk"]["S"] for i in left} == {"TOMBSTONES"}
    unassigned = stack.published.of_type("Health Check Assignment Changed")
    assert sorted((e["systemId"], e["change"]) for e in unassigned) == [
        ("blog", "unassigned"),
        ("shop", "unassigned"),
    ]
    assert stack.call("DELETE", "/configurations/web").status == 404


def test_private_tcp_target_is_refused_when_not_allowed(stack):
    # given
    reconfigure(stack, HC_ALLOW_PRIVATE_TARGETS="false")
    # when
    answer = stack.call(
        "POST",
        "/configurations",
        configuration_body("db", strategyId="tcp", config={"host": "169.254.169.254", "port": 80}),
    )
    # then
    assert answer.status == 422, answer.body
    assert [d["field"] for d in answer.body["error"]["details"]] == ["body.config.host"]


def test_strategies_describe_their_config_and_result_schemas(stack):
    # given / when
    answer = stack.call("GET", "/strategies")
    # then
    assert answer.status == 200, answer.body
    by_id = {s["id"]: s for s in answer.body["items"]}
    assert {"http", "tcp", "dns", "tls"} <= set(by_id)
    http = by_id["http"]
    assert http["displayName"] and http["description"]
    assert "url" in http["configSchema"]["properties"]
    assert "url" in http["configSchema"]["required"]
    charted = [f for f in http["resultSchema"]["properties"].values() if "x-chart-type" in f]
    assert charted
