"""Issuing and revoking API keys and satellite tokens."""

from aws_lambda_powertools.event_handler import Response

from shared.domain.access_models import ApiKeyCreate, ApiKeyCreated, SatelliteCreate, SatelliteCreated
from shared.http.answers import WRITE_ERRORS, answers
from shared.http.app import json_response, no_content
from shared.http.auth import MANAGER
from shared.http.params import ResourceId
from shared.http.routes import GuardedRouter
from shared.services import access
from shared.services.context import default_collaborators as collaborators

router = GuardedRouter()


@router.post("/api-keys", middlewares=MANAGER, responses=answers(201, ApiKeyCreated, errors=WRITE_ERRORS))
def create_api_key(request: ApiKeyCreate) -> Response[dict]:
    return json_response(access.create_api_key(collaborators(), request), 201)


@router.delete("/api-keys/<id>", middlewares=MANAGER, responses=answers(204, errors=WRITE_ERRORS))
def delete_api_key(id: ResourceId) -> Response[None]:
    access.delete_api_key(collaborators(), id)
    return no_content()


@router.post(
    "/satellites", middlewares=MANAGER, responses=answers(201, SatelliteCreated, errors=WRITE_ERRORS)
)
def create_satellite(request: SatelliteCreate) -> Response[dict]:
    return json_response(access.create_satellite(collaborators(), request), 201)


@router.post(
    "/satellites/<satelliteId>/rotate-token",
    middlewares=MANAGER,
    responses=answers(200, SatelliteCreated, errors=WRITE_ERRORS),
)
def rotate_satellite_token(satelliteId: ResourceId) -> dict:
    return access.rotate_satellite_token(collaborators(), satelliteId).to_wire()


@router.delete("/satellites/<satelliteId>", middlewares=MANAGER, responses=answers(204, errors=WRITE_ERRORS))
def delete_satellite(satelliteId: ResourceId) -> Response[None]:
    access.delete_satellite(collaborators(), satelliteId)
    return no_content()
