import pytest
from moto import mock_aws

from local.http_gateway import RouteTable
from local.template import Template
from shared.services import context
from tests.integration.api.stack import Stack, apply, create_resources, environment, reset_process_state


@pytest.fixture
def stack(monkeypatch):
    template = Template.load()
    with mock_aws():
        queue_url = create_resources(template)
        for name, value in environment(queue_url).items():
            monkeypatch.setenv(name, value)
        apply({})
        built = Stack(template=template, routes=RouteTable(template.http_routes), queue_url=queue_url)
        real = context.default_collaborators()
        real.publisher = built.published
        yield built
    reset_process_state()
