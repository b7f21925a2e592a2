"""Reading status page settings (the pages themselves are StatusPagesFunction's)."""

from shared.domain.status_pages import StatusPageView
from shared.domain.views import StatusPageList
from shared.http.answers import answers
from shared.http.app import page_view
from shared.http.auth import READER
from shared.http.params import Cursor, Limit, ResourceId
from shared.http.routes import GuardedRouter
from shared.services import status_pages
from shared.services.context import default_collaborators as collaborators

router = GuardedRouter()


@router.get("/status-pages", middlewares=READER, responses=answers(200, StatusPageList))
def list_status_pages(limit: Limit = 100, cursor: Cursor = None) -> dict:
    return page_view(status_pages.list_status_pages(collaborators(), limit=limit, cursor=cursor))


@router.get("/status-pages/<slug>", middlewares=READER, responses=answers(200, StatusPageView))
def get_status_page_settings(slug: ResourceId) -> dict:
    return status_pages.get_status_page(collaborators(), slug).to_wire()
