"""A system "shop" with a configuration "web", the same way in every store implementation."""

from typing import Any

from shared.domain.catalog_items import ConfigurationItem, SystemItem
from shared.domain.state_items import SystemStateItem

SEEDED_AT = "2030-01-01T00:00:00.000Z"


def configuration_item(
    configuration_id: str,
    name: str | None = None,
    *,
    strategy_id: str = "http",
    interval_seconds: int = 60,
    **fields: Any,
) -> ConfigurationItem:
    """A configuration as the tests seed it: unpaused, a 10 s timeout, version 1, created at SEEDED_AT."""
    return ConfigurationItem.model_validate(
        {
            "id": configuration_id,
            "name": name or configuration_id.title(),
            "strategyId": strategy_id,
            "intervalSeconds": interval_seconds,
            "timeoutSeconds": 10,
            "createdAt": SEEDED_AT,
            "updatedAt": SEEDED_AT,
            "version": 1,
        }
        | fields
    )


def seed_shop(store, initial_state: SystemStateItem) -> None:
    """Create system "shop" (with `initial_state`) and an http configuration "web" checked every minute."""
    shop = SystemItem(id="shop", name="Shop", created_at=SEEDED_AT, updated_at=SEEDED_AT, version=1)
    store.create_system(shop, initial_state)
    store.create_configuration(configuration_item("web"))
