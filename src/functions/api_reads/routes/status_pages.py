"""Reading status page settings (the pages themselves are StatusPagesFunction's)."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.http.app import page_view
from shared.http.auth import READER
from shared.http.params import Cursor, Limit, ResourceId
from shared.services import status_pages
from shared.services.context import default_collaborators as collaborators

router = Router()


@router.get("/status-pages", middlewares=READER)
def list_status_pages(limit: Limit = 100, cursor: Cursor = None) -> dict:
    return page_view(status_pages.list_status_pages(collaborators(), limit=limit, cursor=cursor))


@router.get("/status-pages/<slug>", middlewares=READER)
def get_status_page_settings(slug: ResourceId) -> dict:
    return status_pages.get_status_page(collaborators(), slug).to_wire()
