"""StatusPagesFunction: what people look at. Status pages as HTML (`/status/{slug}`) and JSON
(`/status/{slug}.json`), badges, the operator dashboard shell (`/ui`) and their static assets.
Light on purpose: no probe code, no Redis client unless the cache backend is redis."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.domain.errors import NotFoundError
from shared.domain.status_pages import StatusPageRendered
from shared.domain.wire import ID_PATTERN
from shared.http.answers import answers
from shared.http.app import new_resolver
from shared.http.auth import PUBLIC, bearer_token, bootstrap_key
from shared.http.params import SystemId
from shared.http.routes import GuardedRouter
from shared.observability import logger, metrics
from shared.services import access, badges, status_page_view
from shared.services.context import default_collaborators as collaborators
from shared.web.badges import badge
from shared.web.status_page_html import render_status_page

router = GuardedRouter()
ASSETS = Path(__file__).resolve().parents[2] / "shared" / "web" / "assets"
ASSET_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
PAGE_CACHE = "public, max-age=15"
BADGE_CACHE = "public, max-age=60, s-maxage=60"
HTML = "text/html; charset=utf-8"
SVG = "image/svg+xml"
# Public by design; a page that is not public still asks for a reader key in the route itself.
PAGE = {"middlewares": PUBLIC, "responses": answers(200, StatusPageRendered, text=(HTML,))}
BADGE = {"middlewares": PUBLIC, "responses": answers(200, text=(SVG,))}
BadgeWindow = Annotated[str, Query(pattern=r"^(24h|7d|30d|90d|365d)$")]


def _authorised(public: bool) -> None:
    if not public:
        principal = access.authenticate(collaborators(), bearer_token(router), bootstrap_key())
        access.require_role(principal, "reader")


@router.get("/status/<slug>", compress=True, **PAGE)
def get_status_page(slug: str) -> Response[str]:
    as_json = slug.endswith(".json")
    slug = slug.removesuffix(".json")
    if not re.fullmatch(ID_PATTERN, slug):
        raise NotFoundError(f"status page {slug} not found")
    page = status_page_view.load_page(collaborators(), slug)
    _authorised(page.public)
    kind, content_type, render = (
        ("json", "application/json", _as_json) if as_json else ("html", HTML, render_status_page)
    )
    body = status_page_view.rendered_page(
        collaborators(), page, render, kind=kind, incidents=incidents_reader()
    )
    cache = PAGE_CACHE if page.public else "private, no-store"
    return Response(200, content_type, body, {"Cache-Control": cache})


def _as_json(model: status_page_view.StatusPageRendered) -> str:
    return model.model_dump_json(by_alias=True)


@router.get("/badges/<systemId>/status.svg", **BADGE)
def get_status_badge(systemId: SystemId) -> Response[str]:
    return _svg(badges.status_badge(collaborators(), systemId))


@router.get("/badges/<systemId>/uptime.svg", **BADGE)
def get_uptime_badge(systemId: SystemId, window: BadgeWindow = "30d") -> Response[str]:
    return _svg(badges.uptime_badge(collaborators(), systemId, window))


@router.get("/badges/<systemId>/latency.svg", **BADGE)
def get_latency_badge(systemId: SystemId) -> Response[str]:
    return _svg(badges.latency_badge(collaborators(), systemId))


@router.get("/ui", middlewares=PUBLIC, responses=answers(200, text=(HTML,)))
def get_dashboard() -> Response[str]:
    return _asset("dashboard.html", HTML)


@router.get(
    "/status-assets/<name>", middlewares=PUBLIC, responses=answers(200, text=tuple(ASSET_TYPES.values()))
)
def get_asset(name: str) -> Response[str]:
    suffix = Path(name).suffix
    if suffix not in ASSET_TYPES or "/" in name or name.startswith("."):
        raise NotFoundError(f"no asset {name}")
    return _asset(name, ASSET_TYPES[suffix])


def _asset(name: str, content_type: str) -> Response[str]:
    path = ASSETS / name
    if not path.is_file():
        raise NotFoundError(f"no asset {name}")
    return Response(200, content_type, path.read_text(), {"Cache-Control": "public, max-age=300"})


def _svg(text: badges.BadgeText) -> Response[str]:
    return Response(200, SVG, badge(text.label, text.value, text.colour), {"Cache-Control": BADGE_CACHE})


def incidents_reader() -> status_page_view.IncidentsReader | None:
    """The alerting feature's reader of incidents when it is deployed; None renders no section."""
    return getattr(collaborators(), "incidents", None)


ROUTERS = (router,)
app = new_resolver(ROUTERS)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
