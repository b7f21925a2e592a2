from datetime import timedelta
from tests.integration.api.stack import add_configuration, add_system, assign
from tests.integration.satellite_api.fleet import add_satellite, hold_clock, post_results, result, runs, health


def test_flapping(stack):
    clock = hold_clock()
    eu = add_satellite(stack, "eu-1")
    add_system(stack, "shop"); add_configuration(stack, "web")
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False})
    batch = [result("shop", "web", clock.now - timedelta(seconds=500 - i), status=("healthy" if i % 2 else "unhealthy")) for i in range(200)]
    a = post_results(stack, eu, batch)
    print(a.status, a.body if a.status != 200 else len(a.body["accepted"]))
    assert a.status == 200


def test_spread(stack):
    clock = hold_clock()
    eu = add_satellite(stack, "eu-1")
    add_system(stack, "shop"); add_configuration(stack, "web")
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"], "includeLocal": False})
    batch = [result("shop", "web", clock.now - timedelta(hours=100 - i)) for i in range(100)]
    a = post_results(stack, eu, batch)
    print(a.status, a.body if a.status != 200 else len(a.body["accepted"]))
    assert a.status == 200
