"""Schemathesis against the in-process API (real handlers on moto, routed as template.yaml routes):
every answer must be documented, in its documented content type and schema, and never a 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests.integration.api.stack import ADMIN_KEY, add_configuration, add_system, assign
from tests.integration.api.wsgi_gateway import WsgiGateway

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    unsupported_method,
    ignored_auth,
]
# Not negative_data_rejection: it counts an unknown query parameter as invalid, and the API
# deliberately ignores those (cache busters, tracing parameters).
EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def fleet(stack):
    """A little of everything, so that generated requests sometimes hit existing resources."""
    add_system(stack, "shop")
    add_configuration(stack, "web")
    token = stack.call("POST", "/satellites", {"id": "eu-1", "name": "EU"}).body["token"]
    assign(stack, "shop", "web", {"satelliteIds": ["eu-1"]})
    channel = {"id": "ops", "name": "Ops", "type": "webhook", "config": {"url": "https://example.com/hook"}}
    assert stack.call("POST", "/channels", channel).status == 201
    policy = {"id": "on-call", "name": "On call", "channelIds": ["ops"]}
    assert stack.call("POST", "/alert-policies", policy).status == 201
    return {"manager": ADMIN_KEY, "satellite": token}


@pytest.fixture
def api_schema(stack, fleet):
    gateway = WsgiGateway(stack)
    return schemathesis.openapi.from_wsgi("/openapi.json", gateway)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@pytest.mark.timeout(600)  # a couple of minutes alone; more on a machine shared with other runs
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_only_what_it_documents(case, fleet):
    key = fleet["satellite"] if case.path.startswith("/satellite/") else fleet["manager"]
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)
