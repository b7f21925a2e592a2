"""A system "shop" with a configuration "web", the same way in every store implementation."""

SEEDED_AT = "2030-01-01T00:00:00.000Z"


def seed_shop(store, initial_state: dict) -> None:
    """Create system "shop" (with `initial_state`) and an http configuration "web" checked every minute."""
    store.create_system({"id": "shop", "name": "Shop", "version": 1}, initial_state)
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
