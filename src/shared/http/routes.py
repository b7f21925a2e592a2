"""Routes as the OpenAPI document lists them: each keyed route carries its guard (`x-guard`), and the
methods a path takes are read from the same document, so nothing reads a resolver's private tables."""

from __future__ import annotations

import inspect
import re
from functools import cache, lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.http.auth import AccessGuard

GUARD_EXTENSION = "x-guard"
_ROUTE_PARAMETERS = inspect.signature(Router.route)


class GuardedRouter(Router):
    """A Powertools router that writes each route's access guard into its OpenAPI operation."""

    def route(self, *args: Any, **kwargs: Any):
        bound = _ROUTE_PARAMETERS.bind(self, *args, **kwargs)
        guards = [m for m in bound.arguments.get("middlewares") or () if isinstance(m, AccessGuard)]
        if guards:
            extensions = dict(bound.arguments.get("openapi_extensions") or {})
            extensions[GUARD_EXTENSION] = guards[0].__name__
            bound.arguments["openapi_extensions"] = extensions
        return super().route(*bound.args[1:], **bound.kwargs)


@cache
def operations(app: APIGatewayHttpResolver) -> tuple[tuple[str, str, str | None], ...]:
    """(METHOD, OpenAPI path, guard name) of every documented operation of `app`."""
    document = app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)
    return tuple(
        (method.upper(), path, operation.get(GUARD_EXTENSION))
        for path, methods in document.get("paths", {}).items()
        for method, operation in methods.items()
    )


@lru_cache(maxsize=512)
def path_pattern(openapi_path: str) -> re.Pattern[str]:
    """The request paths an OpenAPI path template (`/systems/{id}`) stands for."""
    parts = re.split(r"(\{[^}/]+\})", openapi_path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def allowed_methods(apps: list[APIGatewayHttpResolver], path: str) -> list[str]:
    """The methods the apps' documented routes take on `path` (empty when no route has that path)."""
    return sorted(
        {
            method
            for app in apps
            for method, openapi_path, _ in operations(app)
            if path_pattern(openapi_path).match(path)
        }
    )
