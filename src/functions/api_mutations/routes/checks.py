"""Assigning checks to systems and asking for a run now."""

from aws_lambda_powertools.event_handler import Response

from shared.domain.assignment_models import AssignmentPut, AssignmentView
from shared.domain.views import RunRequested
from shared.http.answers import WRITE_ERRORS, answers
from shared.http.app import if_match, json_response, no_content
from shared.http.auth import MANAGER
from shared.http.params import ConfigurationId, SystemId
from shared.http.routes import GuardedRouter
from shared.services import assignments, scheduling
from shared.services.context import default_collaborators as collaborators

router = GuardedRouter()


@router.put(
    "/systems/<systemId>/checks/<configurationId>",
    middlewares=MANAGER,
    responses=answers(200, AssignmentView, errors=WRITE_ERRORS),
)
def put_check(systemId: SystemId, configurationId: ConfigurationId, request: AssignmentPut) -> dict:
    return assignments.put_assignment(
        collaborators(), systemId, configurationId, request, expected_version=if_match(router)
    ).to_wire()


@router.delete(
    "/systems/<systemId>/checks/<configurationId>",
    middlewares=MANAGER,
    responses=answers(204, errors=WRITE_ERRORS),
)
def delete_check(systemId: SystemId, configurationId: ConfigurationId) -> Response[None]:
    assignments.delete_assignment(collaborators(), systemId, configurationId)
    return no_content()


@router.post(
    "/systems/<systemId>/checks/<configurationId>/run",
    middlewares=MANAGER,
    responses=answers(202, RunRequested, errors=WRITE_ERRORS),
)
def run_check(systemId: SystemId, configurationId: ConfigurationId) -> Response[dict]:
    requested_at = scheduling.request_run(collaborators(), systemId, configurationId)
    return json_response({"runRequestedAt": requested_at}, 202)
