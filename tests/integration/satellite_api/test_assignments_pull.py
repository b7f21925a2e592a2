"""GET /satellite/assignments: what this satellite should run, with an ETag for cheap polling."""

import pytest

from tests.integration.api.stack import add_configuration, add_system, assign
from tests.integration.satellite_api.fleet import add_satellite, pulled


@pytest.fixture
def fleet(stack):
    satellites = {s: add_satellite(stack, s) for s in ("eu-1", "us-1")}
    add_system(stack, "shop")
    add_system(stack, "blog")
    for configuration_id in ("web", "api", "db", "dns"):
        add_configuration(stack, configuration_id)
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"]})
    assign(stack, "shop", "api", {"satelliteIds": ["eu-1"], "enabled": False})
    assign(stack, "shop", "db", {"satelliteIds": ["eu-1", "us-1"]})
    assign(stack, "shop", "dns", {"satelliteIds": ["us-1"]})
    assign(stack, "blog", "web", {"satelliteIds": []})
    stack.call("POST", "/configurations/db/pause")
    return stack, satellites


def test_only_enabled_assignments_of_unpaused_configurations_naming_the_satellite_are_listed(fleet):
    # given
    stack, satellites = fleet
    # when
    answer = pulled(stack, satellites["eu-1"])
    # then
    assert answer.status == 200, answer.body
    [item] = answer.body["items"]
    assert item == {
        "systemId": "shop",
        "configurationId": "web",
        "strategyId": "http",
        "config": item["config"],
        "assertions": [],
        "intervalSeconds": 60,
        "timeoutSeconds": 10,
    }
    assert item["config"]["url"] == "https://example.com/health"
    us_items = pulled(stack, satellites["us-1"]).body["items"]
    assert [(i["systemId"], i["configurationId"]) for i in us_items] == [("shop", "dns")]


def test_same_etag_in_if_none_match_is_not_modified(fleet):
    # given
    stack, satellites = fleet
    etag = pulled(stack, satellites["eu-1"]).headers["ETag"]
    # when
    answer = pulled(stack, satellites["eu-1"], **{"If-None-Match": etag})
    # then
    assert answer.status == 304
    assert answer.body is None
    assert answer.headers["ETag"] == etag


def test_stale_etag_gets_the_full_list(fleet):
    # given
    stack, satellites = fleet
    # when
    answer = pulled(stack, satellites["eu-1"], **{"If-None-Match": '"something-else"'})
    # then
    assert answer.status == 200
    assert len(answer.body["items"]) == 1


@pytest.mark.parametrize(
    "change",
    ["pause", "new assignment", "resume", "config edited", "disabled", "satellite removed from assignment"],
)
def test_etag_changes_when_what_the_satellite_should_run_changes(fleet, change):
    # given
    stack, satellites = fleet
    before = pulled(stack, satellites["eu-1"])
    # when
    if change == "pause":
        stack.call("POST", "/configurations/web/pause")
    elif change == "new assignment":
        assign(stack, "blog", "web", {"satelliteIds": ["eu-1"]})
    elif change == "resume":
        stack.call("POST", "/configurations/db/resume")
    elif change == "config edited":
        assert stack.call("PATCH", "/configurations/web", {"intervalSeconds": 120}).status == 200
    elif change == "disabled":
        assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "enabled": False})
    else:
        assign(stack, "shop", "web", {"satelliteIds": ["us-1"]})
    # then
    after = pulled(stack, satellites["eu-1"], **{"If-None-Match": before.headers["ETag"]})
    assert after.status == 200, change
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.body["items"] != before.body["items"]


def test_change_elsewhere_keeps_the_etag(fleet):
    # given
    stack, satellites = fleet
    etag = pulled(stack, satellites["eu-1"]).headers["ETag"]
    # when
    assign(stack, "shop", "dns", {"satelliteIds": ["us-1"], "quorum": {"mode": "all"}})
    # then
    assert pulled(stack, satellites["eu-1"], **{"If-None-Match": etag}).status == 304


def test_etag_among_several_or_weak_tags_is_not_modified(fleet):
    # given
    stack, satellites = fleet
    etag = pulled(stack, satellites["eu-1"]).headers["ETag"]
    # when
    answer = pulled(stack, satellites["eu-1"], **{"If-None-Match": f'"older", W/{etag}'})
    # then
    assert answer.status == 304


def test_the_assigned_satellite_pulls_secret_headers_that_readers_only_see_starred(stack):
    # given
    eu = add_satellite(stack, "eu-1")
    add_system(stack, "shop")
    add_configuration(stack, "web", config={"url": "https://shop.test/", "headers": {"X-Api-Key": "s3cret"}})
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"]})
    # when
    item = pulled(stack, eu).body["items"][0]
    read = stack.call("GET", "/configurations/web").body
    # then
    assert item["config"]["headers"] == {"X-Api-Key": "s3cret"}
    assert read["config"]["headers"] == {"X-Api-Key": "***"}
