"""A system "shop" with a configuration "web", the same way in every store implementation."""

from shared.domain.catalog_items import SystemItem
from shared.domain.state_items import SystemStateItem

SEEDED_AT = "2030-01-01T00:00:00.000Z"


def seed_shop(store, initial_state: SystemStateItem) -> None:
    """Create system "shop" (with `initial_state`) and an http configuration "web" checked every minute."""
    shop = SystemItem(id="shop", name="Shop", created_at=SEEDED_AT, updated_at=SEEDED_AT, version=1)
    store.create_system(shop, initial_state)
    store.create_configuration(
        {
            "id": "web",
            "name": "Web",
            "strategyId": "http",
            "paused": False,
            "intervalSeconds": 60,
            "version": 1,
        }
    )
