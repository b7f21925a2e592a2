"""Annotated parameter types shared by the HTTP routes (validated by Powertools)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared.domain.models import ID_PATTERN

SystemId = Annotated[str, Path(pattern=ID_PATTERN)]
ConfigurationId = Annotated[str, Path(pattern=ID_PATTERN)]
ResourceId = Annotated[str, Path(pattern=ID_PATTERN)]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=4096)]
Moment = Annotated[str | None, Query(max_length=40)]
