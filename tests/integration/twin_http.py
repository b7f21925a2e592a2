"""Calls to a running local twin (`start_local_stack`) over HTTP, as a user's curl would make them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

REQUEST_SECONDS = 30


def call(base_url: str, method: str, path: str, body=None, *, key: str | None = None) -> tuple[int, object]:
    """(status, parsed JSON body); `body` is sent as JSON, or as is when it is bytes."""
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {key}"} if key else {})
    data = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base_url + path, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_SECONDS) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def ok(answer: tuple[int, object]):
    """The body of a successful answer; fails the test with the body otherwise."""
    status, body = answer
    assert status < 300, body
    return body
