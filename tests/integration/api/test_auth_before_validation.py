"""Who is calling is checked before anything about the request: a caller without a valid key gets
401 and a reader on a manager route 403, whatever the body and query hold (never 400/422/500 first)."""

import re

import pytest

from functions.api_reads.api_document import http_apps
from shared.http.routes import operations
from tests.integration.api.stack import new_key

MALFORMED_BODY = b'{"name": "\xb2", "deep": ' + b"[" * 100 + b"]" * 100 + b", NaN"
BAD_QUERY = {"limit": "-1", "points": "x", "window": "1y", "from": "yesterday"}


# Public by design, each with its reason: people look at status pages, badges and the dashboard
# shell (its data comes from keyed routes), and cron jobs ping with the token as their secret.
PUBLIC_ROUTES = {
    ("GET", "/status/{slug}"),
    ("GET", "/badges/{systemId}/status.svg"),
    ("GET", "/badges/{systemId}/uptime.svg"),
    ("GET", "/badges/{systemId}/latency.svg"),
    ("GET", "/ui"),
    ("GET", "/status-assets/{name}"),
    ("GET", "/ping/{token}"),
    ("POST", "/ping/{token}"),
    ("GET", "/ping/{token}/{suffix}"),
    ("POST", "/ping/{token}/{suffix}"),
}


def every_route() -> list[tuple[str, str, str | None]]:
    """(method, OpenAPI path, guard name) of every documented route of every HTTP function."""
    return sorted({operation for app in http_apps() for operation in operations(app)}, key=str)


def guarded_routes() -> list[tuple[str, str, str]]:
    """(method, path with placeholder ids, guard name) of every route that asks for a key."""
    return sorted(
        (method, re.sub(r"\{\w+\}", "Not_An_Id!", path), guard)
        for method, path, guard in every_route()
        if guard != "public"
    )


ROUTES = guarded_routes()


def test_every_route_of_every_function_is_guarded():
    # given
    routes = every_route()
    # then: one guard each (the API's own documents are not in the document, and public)
    assert [(m, p) for m, p, guard in routes if guard is None] == []
    assert {(m, p) for m, p, guard in routes if guard == "public"} == PUBLIC_ROUTES
    # the keyed routes: 38 of the core API, 15 of alerting, 6 of status pages and heartbeats
    assert len(ROUTES) == 59
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
