"""Listing credentials (never their secrets)."""

from shared.domain.views import ApiKeyPage, SatellitePage
from shared.http.answers import answers
from shared.http.app import page_view
from shared.http.auth import MANAGER
from shared.http.params import Cursor, Limit
from shared.http.routes import GuardedRouter
from shared.services import access
from shared.services.context import default_collaborators as collaborators

router = GuardedRouter()


@router.get("/api-keys", middlewares=MANAGER, responses=answers(200, ApiKeyPage))
def list_api_keys(limit: Limit = 100, cursor: Cursor = None) -> dict:
    return page_view(access.list_api_keys(collaborators(), limit=limit, cursor=cursor))


@router.get("/satellites", middlewares=MANAGER, responses=answers(200, SatellitePage))
def list_satellites(limit: Limit = 100, cursor: Cursor = None) -> dict:
    return page_view(access.list_satellites(collaborators(), limit=limit, cursor=cursor))
