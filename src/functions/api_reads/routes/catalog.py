"""Reading systems, configurations, assignments, maintenance and strategies."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.http.app import page_view
from shared.http.auth import READER
from shared.http.params import ConfigurationId, Cursor, Limit, SystemId
from shared.services import catalog
from shared.services.context import default_collaborators as collaborators
from shared.strategies import describe, list_strategies

router = Router()


@router.get("/systems", middlewares=READER)
def list_systems(limit: Limit = 100, cursor: Cursor = None) -> dict:
    return page_view(catalog.list_systems(collaborators(), limit=limit, cursor=cursor))


@router.get("/systems/<systemId>", middlewares=READER)
def get_system(systemId: SystemId) -> dict:
    return catalog.get_system(collaborators(), systemId).to_wire()


@router.get("/configurations", middlewares=READER)
def list_configurations(limit: Limit = 100, cursor: Cursor = None) -> dict:
    return page_view(catalog.list_configurations(collaborators(), limit=limit, cursor=cursor))


@router.get("/configurations/<configurationId>", middlewares=READER)
def get_configuration(configurationId: ConfigurationId) -> dict:
    return catalog.get_configuration(collaborators(), configurationId).to_wire()


@router.get("/systems/<systemId>/checks", middlewares=READER)
def list_checks(systemId: SystemId) -> dict:
    return {"items": [a.to_wire() for a in catalog.assignment_views(collaborators(), systemId)]}


@router.get("/systems/<systemId>/maintenances", middlewares=READER)
def list_maintenances(systemId: SystemId) -> dict:
    return {
        "items": [m.to_wire() for m in catalog.list_maintenances(collaborators(), systemId)],
        "nextCursor": None,
    }


@router.get("/strategies", middlewares=READER)
def get_strategies() -> dict:
    return {"items": [describe(s) for s in list_strategies()]}
