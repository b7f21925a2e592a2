"""The satellite API: assignments to run, results to record, heartbeats (satellite token only)."""

from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field

from shared.domain.credential_items import SatelliteItem
from shared.domain.errors import PayloadTooLargeError
from shared.domain.views import IngestReportView, SatelliteAssignmentList
from shared.http.answers import SATELLITE_ERRORS, answers
from shared.http.app import json_response, no_content
from shared.http.auth import SATELLITE
from shared.http.routes import GuardedRouter
from shared.services import satellite_ingest
from shared.services.context import default_collaborators as collaborators

router = GuardedRouter()
MAX_RESULTS = 500


class ResultsPost(BaseModel):
    model_config = ConfigDict(extra="forbid")
    results: list[Any] = Field(min_length=1)


class HeartbeatPost(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str | None = Field(None, max_length=64)


def _satellite() -> SatelliteItem:
    satellite = router.context["satellite"]
    satellite_ingest.admit_request(collaborators(), satellite)
    return satellite


def _entity_tags(header: str | None) -> set[str]:
    """The tags of an If-None-Match header (a list; weak tags compare equal for GET)."""
    return {tag.strip().removeprefix("W/") for tag in (header or "").split(",")}


@router.get(
    "/satellite/assignments",
    middlewares=SATELLITE,
    responses=answers(200, SatelliteAssignmentList, errors=SATELLITE_ERRORS) | answers(304, errors=()),
)
def get_assignments() -> Response[dict | None]:  # None: 304 Not Modified
    items, etag = satellite_ingest.assignments_for(collaborators(), _satellite())
    if etag in _entity_tags(router.current_event.headers.get("if-none-match")):
        return Response(status_code=304, body=None, headers={"ETag": etag})
    return json_response({"items": items}, headers={"ETag": etag})


@router.post(
    "/satellite/results",
    middlewares=SATELLITE,
    responses=answers(200, IngestReportView, errors=SATELLITE_ERRORS),
)
def post_results(request: ResultsPost) -> dict:
    if len(request.results) > MAX_RESULTS:
        raise PayloadTooLargeError(
            f"at most {MAX_RESULTS} results per request",
            [{"field": "body.results", "message": f"{len(request.results)} results"}],
        )
    return satellite_ingest.ingest_results(collaborators(), _satellite(), request.results).to_wire()


@router.post("/satellite/heartbeat", middlewares=SATELLITE, responses=answers(204, errors=SATELLITE_ERRORS))
def post_heartbeat(request: HeartbeatPost) -> Response[None]:
    satellite_ingest.heartbeat(collaborators(), _satellite())
    return no_content()
