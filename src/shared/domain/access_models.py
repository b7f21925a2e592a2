"""API keys and satellites of API.md: what an administrator creates and what the API answers."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from shared.domain.wire import Name, ResourceId, Role, Timestamp
from shared.domain.wire import RequestModel as _Request
from shared.domain.wire import WireModel as _Model


class ApiKeyCreate(_Request):
    name: Name
    role: Role


class ApiKeyView(_Model):
    id: str
    name: str
    role: Role
    created_at: Timestamp


class ApiKeyCreated(_Model):
    api_key: ApiKeyView
    key: str


class SatelliteCreate(_Request):
    id: ResourceId | None = None
    name: Name
    region: Annotated[str, StringConstraints(max_length=64)] = ""
    heartbeat_interval_seconds: int = Field(30, ge=5, le=3600)


class SatelliteView(_Model):
    id: str
    name: str
    region: str
    created_at: Timestamp
    last_seen_at: Timestamp | None
    online: bool


class SatelliteCreated(_Model):
    satellite: SatelliteView
    token: str
