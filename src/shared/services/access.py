"""Credentials: API keys with roles, the bootstrap manager key, and satellite tokens.

Keys and tokens are random, shown once, stored as a salted SHA-256 and compared in constant
time. A key names its own id (`hck_<id>_<secret>`, `hcs.<satelliteId>.<secret>`), so checking
one is a single consistent read, never a scan.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from shared.domain.access_models import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyView,
    SatelliteCreate,
    SatelliteCreated,
    SatelliteView,
)
from shared.domain.credential_items import ApiKeyItem, SatelliteItem
from shared.domain.errors import ForbiddenError, NotFoundError, UnauthenticatedError
from shared.domain.wire import format_timestamp
from shared.services.context import Collaborators

API_KEY_PREFIX = "hck_"
SATELLITE_TOKEN_PREFIX = "hcs."
ROLE_GRANTS = {
    "reader": {"reader"},
    "service": {"reader", "service"},
    "manager": {"reader", "service", "manager"},
}


@dataclass(frozen=True)
class Principal:
    kind: str  # "api-key" | "bootstrap" | "satellite" | "anonymous"
    id: str
    role: str

    def may(self, role: str) -> bool:
        """Whether this principal's role grants `role`."""
        return role in ROLE_GRANTS.get(self.role, set())


def _salted_hash(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def _new_secret() -> tuple[str, str, str]:
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    return secret, salt, _salted_hash(salt, secret)


def _matches(stored: ApiKeyItem | SatelliteItem, secret: str) -> bool:
    return hmac.compare_digest(_salted_hash(stored.token_salt, secret), stored.token_hash)


# --- API keys ----------------------------------------------------------------------------------


def create_api_key(c: Collaborators, request: ApiKeyCreate) -> ApiKeyCreated:
    """Create an API key; its secret is returned once and stored only as a salted hash."""
    key_id = uuid.uuid4().hex
    secret, salt, digest = _new_secret()
    api_key = ApiKeyItem(
        id=key_id,
        name=request.name,
        role=request.role,
        created_at=format_timestamp(c.clock()),
        token_salt=salt,
        token_hash=digest,
    )
    c.repository.create_api_key(api_key)
    return ApiKeyCreated(api_key=api_key_view(api_key), key=f"{API_KEY_PREFIX}{key_id}_{secret}")


def api_key_view(api_key: ApiKeyItem) -> ApiKeyView:
    """An API key as the API shows it: never its salt or hash."""
    return ApiKeyView(id=api_key.id, name=api_key.name, role=api_key.role, created_at=api_key.created_at)


def list_api_keys(c: Collaborators, *, limit: int, cursor: str | None) -> dict:
    """A page of API keys, without their secrets."""
    page = c.repository.list_api_keys(limit=limit, cursor=cursor)
    return {"items": [api_key_view(i) for i in page.items], "next_cursor": page.next_cursor}


def delete_api_key(c: Collaborators, key_id: str) -> None:
    """Revoke an API key."""
    c.repository.delete_api_key(key_id)


def authenticate(c: Collaborators, bearer: str | None, bootstrap_key: str) -> Principal:
    """Who holds this management key; a satellite token is refused here."""
    if not bearer:
        raise UnauthenticatedError("an API key is required")
    if bearer.startswith(SATELLITE_TOKEN_PREFIX):
        raise UnauthenticatedError("satellite tokens are accepted on /satellite routes only")
    if bootstrap_key and hmac.compare_digest(
        hashlib.sha256(bearer.encode()).digest(), hashlib.sha256(bootstrap_key.encode()).digest()
    ):
        return Principal("bootstrap", "bootstrap", "manager")
    key_id, _, secret = bearer.removeprefix(API_KEY_PREFIX).partition("_")
    if not bearer.startswith(API_KEY_PREFIX) or not secret or len(key_id) != 32 or not key_id.isalnum():
        raise UnauthenticatedError("unknown API key")
    stored = c.repository.get_api_key(key_id)
    if stored is None or not _matches(stored, secret):
        raise UnauthenticatedError("unknown or revoked API key")
    return Principal("api-key", key_id, stored.role)


def require_role(principal: Principal, role: str) -> None:
    """Refuse a principal whose role is below the one a route needs."""
    if not principal.may(role):
        raise ForbiddenError(f"this route needs the {role} role")


# --- satellites --------------------------------------------------------------------------------


def satellite_view(satellite: SatelliteItem, now: datetime) -> SatelliteView:
    """A satellite as the API shows it, with its online status at `now`: never its salt or hash."""
    return SatelliteView(
        id=satellite.id,
        name=satellite.name,
        region=satellite.region,
        created_at=satellite.created_at,
        last_seen_at=satellite.last_seen_at,
        online=not satellite.offline_at(now),
    )


def create_satellite(c: Collaborators, request: SatelliteCreate) -> SatelliteCreated:
    """Register a satellite; its token is returned once and stored only as a salted hash."""
    now = c.clock()
    secret, salt, digest = _new_secret()
    satellite = SatelliteItem(
        id=request.id or str(uuid.uuid4()),
        name=request.name,
        region=request.region,
        heartbeat_interval_seconds=request.heartbeat_interval_seconds,
        created_at=format_timestamp(now),
        version=1,
        token_salt=salt,
        token_hash=digest,
    )
    c.repository.create_satellite(satellite)
    return SatelliteCreated(
        satellite=satellite_view(satellite, now), token=f"{SATELLITE_TOKEN_PREFIX}{satellite.id}.{secret}"
    )


def list_satellites(c: Collaborators, *, limit: int, cursor: str | None) -> dict:
    """A page of satellites with their online status."""
    page = c.repository.list_satellites(limit=limit, cursor=cursor)
    now = c.clock()
    return {"items": [satellite_view(i, now) for i in page.items], "next_cursor": page.next_cursor}


def rotate_satellite_token(c: Collaborators, satellite_id: str) -> SatelliteCreated:
    """Give a satellite a new token; the old one stops working at once."""
    now = c.clock()
    secret, salt, digest = _new_secret()
    satellite = c.repository.replace_satellite_secret(
        satellite_id, salt=salt, secret_hash=digest, now=format_timestamp(now)
    )
    return SatelliteCreated(
        satellite=satellite_view(satellite, now), token=f"{SATELLITE_TOKEN_PREFIX}{satellite_id}.{secret}"
    )


def delete_satellite(c: Collaborators, satellite_id: str) -> None:
    """Delete a satellite, take it out of every assignment and re-evaluate the systems it served."""
    from shared.services import outbox
    from shared.services.health_state import reevaluate_systems

    touched = c.repository.delete_satellite(satellite_id)
    outbox.publish_change(c, reevaluate_systems(c, touched), every_system=True)


def authenticate_satellite(c: Collaborators, bearer: str | None) -> SatelliteItem:
    """The satellite holding this token; management keys are refused on satellite routes."""
    if not bearer:
        raise UnauthenticatedError("a satellite token is required")
    if not bearer.startswith(SATELLITE_TOKEN_PREFIX):
        raise UnauthenticatedError("management keys are not accepted on /satellite routes")
    satellite_id, _, secret = bearer.removeprefix(SATELLITE_TOKEN_PREFIX).partition(".")
    if not satellite_id or not secret or len(satellite_id) > 63:
        raise UnauthenticatedError("unknown satellite token")
    satellite = c.repository.get_satellite(satellite_id)
    if satellite is None or not _matches(satellite, secret):
        raise UnauthenticatedError("unknown or revoked satellite token")
    return satellite


def get_satellite(c: Collaborators, satellite_id: str) -> SatelliteItem:
    """The stored satellite, or NotFoundError."""
    satellite = c.repository.get_satellite(satellite_id)
    if satellite is None:
        raise NotFoundError(f"satellite {satellite_id} not found")
    return satellite
