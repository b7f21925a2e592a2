"""The credential port (API keys, satellites, rate windows) in memory, as `shared.data.access` behaves."""

from __future__ import annotations

from shared.domain.credential_items import ApiKeyItem, SatelliteItem
from shared.domain.errors import ConflictError, NotFoundError
from shared.domain.records import Page
from tests.fakes.memory_pages import page_of


class MemoryCredentials:
    """A part of MemoryStore, which holds the dictionaries."""

    api_keys: dict[str, dict]
    satellites: dict[str, dict]
    assignments: dict[tuple[str, str], dict]
    rate_windows: dict[tuple[str, str], int]

    # --- API keys ------------------------------------------------------------------------

    def create_api_key(self, api_key: ApiKeyItem) -> None:
        if api_key.id in self.api_keys:
            raise ConflictError(f"api key {api_key.id} already exists")
        self.api_keys[api_key.id] = api_key.to_item()

    def get_api_key(self, key_id: str) -> ApiKeyItem | None:
        item = self.api_keys.get(key_id)
        return ApiKeyItem.model_validate(item) if item is not None else None

    def list_api_keys(self, *, limit: int, cursor: str | None) -> Page[ApiKeyItem]:
        page = page_of(self.api_keys, limit=limit, cursor=cursor)
        return Page([ApiKeyItem.model_validate(i) for i in page.items], page.next_cursor)

    def delete_api_key(self, key_id: str) -> None:
        if self.api_keys.pop(key_id, None) is None:
            raise NotFoundError(f"api key {key_id} not found")

    # --- satellites ----------------------------------------------------------------------

    def create_satellite(self, satellite: SatelliteItem) -> SatelliteItem:
        if satellite.id in self.satellites:
            raise ConflictError(f"satellite {satellite.id} already exists")
        self.satellites[satellite.id] = satellite.to_item()
        return satellite

    def get_satellite(self, satellite_id: str) -> SatelliteItem | None:
        item = self.satellites.get(satellite_id)
        return SatelliteItem.model_validate(item) if item is not None else None

    def get_satellites(self, satellite_ids: list[str]) -> dict[str, SatelliteItem]:
        return {
            s: SatelliteItem.model_validate(self.satellites[s]) for s in satellite_ids if s in self.satellites
        }

    def list_satellites(self, *, limit: int, cursor: str | None) -> Page[SatelliteItem]:
        page = page_of(self.satellites, limit=limit, cursor=cursor)
        return Page([SatelliteItem.model_validate(i) for i in page.items], page.next_cursor)

    def replace_satellite_secret(
        self, satellite_id: str, *, salt: str, secret_hash: str, now: str
    ) -> SatelliteItem:
        current = self.satellites.get(satellite_id)
        if current is None:
            raise NotFoundError(f"satellite {satellite_id} not found")
        current |= {
            "tokenSalt": salt,
            "tokenHash": secret_hash,
            "updatedAt": now,
            "version": current.get("version", 1) + 1,
        }
        return SatelliteItem.model_validate(current)

    def touch_satellite(self, satellite_id: str, seen_at: str) -> None:
        satellite = self.satellites.get(satellite_id)
        if satellite is not None and satellite.get("lastSeenAt", "") < seen_at:
            satellite["lastSeenAt"] = seen_at
            satellite.pop("offlineHandled", None)

    def mark_offline_handled(self, satellite_id: str, last_seen_at: str | None) -> bool:
        satellite = self.satellites.get(satellite_id)
        if satellite is None or satellite.get("lastSeenAt") != last_seen_at:
            return False
        satellite["offlineHandled"] = True
        return True

    def take_request_slot(self, owner: str, window: str, *, limit: int, expires_at: int) -> bool:
        taken = self.rate_windows.get((owner, window), 0)
        if taken >= limit:
            return False
        self.rate_windows[(owner, window)] = taken + 1
        return True

    def satellite_links(self, satellite_id: str) -> list[tuple[str, str]]:
        return [key for key, a in sorted(self.assignments.items()) if satellite_id in a["satelliteIds"]]

    def delete_satellite(self, satellite_id: str) -> list[str]:
        if self.satellites.pop(satellite_id, None) is None:
            raise NotFoundError(f"satellite {satellite_id} not found")
        touched = []
        for key in self.satellite_links(satellite_id):
            current = self.assignments[key]
            remaining = [s for s in current["satelliteIds"] if s != satellite_id]
            current |= {"satelliteIds": remaining, "version": current["version"] + 1}
            if not remaining and not current["includeLocal"]:
                current["enabled"] = False
            touched.append(key[0])
        return sorted(set(touched))
