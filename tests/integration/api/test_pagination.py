"""Lists page with limit and an opaque cursor: nothing lost, nothing repeated, bad cursors refused."""

import base64
import json

import pytest

from tests.integration.api.stack import add_configuration, add_system, new_key


def walk(stack, path, limit):
    seen, pages, cursor = [], 0, None
    while True:
        query = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        answer = stack.call("GET", path, query=query)
        assert answer.status == 200, answer.body
        assert len(answer.body["items"]) <= limit
        seen += [item["id"] for item in answer.body["items"]]
        pages += 1
        cursor = answer.body["nextCursor"]
        if cursor is None:
            return seen, pages
        assert pages < 10, "the cursor does not move on"


def test_systems_page_through_every_one_exactly_once(stack):
    # given
    ids = [f"sys-{n}" for n in range(7)]
    for system_id in ids:
        add_system(stack, system_id)
    # when
    seen, pages = walk(stack, "/systems", 3)
    # then
    assert sorted(seen) == ids
    assert len(seen) == len(set(seen))
    assert pages >= 3


def test_configurations_page_through_every_one_exactly_once(stack):
    # given
    ids = [f"cfg-{n}" for n in range(5)]
    for configuration_id in ids:
        add_configuration(stack, configuration_id)
    # when
    seen, _ = walk(stack, "/configurations", 2)
    # then
    assert sorted(seen) == ids


def test_api_keys_page_through_every_one_exactly_once(stack):
    # given
    for n in range(4):
        new_key(stack, "reader", f"key {n}")
    # when
    seen, _ = walk(stack, "/api-keys", 3)
    # then
    assert len(set(seen)) == 4


def test_list_within_the_limit_has_no_next_cursor(stack):
    # given
    add_system(stack, "one")
    # when
    answer = stack.call("GET", "/systems", query={"limit": "500"})
    # then
    assert [s["id"] for s in answer.body["items"]] == ["one"]
    assert answer.body["nextCursor"] is None


@pytest.mark.parametrize("limit", ["0", "501", "-1", "many"])
def test_limit_out_of_range_is_refused(stack, limit):
    # given / when
    answer = stack.call("GET", "/systems", query={"limit": limit})
    # then
    assert answer.status == 422, answer.body
    assert [d["field"] for d in answer.body["error"]["details"]] == ["query.limit"]


def _cursor(key) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "eyJ9",
        "e30",
        "bm90IGpzb24",
        "%%%",
        _cursor({"gsi1pk": {"S": "TYPE#SYSTEM"}}),
        _cursor({"gsi1pk": {"S": "TYPE#SYSTEM"}, "gsi1sk": {"S": "one"}}),
        _cursor(
            {
                "gsi1pk": {"S": "TYPE#SYSTEM"},
                "gsi1sk": {"N": "1"},
                "pk": {"S": "SYSTEM#one"},
                "sk": {"S": "META"},
            }
        ),
        _cursor(
            {
                "gsi1pk": {"S": "TYPE#SYSTEM"},
                "gsi1sk": {"S": "one"},
                "pk": {"S": "SYSTEM#one"},
                "sk": {"S": "META"},
                "extra": {"S": "x"},
            }
        ),
        _cursor([1, 2]),
    ],
)
def test_garbage_cursor_is_a_bad_request(stack, cursor):
    # given
    add_system(stack, "one")
    # when
    answer = stack.call("GET", "/systems", query={"cursor": cursor})
    # then
    assert answer.status == 400, answer.body
    assert answer.error_code == "BAD_REQUEST"
    assert [d["field"] for d in answer.body["error"]["details"]] == ["query.cursor"]


def test_overlong_cursor_is_refused(stack):
    # given / when
    answer = stack.call("GET", "/systems", query={"cursor": "x" * 5000})
    # then
    assert answer.status == 422, answer.body
    assert [d["field"] for d in answer.body["error"]["details"]] == ["query.cursor"]


def test_cursor_of_another_list_is_a_bad_request(stack):
    # given
    for n in range(3):
        add_system(stack, f"sys-{n}")
        add_configuration(stack, f"cfg-{n}")
    cursor = stack.call("GET", "/configurations", query={"limit": "1"}).body["nextCursor"]
    # when
    answer = stack.call("GET", "/systems", query={"cursor": cursor})
    # then
    assert answer.status == 400, answer.body
    assert answer.error_code == "BAD_REQUEST"
