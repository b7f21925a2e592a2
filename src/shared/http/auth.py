"""Route guards: who may call a route. A guard is a Powertools middleware set per route."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from shared import aws
from shared.services import access
from shared.services.context import default_collaborators
from shared.settings import get_settings


def bearer_token(app: APIGatewayHttpResolver) -> str | None:
    header = app.current_event.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@lru_cache(maxsize=1)
def bootstrap_key() -> str:
    """The manager key from settings, or from the Secrets Manager secret the template names."""
    settings = get_settings()
    if settings.admin_api_key or not settings.admin_api_key_secret_arn:
        return settings.admin_api_key
    secret = aws.client("secretsmanager").get_secret_value(SecretId=settings.admin_api_key_secret_arn)
    return secret["SecretString"].strip()


class AccessGuard:
    """A route middleware that admits a caller; `authorize` runs before the request is validated
    (see `shared.http.ordering`), the middleware itself only when nothing authorized yet."""

    def __init__(self, name: str, authorize: Callable[[APIGatewayHttpResolver], None]):
        self.__name__ = name
        self._authorize = authorize

    def authorize(self, app: APIGatewayHttpResolver) -> None:
        if "principal" not in app.context and "satellite" not in app.context:
            self._authorize(app)

    def __call__(self, app: APIGatewayHttpResolver, next_middleware: Callable) -> Response:
        self.authorize(app)
        return next_middleware(app)


def requires(role: str, *, public_status: bool = False) -> AccessGuard:
    """A guard admitting callers whose key grants `role` (anyone for public status reads)."""

    def authorize(app: APIGatewayHttpResolver) -> None:
        if public_status and get_settings().public_status:
            app.append_context(principal=access.Principal("anonymous", "anonymous", "reader"))
            return
        principal = access.authenticate(default_collaborators(), bearer_token(app), bootstrap_key())
        access.require_role(principal, role)
        app.append_context(principal=principal)

    return AccessGuard(f"requires_{role}", authorize)


def _authorize_satellite(app: APIGatewayHttpResolver) -> None:
    satellite = access.authenticate_satellite(default_collaborators(), bearer_token(app))
    app.append_context(satellite=satellite)


satellite_only = AccessGuard("satellite_only", _authorize_satellite)


def _admit_anyone(app: APIGatewayHttpResolver) -> None:
    """Public by design (status pages, badges, the dashboard shell, pings): no key is asked for."""


public = AccessGuard("public", _admit_anyone)

READER = [requires("reader")]
PUBLIC_READER = [requires("reader", public_status=True)]
SERVICE = [requires("service")]
MANAGER = [requires("manager")]
SATELLITE = [satellite_only]
PUBLIC = [public]
