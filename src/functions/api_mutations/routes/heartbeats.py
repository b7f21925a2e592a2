"""Issuing the ping token of a heartbeat check (shown once)."""

from aws_lambda_powertools.event_handler import Response

from shared.domain.views import PingTokenIssued
from shared.http.answers import WRITE_ERRORS, answers
from shared.http.app import json_response
from shared.http.auth import MANAGER
from shared.http.params import ConfigurationId, SystemId
from shared.http.routes import GuardedRouter
from shared.services import heartbeats
from shared.services.context import default_collaborators as collaborators

router = GuardedRouter()


@router.post(
    "/systems/<systemId>/checks/<configurationId>/ping-token",
    middlewares=MANAGER,
    responses=answers(201, PingTokenIssued, errors=WRITE_ERRORS),
)
def post_ping_token(systemId: SystemId, configurationId: ConfigurationId) -> Response[dict]:
    return json_response(heartbeats.issue_ping_token(collaborators(), systemId, configurationId), 201)
