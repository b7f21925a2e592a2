"""Reading systems, configurations, assignments, maintenance and strategies."""

from shared.domain.models import ConfigurationView, SystemView
from shared.domain.views import AssignmentList, ConfigurationPage, MaintenanceList, StrategyList, SystemPage
from shared.http.answers import answers
from shared.http.app import page_view
from shared.http.auth import READER
from shared.http.params import ConfigurationId, Cursor, Limit, SystemId
from shared.http.routes import GuardedRouter
from shared.services import assignments, catalog, configurations
from shared.services.context import default_collaborators as collaborators
from shared.strategies import describe, list_strategies

router = GuardedRouter()


@router.get("/systems", middlewares=READER, responses=answers(200, SystemPage))
def list_systems(limit: Limit = 100, cursor: Cursor = None) -> dict:
    return page_view(catalog.list_systems(collaborators(), limit=limit, cursor=cursor))


@router.get("/systems/<systemId>", middlewares=READER, responses=answers(200, SystemView))
def get_system(systemId: SystemId) -> dict:
    return catalog.get_system(collaborators(), systemId).to_wire()


@router.get("/configurations", middlewares=READER, responses=answers(200, ConfigurationPage))
def list_configurations(limit: Limit = 100, cursor: Cursor = None) -> dict:
    return page_view(configurations.list_configurations(collaborators(), limit=limit, cursor=cursor))


@router.get(
    "/configurations/<configurationId>", middlewares=READER, responses=answers(200, ConfigurationView)
)
def get_configuration(configurationId: ConfigurationId) -> dict:
    return configurations.get_configuration(collaborators(), configurationId).to_wire()


@router.get("/systems/<systemId>/checks", middlewares=READER, responses=answers(200, AssignmentList))
def list_checks(systemId: SystemId) -> dict:
    return {"items": [a.to_wire() for a in assignments.assignment_views(collaborators(), systemId)]}


@router.get("/systems/<systemId>/maintenances", middlewares=READER, responses=answers(200, MaintenanceList))
def list_maintenances(systemId: SystemId) -> dict:
    return {
        "items": [m.to_wire() for m in catalog.list_maintenances(collaborators(), systemId)],
        "nextCursor": None,
    }


@router.get("/strategies", middlewares=READER, responses=answers(200, StrategyList))
def get_strategies() -> dict:
    return {"items": [describe(s) for s in list_strategies()]}
