"""Who may call what: reader, service, manager, the bootstrap key, public status, revoked keys,
and satellite tokens refused on management routes."""

import pytest

from tests.integration.api.stack import (
    ADMIN_KEY,
    add_configuration,
    add_system,
    assign,
    configuration_body,
    new_key,
    reconfigure,
    store_items,
)

READS = [
    ("GET", "/systems", None),
    ("GET", "/systems/shop", None),
    ("GET", "/strategies", None),
    ("GET", "/configurations", None),
    ("GET", "/configurations/web", None),
    ("GET", "/systems/shop/checks", None),
    ("GET", "/systems/shop/health", None),
    ("POST", "/health/batch", {"systemIds": ["shop"]}),
    ("GET", "/systems/shop/checks/web/runs", None),
    ("GET", "/systems/shop/checks/web/history", None),
    ("GET", "/systems/shop/transitions", None),
    ("GET", "/systems/shop/availability", None),
    ("GET", "/systems/shop/sla", None),
    ("GET", "/systems/shop/maintenances", None),
]
SERVICE_ONLY = [("GET", "/analysis/runs", None)]
MANAGER_READS = [("GET", "/api-keys", None), ("GET", "/satellites", None)]
MUTATIONS = [
    ("POST", "/api-keys", {"name": "k", "role": "reader"}),
    ("DELETE", "/api-keys/0123456789abcdef0123456789abcdef", None),
    ("POST", "/systems", {"id": "blog", "name": "Blog"}),
    ("PATCH", "/systems/shop", {"name": "Changed"}),
    ("DELETE", "/systems/shop", None),
    ("POST", "/configurations", configuration_body("dns")),
    ("PATCH", "/configurations/web", {"name": "Changed"}),
    ("DELETE", "/configurations/web", None),
    ("POST", "/configurations/web/pause", None),
    ("POST", "/configurations/web/resume", None),
    ("PUT", "/systems/shop/checks/web", {"enabled": False}),
    ("DELETE", "/systems/shop/checks/web", None),
    ("POST", "/systems/shop/checks/web/run", None),
    (
        "POST",
        "/systems/shop/maintenances",
        {
            "title": "t",
            "startsAt": "2030-01-01T00:00:00Z",
            "endsAt": "2030-01-01T01:00:00Z",
            "suppressNotifications": True,
        },
    ),
    ("DELETE", "/systems/shop/maintenances/m1", None),
    ("POST", "/satellites", {"id": "eu-2", "name": "EU 2"}),
    ("POST", "/satellites/eu-1/rotate-token", None),
    ("DELETE", "/satellites/eu-1", None),
]


@pytest.fixture
def world(stack):
    add_system(stack, "shop")
    add_configuration(stack, "web")
    assign(stack, "shop", "web")
    stack.call("POST", "/satellites", {"id": "eu-1", "name": "EU", "region": "eu-west-1"})
    stack.keys = {role: new_key(stack, role) for role in ("reader", "service", "manager")}
    return stack


def answers(stack, routes, key):
    return {f"{method} {path}": stack.call(method, path, body, key=key) for method, path, body in routes}


@pytest.mark.parametrize("role", ["reader", "service", "manager"])
def test_every_role_may_read(world, role):
    # given / when
    answered = answers(world, READS, world.keys[role])
    # then
    assert {route: a.status for route, a in answered.items() if a.status != 200} == {}


@pytest.mark.parametrize("role, allowed", [("reader", False), ("service", True), ("manager", True)])
def test_analysis_feed_needs_the_service_role(world, role, allowed):
    # given / when
    answer = world.call("GET", "/analysis/runs", key=world.keys[role])
    # then
    assert (answer.status, answer.error_code) == ((200, None) if allowed else (403, "FORBIDDEN"))


@pytest.mark.parametrize("role", ["reader", "service"])
def test_manager_routes_are_forbidden_to_other_roles(world, role):
    # given
    before = store_items()
    # when
    answered = answers(world, MUTATIONS + MANAGER_READS, world.keys[role])
    # then
    assert {
        route: (a.status, a.error_code)
        for route, a in answered.items()
        if (a.status, a.error_code) != (403, "FORBIDDEN")
    } == {}
    assert store_items() == before


