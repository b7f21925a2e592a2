"""Availability over a range and the SLA report (JSON, or CSV with `Accept: text/csv`)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.domain.availability_views import SlaReportView, SystemAvailabilityView
from shared.http.answers import answers
from shared.http.auth import READER
from shared.http.params import Moment, SystemId
from shared.http.routes import GuardedRouter
from shared.services import availability, sla
from shared.services.context import default_collaborators as collaborators

router = GuardedRouter()

CSV = "text/csv; charset=utf-8"
Window = Annotated[str | None, Query(pattern=r"^(24h|7d|30d|90d|365d)$")]
From = Annotated[str | None, Query(alias="from", max_length=40)]
Month = Annotated[str | None, Query(max_length=7, description="YYYY-MM (UTC); excludes from/to")]


@router.get(
    "/systems/<systemId>/availability", middlewares=READER, responses=answers(200, SystemAvailabilityView)
)
def get_availability(
    systemId: SystemId, from_: From = None, to: Moment = None, window: Window = None
) -> dict:
    return availability.availability(collaborators(), systemId, start=from_, end=to, window=window).to_wire()


@router.get("/systems/<systemId>/sla", middlewares=READER, responses=answers(200, SlaReportView, text=(CSV,)))
def get_sla(systemId: SystemId, month: Month = None, from_: From = None, to: Moment = None) -> Response[str]:
    report = sla.sla_report(collaborators(), systemId, month=month, start=from_, end=to)
    if "text/csv" in (router.current_event.headers.get("accept") or ""):
        return Response(200, CSV, sla.as_csv(report))
    return Response(200, "application/json", report.model_dump_json(by_alias=True))
