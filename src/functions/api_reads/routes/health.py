"""System health through the status cache, history and availability."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.domain.errors import PayloadTooLargeError
from shared.domain.health_views import (
    HistoryView,
    SystemHealthView,
)
from shared.domain.models import (
    HEALTH_BATCH_LIMIT,
    HealthBatchRequest,
)
from shared.domain.views import AnalysisRunsView, HealthBatchView, RunPage, TransitionPage
from shared.http.answers import READ_ERRORS, answers
from shared.http.app import page_view
from shared.http.auth import PUBLIC_READER, READER, SERVICE
from shared.http.params import ConfigurationId, Cursor, Limit, Moment, SystemId
from shared.http.routes import GuardedRouter
from shared.services import analysis_feed, health_read, history
from shared.services.context import default_collaborators as collaborators

router = GuardedRouter()

Source = Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
RunStatusFilter = Annotated[str | None, Query(pattern=r"^(healthy|degraded|unhealthy)$")]
From = Annotated[str | None, Query(alias="from", max_length=40)]


@router.get("/systems/<systemId>/health", middlewares=PUBLIC_READER, responses=answers(200, SystemHealthView))
def get_health(systemId: SystemId) -> dict:
    return health_read.system_health(collaborators(), systemId)


@router.post(
    "/health/batch",
    middlewares=PUBLIC_READER,
    responses=answers(200, HealthBatchView, errors=(*READ_ERRORS, 413)),
)
def post_health_batch(request: HealthBatchRequest) -> dict:
    if len(request.system_ids) > HEALTH_BATCH_LIMIT:
        raise PayloadTooLargeError(
            f"at most {HEALTH_BATCH_LIMIT} systemIds per request",
            [{"field": "body.systemIds", "message": f"{len(request.system_ids)} ids"}],
        )
    return health_read.health_batch(collaborators(), request.system_ids)


@router.get(
    "/systems/<systemId>/checks/<configurationId>/runs", middlewares=READER, responses=answers(200, RunPage)
)
def list_runs(
    systemId: SystemId,
    configurationId: ConfigurationId,
    from_: From = None,
    to: Moment = None,
    source: Source = None,
    status: RunStatusFilter = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict:
    return page_view(
        history.list_runs(
            collaborators(),
            systemId,
            configurationId,
            start=from_,
            end=to,
            source=source,
            status=status,
            limit=limit,
            cursor=cursor,
        )
    )


@router.get(
    "/systems/<systemId>/checks/<configurationId>/history",
    middlewares=READER,
    responses=answers(200, HistoryView),
)
def get_history(
    systemId: SystemId,
    configurationId: ConfigurationId,
    from_: From = None,
    to: Moment = None,
    points: Annotated[int, Query(ge=10, le=2000)] = 500,
    source: Source = None,
) -> dict:
    return history.history(
        collaborators(), systemId, configurationId, start=from_, end=to, points=points, source=source
    ).to_wire()


@router.get("/systems/<systemId>/transitions", middlewares=READER, responses=answers(200, TransitionPage))
def list_transitions(
    systemId: SystemId, from_: From = None, to: Moment = None, limit: Limit = 100, cursor: Cursor = None
) -> dict:
    return page_view(
        history.list_transitions(collaborators(), systemId, start=from_, end=to, limit=limit, cursor=cursor)
    )


@router.get("/analysis/runs", middlewares=SERVICE, responses=answers(200, AnalysisRunsView))
def get_analysis_runs(
    since: Moment = None,
    limitPerAssignment: Annotated[int, Query(ge=1, le=1000)] = 200,
    cursor: Cursor = None,
) -> dict:
    return analysis_feed.analysis_runs(
        collaborators(), since=since, limit_per_assignment=limitPerAssignment, cursor=cursor
    )
