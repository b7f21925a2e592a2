"""Changing systems, configurations and maintenance windows."""

from aws_lambda_powertools.event_handler import Response

from shared.domain.models import (
    ConfigurationCreate,
    ConfigurationPatch,
    ConfigurationView,
    MaintenanceCreate,
    MaintenanceView,
    SystemCreate,
    SystemPatch,
    SystemView,
)
from shared.http.answers import WRITE_ERRORS, answers
from shared.http.app import if_match, json_response, no_content
from shared.http.auth import MANAGER
from shared.http.params import ConfigurationId, ResourceId, SystemId
from shared.http.routes import GuardedRouter
from shared.services import catalog, configurations
from shared.services.context import default_collaborators as collaborators

router = GuardedRouter()


@router.post("/systems", middlewares=MANAGER, responses=answers(201, SystemView, errors=WRITE_ERRORS))
def create_system(request: SystemCreate) -> Response[dict]:
    return json_response(catalog.create_system(collaborators(), request), 201)


@router.patch(
    "/systems/<systemId>", middlewares=MANAGER, responses=answers(200, SystemView, errors=WRITE_ERRORS)
)
def patch_system(systemId: SystemId, request: SystemPatch) -> dict:
    return catalog.update_system(
        collaborators(), systemId, request, expected_version=if_match(router)
    ).to_wire()


@router.delete("/systems/<systemId>", middlewares=MANAGER, responses=answers(204, errors=WRITE_ERRORS))
def delete_system(systemId: SystemId) -> Response[None]:
    catalog.delete_system(collaborators(), systemId)
    return no_content()


@router.post(
    "/configurations", middlewares=MANAGER, responses=answers(201, ConfigurationView, errors=WRITE_ERRORS)
)
def create_configuration(request: ConfigurationCreate) -> Response[dict]:
    return json_response(configurations.create_configuration(collaborators(), request), 201)


@router.patch(
    "/configurations/<configurationId>",
    middlewares=MANAGER,
    responses=answers(200, ConfigurationView, errors=WRITE_ERRORS),
)
def patch_configuration(configurationId: ConfigurationId, request: ConfigurationPatch) -> dict:
    return configurations.update_configuration(
        collaborators(), configurationId, request, expected_version=if_match(router)
    ).to_wire()


@router.delete(
    "/configurations/<configurationId>", middlewares=MANAGER, responses=answers(204, errors=WRITE_ERRORS)
)
def delete_configuration(configurationId: ConfigurationId) -> Response[None]:
    configurations.delete_configuration(collaborators(), configurationId)
    return no_content()


@router.post(
    "/configurations/<configurationId>/pause",
    middlewares=MANAGER,
    responses=answers(200, ConfigurationView, errors=WRITE_ERRORS),
)
def pause_configuration(configurationId: ConfigurationId) -> dict:
    return configurations.set_configuration_paused(collaborators(), configurationId, True).to_wire()


@router.post(
    "/configurations/<configurationId>/resume",
    middlewares=MANAGER,
    responses=answers(200, ConfigurationView, errors=WRITE_ERRORS),
)
def resume_configuration(configurationId: ConfigurationId) -> dict:
    return configurations.set_configuration_paused(collaborators(), configurationId, False).to_wire()


@router.post(
    "/systems/<systemId>/maintenances",
    middlewares=MANAGER,
    responses=answers(201, MaintenanceView, errors=WRITE_ERRORS),
)
def create_maintenance(systemId: SystemId, request: MaintenanceCreate) -> Response[dict]:
    return json_response(catalog.create_maintenance(collaborators(), systemId, request), 201)


@router.delete(
    "/systems/<systemId>/maintenances/<maintenanceId>",
    middlewares=MANAGER,
    responses=answers(204, errors=WRITE_ERRORS),
)
def delete_maintenance(systemId: SystemId, maintenanceId: ResourceId) -> Response[None]:
    catalog.delete_maintenance(collaborators(), systemId, maintenanceId)
    return no_content()
