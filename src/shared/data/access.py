"""API keys and satellites: the credentials of the system, stored only as salted hashes."""

from __future__ import annotations

from shared.data import keys
from shared.data.base import TableBase, strip_keys
from shared.data.table import plain_key
from shared.domain.credential_items import ApiKeyItem, SatelliteItem
from shared.domain.errors import ConflictError, NotFoundError
from shared.domain.records import Page


class AccessStore(TableBase):
    # --- API keys ------------------------------------------------------------------------

    def create_api_key(self, api_key: ApiKeyItem) -> None:
        keyed = keys.api_key_key(api_key.id) | keys.type_index("APIKEY", api_key.id)
        if not self._put(plain_key(keyed) | api_key.to_item(), condition="attribute_not_exists(pk)"):
            raise ConflictError(f"api key {api_key.id} already exists")

    def get_api_key(self, key_id: str) -> ApiKeyItem | None:
        item = self._get(keys.api_key_key(key_id))
        return ApiKeyItem.model_validate(strip_keys(item)) if item else None

    def list_api_keys(self, *, limit: int, cursor: str | None) -> Page[ApiKeyItem]:
        page = self._list_type("APIKEY", limit=limit, cursor=cursor)
        return Page([ApiKeyItem.model_validate(strip_keys(i)) for i in page.items], page.next_cursor)

    def delete_api_key(self, key_id: str) -> None:
        if self._delete(keys.api_key_key(key_id), condition="attribute_exists(pk)") is None:
            raise NotFoundError(f"api key {key_id} not found")

    # --- satellites ----------------------------------------------------------------------

    def create_satellite(self, satellite: SatelliteItem) -> SatelliteItem:
        keyed = keys.satellite_key(satellite.id) | keys.type_index("SATELLITE", satellite.id)
        if not self._put(plain_key(keyed) | satellite.to_item(), condition="attribute_not_exists(pk)"):
            raise ConflictError(f"satellite {satellite.id} already exists")
        return satellite

    def get_satellite(self, satellite_id: str) -> SatelliteItem | None:
        item = self._get(keys.satellite_key(satellite_id))
        return SatelliteItem.model_validate(strip_keys(item)) if item else None

    def get_satellites(self, satellite_ids: list[str]) -> dict[str, SatelliteItem]:
        found = self._batch_get([keys.satellite_key(s) for s in sorted(set(satellite_ids))])
        return {item["id"]: SatelliteItem.model_validate(strip_keys(item)) for item in found}

    def list_satellites(self, *, limit: int, cursor: str | None) -> Page[SatelliteItem]:
        page = self._list_type("SATELLITE", limit=limit, cursor=cursor)
        return Page([SatelliteItem.model_validate(strip_keys(i)) for i in page.items], page.next_cursor)

    def replace_satellite_secret(
        self, satellite_id: str, *, salt: str, secret_hash: str, now: str
    ) -> SatelliteItem:
        """Swap the stored token hash: the old token stops working at once."""

        def attempt() -> SatelliteItem:
            current = self._get(keys.satellite_key(satellite_id))
            if current is None:
                raise NotFoundError(f"satellite {satellite_id} not found")
            updated = current | {
                "tokenSalt": salt,
                "tokenHash": secret_hash,
                "updatedAt": now,
                "version": current.get("version", 1) + 1,
            }
            self._transact([self.put_op(updated, "version = :v", {":v": current.get("version", 1)})])
            return SatelliteItem.model_validate(strip_keys(updated))

        return self._retry_conflicts(attempt)

    def touch_satellite(self, satellite_id: str, seen_at: str) -> None:
        """Record when a satellite was last heard from (never moves backwards)."""
        self._update(
            keys.satellite_key(satellite_id),
            "SET lastSeenAt = :seen REMOVE offlineHandled",
            condition="attribute_exists(pk) AND (attribute_not_exists(lastSeenAt) OR lastSeenAt < :seen)",
            values={":seen": seen_at},
        )

    def mark_offline_handled(self, satellite_id: str, last_seen_at: str | None) -> bool:
        """Remember that a satellite's going offline was evaluated, unless it was heard from since."""
        condition = "attribute_exists(pk) AND " + (
            "lastSeenAt = :seen" if last_seen_at else "attribute_not_exists(lastSeenAt)"
        )
        values = {":seen": last_seen_at} if last_seen_at else {}
        return self._update(
            keys.satellite_key(satellite_id),
            "SET offlineHandled = :yes",
            condition=condition,
            values={":yes": True} | values,
        )

    def take_request_slot(self, owner: str, window: str, *, limit: int, expires_at: int) -> bool:
        """Count one request in a fixed window; False once the window holds `limit` requests."""
        return self._update(
            keys.rate_window_key(owner, window),
            "ADD requests :one SET expiresAt = :expires",
            condition="attribute_not_exists(requests) OR requests < :limit",
            values={":one": 1, ":limit": limit, ":expires": expires_at},
        )

    def satellite_links(self, satellite_id: str) -> list[tuple[str, str]]:
        links = self._query_all(keys.satellite_partition(satellite_id), sk_prefix="ASSIGN#")
        return [(link["systemId"], link["configurationId"]) for link in links]

    def delete_satellite(self, satellite_id: str) -> list[str]:
        """Delete a satellite and take it out of every assignment; returns the systems touched."""
        if self._delete(keys.satellite_key(satellite_id), condition="attribute_exists(pk)") is None:
            raise NotFoundError(f"satellite {satellite_id} not found")
        touched = []
        for system_id, configuration_id in self.satellite_links(satellite_id):

            def attempt(system_id: str = system_id, configuration_id: str = configuration_id) -> None:
                current = self._get(keys.assignment_key(system_id, configuration_id))
                link = keys.satellite_link_key(satellite_id, system_id, configuration_id)
                operations = [self.delete_op(link)]
                if current is not None and satellite_id in current["satelliteIds"]:
                    remaining = [s for s in current["satelliteIds"] if s != satellite_id]
                    updated = current | {"satelliteIds": remaining, "version": current["version"] + 1}
                    if not remaining and not current["includeLocal"]:
                        updated["enabled"] = False  # no source left: keep the check but stop expecting runs
                    operations.append(self.put_op(updated, "version = :v", {":v": current["version"]}))
                self._transact(operations)

            self._retry_conflicts(attempt)
            touched.append(system_id)
        return sorted(set(touched))