def test_issued_manager_key_passes_the_guard_of_every_manager_route(world):
    # given / when
    answered = answers(world, MUTATIONS + MANAGER_READS, world.keys["manager"])
    # then
    assert {route: a.body for route, a in answered.items() if a.status in (401, 403)} == {}
    assert answered["POST /systems"].status == 201


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "wrong",
        "hck_0123456789abcdef0123456789abcdef_nope",
        "Bearer",
        "hck_../../etc_x",
        "hcs.",
        ADMIN_KEY + "x",
        ADMIN_KEY[:-1],
    ],
)
def test_missing_or_unknown_key_is_unauthenticated(world, key):
    # given
    before = store_items()
    # when
    answered = answers(world, READS + SERVICE_ONLY + MANAGER_READS + MUTATIONS, key)
    # then
    assert {
        route: (a.status, a.error_code)
        for route, a in answered.items()
        if (a.status, a.error_code) != (401, "UNAUTHENTICATED")
    } == {}
    assert store_items() == before


def test_authorization_without_bearer_scheme_is_unauthenticated(world):
    # given / when
    answer = world.call("GET", "/systems", key=None, headers={"Authorization": f"Basic {ADMIN_KEY}"})
    # then
    assert answer.status == 401


def test_deleted_key_is_refused(world):
    # given
    reader = world.keys["reader"]
    assert world.call("GET", "/systems", key=reader).status == 200
    key_id = next(k["id"] for k in world.call("GET", "/api-keys").body["items"] if k["role"] == "reader")
    # when
    deleted = world.call("DELETE", f"/api-keys/{key_id}")
    # then
    assert deleted.status == 204
    answer = world.call("GET", "/systems", key=reader)
    assert answer.status == 401
    assert answer.error_code == "UNAUTHENTICATED"
    assert world.call("DELETE", f"/api-keys/{key_id}").status == 404


def test_key_with_a_tampered_secret_is_refused(world):
    # given
    reader = world.keys["reader"]
    tampered = reader[:-2] + ("AA" if not reader.endswith("AA") else "BB")
    # when
    answer = world.call("GET", "/systems", key=tampered)
    # then
    assert answer.status == 401


def test_created_key_is_shown_once_and_listed_without_secrets(stack):
    # given
    answer = stack.call("POST", "/api-keys", {"name": "dashboard", "role": "reader"})
    # when
    listed = stack.call("GET", "/api-keys")
    # then
    assert answer.status == 201, answer.body
    assert set(answer.body) == {"apiKey", "key"}
    assert set(answer.body["apiKey"]) == {"id", "name", "role", "createdAt"}
    assert listed.status == 200, listed.body
    [item] = listed.body["items"]
    assert item == answer.body["apiKey"]
    assert answer.body["key"] not in str(listed.body)
    secret = answer.body["key"].removeprefix(f"hck_{item['id']}_")
    assert len(secret) >= 32
    assert secret not in str(store_items())


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "k", "role": "admin"}, "body.role"),
        ({"role": "reader"}, "body.name"),
        ({"name": "k", "role": "reader", "key": "mine"}, "body.key"),
    ],
)
def test_invalid_key_request_is_refused(stack, body, field):
    # given / when
    answer = stack.call("POST", "/api-keys", body)
    # then
    assert answer.status == 422, answer.body
    assert [d["field"] for d in answer.body["error"]["details"]] == [field]
    assert stack.call("GET", "/api-keys").body["items"] == []


def test_satellite_token_is_refused_on_management_routes(world):
    # given
    token = world.call("POST", "/satellites", {"id": "us-1", "name": "US"}).body["token"]
    # when
    answers = [
        world.call(method, path, body, key=token)
        for method, path, body in [
            ("GET", "/systems", None),
            ("GET", "/systems/shop/health", None),
            ("POST", "/systems", {"id": "blog", "name": "Blog"}),
            ("GET", "/satellites", None),
        ]
    ]
    # then
    assert [(a.status, a.error_code) for a in answers] == [(401, "UNAUTHENTICATED")] * 4


def test_public_status_opens_health_reads_only(world):
    # given
    reconfigure(world, HC_PUBLIC_STATUS="true")
    # when
    health = world.call("GET", "/systems/shop/health", key=None)
    batch = world.call("POST", "/health/batch", {"systemIds": ["shop", "ghost"]}, key=None)
    others = [
        world.call(method, path, body, key=None)
        for method, path, body in READS + SERVICE_ONLY + MANAGER_READS + MUTATIONS[:3]
        if path not in ("/systems/shop/health", "/health/batch")
    ]
    # then
    assert health.status == 200, health.body
    assert health.body["systemId"] == "shop"
    assert batch.status == 200, batch.body
    assert batch.body["notFound"] == ["ghost"]
    assert {a.status for a in others} == {401}


def test_without_public_status_health_needs_a_key(world):
    # given / when
    health = world.call("GET", "/systems/shop/health", key=None)
    batch = world.call("POST", "/health/batch", {"systemIds": ["shop"]}, key=None)
    # then
    assert (health.status, batch.status) == (401, 401)
