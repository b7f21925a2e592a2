"""Creating, changing and deleting status pages."""

from aws_lambda_powertools.event_handler import Response

from shared.domain.status_pages import StatusPageCreate, StatusPagePatch, StatusPageView
from shared.http.answers import WRITE_ERRORS, answers
from shared.http.app import if_match, json_response, no_content
from shared.http.auth import MANAGER
from shared.http.params import ResourceId
from shared.http.routes import GuardedRouter
from shared.services import status_pages
from shared.services.context import default_collaborators as collaborators

router = GuardedRouter()


@router.post(
    "/status-pages", middlewares=MANAGER, responses=answers(201, StatusPageView, errors=WRITE_ERRORS)
)
def create_status_page(request: StatusPageCreate) -> Response[dict]:
    return json_response(status_pages.create_status_page(collaborators(), request), 201)


@router.patch(
    "/status-pages/<slug>", middlewares=MANAGER, responses=answers(200, StatusPageView, errors=WRITE_ERRORS)
)
def patch_status_page(slug: ResourceId, request: StatusPagePatch) -> dict:
    return status_pages.update_status_page(
        collaborators(), slug, request, expected_version=if_match(router)
    ).to_wire()


@router.delete("/status-pages/<slug>", middlewares=MANAGER, responses=answers(204, errors=WRITE_ERRORS))
def delete_status_page(slug: ResourceId) -> Response[None]:
    status_pages.delete_status_page(collaborators(), slug)
    return no_content()
