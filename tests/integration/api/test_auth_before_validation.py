"""Who is calling is checked before anything about the request: a caller without a valid key gets
401 and a reader on a manager route 403, whatever the body and query hold (never 400/422/500 first)."""

import re

import pytest

from functions.api_reads.api_document import http_apps
from shared.http.auth import AccessGuard
from tests.integration.api.stack import new_key

MALFORMED_BODY = b'{"name": "\xb2", "deep": ' + b"[" * 100 + b"]" * 100 + b", NaN"
BAD_QUERY = {"limit": "-1", "points": "x", "window": "1y", "from": "yesterday"}


def guarded_routes() -> list[tuple[str, str, str]]:
    """(method, path with placeholder ids, guard name) of every route of every HTTP function."""
    found = set()
    for app in http_apps():
        for route in app._static_routes + app._dynamic_routes:
            guards = [m.__name__ for m in route.middlewares if isinstance(m, AccessGuard)]
            if guards:
                found.add((route.method, re.sub(r"<\w+>", "Not_An_Id!", route.path), guards[0]))
    return sorted(found)


ROUTES = guarded_routes()


def test_every_route_of_every_function_is_guarded():
    # the HTTP functions' routes, less the API's own documents: 37, and 15 of alerting
    assert len(ROUTES) == 52
    assert {guard for _, _, guard in ROUTES} == {
        "requires_reader",
        "requires_manager",
        "requires_service",
        "satellite_only",
    }


@pytest.mark.parametrize("method, path, guard", ROUTES)
def test_no_key_is_unauthenticated_before_any_validation(stack, method, path, guard):
    # when
    answer = stack.call(method, path, key=None, raw_body=MALFORMED_BODY, query=BAD_QUERY)
    # then
    assert (answer.status, answer.error_code) == (401, "UNAUTHENTICATED"), answer.body


@pytest.mark.parametrize("method, path, guard", ROUTES)
def test_unknown_key_is_unauthenticated_before_any_validation(stack, method, path, guard):
    # when
    answer = stack.call(method, path, key="hck_nobody_nothing", raw_body=MALFORMED_BODY, query=BAD_QUERY)
    # then
    assert (answer.status, answer.error_code) == (401, "UNAUTHENTICATED"), answer.body


@pytest.mark.parametrize(
    "method, path, guard", [r for r in ROUTES if r[2] in ("requires_manager", "requires_service")]
)
def test_reader_on_a_manager_or_service_route_is_forbidden_before_any_validation(stack, method, path, guard):
    # given
    reader = new_key(stack, "reader")
    # when
    answer = stack.call(method, path, key=reader, raw_body=MALFORMED_BODY, query=BAD_QUERY)
    # then
    assert (answer.status, answer.error_code) == (403, "FORBIDDEN"), answer.body


@pytest.mark.parametrize("method, path, guard", [r for r in ROUTES if r[2] == "satellite_only"])
def test_a_management_key_on_a_satellite_route_is_unauthenticated_before_any_validation(
    stack, method, path, guard
):
    # when
    answer = stack.call(method, path, raw_body=MALFORMED_BODY, query=BAD_QUERY)
    # then
    assert (answer.status, answer.error_code) == (401, "UNAUTHENTICATED"), answer.body
