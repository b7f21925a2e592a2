"""The whole API in one OpenAPI 3.1 document: every HTTP function's own schema, merged by
Powertools' OpenAPIMerge, with API.md's error shape where Powertools puts its defaults."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from shared.http.auth import public
from shared.http.routes import operations

TITLE = "Serverless Healthcheck"
VERSION = "1.0.0"
DESCRIPTION = (
    "The HTTP contract of docs/api.md. Every error answers `{error: {code, message, details}}`; "
    "a method a path does not take answers 405 `METHOD_NOT_ALLOWED` with an `Allow` header; "
    "429 `THROTTLED` carries `Retry-After` (seconds)."
)
SECURITY = {"bearer": HTTPBearer(description="API key, or a satellite token on /satellite routes")}
_POWERTOOLS_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")
_ERROR_REF = "#/components/schemas/ErrorView"


def http_apps() -> list[APIGatewayHttpResolver]:
    """The resolver of every HTTP function (their modules are the ones the functions run)."""
    from functions.api_mutations.app import app as mutations
    from functions.api_reads.app import app as reads
    from functions.ping.app import app as ping
    from functions.satellite_ingest.app import app as satellite
    from functions.status_pages.app import app as pages

    return [reads, mutations, satellite, pages, ping]


@lru_cache(maxsize=1)
def openapi_document() -> str:
    merge = OpenAPIMerge(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        security_schemes=SECURITY,
        security=[{"bearer": []}],
        on_conflict="error",
    )
    for app in http_apps():
        merge.add_schema(app.get_openapi_schema(title=TITLE, version=VERSION))
    document = with_api_errors(json.loads(merge.get_openapi_json_schema()))
    return json.dumps(without_security(document, public_operations()))


def public_operations() -> set[tuple[str, str]]:
    """(method, OpenAPI path) of the routes whose guard is `public` (see `shared.http.auth.PUBLIC`)."""
    return {
        (method.lower(), path)
        for app in http_apps()
        for method, path, guard in operations(app)
        if guard == public.__name__
    }


def without_security(document: dict[str, Any], operations: set[tuple[str, str]]) -> dict[str, Any]:
    """Public operations ask for no key (Powertools leaves an empty `security` out, so it is set here)."""
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            if (method, path) in operations:
                operation["security"] = []
    return document


def with_api_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Error answers in API.md's shape: Powertools documents its own 422/500 bodies, which we never send."""
    for path_operations in document.get("paths", {}).values():
        for operation in path_operations.values():
            for status, answer in operation.get("responses", {}).items():
                if int(status) in (204, 304):
                    answer.pop("content", None)
                if int(status) >= 400:
                    answer["content"] = {"application/json": {"schema": {"$ref": _ERROR_REF}}}
                if int(status) == 429:
                    answer["headers"] = {
                        "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
                    }
    schemas = document.get("components", {}).get("schemas", {})
    for name in _POWERTOOLS_ERROR_SCHEMAS:
        schemas.pop(name, None)
    return document
