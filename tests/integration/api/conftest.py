import os
from functools import lru_cache

import botocore.session
import pytest
from moto import mock_aws

from local.http_gateway import RouteTable
from local.template import Template
from shared.services import context
from tests.integration.api.stack import Stack, apply, create_resources, environment, reset_process_state
from tests.moto_serial import serialised_requests


@pytest.fixture(scope="session", autouse=True)
def shared_botocore_loader():
    """shared.aws builds each client from a new Session, which re-parses the service models (~0.1 s a
    client); tests share one loader so a fresh stack per test stays cheap. The models are read-only."""
    with pytest.MonkeyPatch.context() as patch:
        shared_loader = lru_cache(maxsize=None)(botocore.session.create_loader)
        patch.setattr(botocore.session, "create_loader", shared_loader)
        yield


@pytest.fixture(scope="session")
def template():
    return Template.load()


@pytest.fixture
def stack(monkeypatch, template):
    # reconfigure() may set variables the fixture did not (REDIS_URL): all are put back afterwards
    environment_before = dict(os.environ)
    with mock_aws(), serialised_requests():
        queue_url = create_resources(template)
        for name, value in environment(queue_url).items():
            monkeypatch.setenv(name, value)
        apply({})
        built = Stack(template=template, routes=RouteTable(template.http_routes), queue_url=queue_url)
        real = context.default_collaborators()
        real.publisher = built.published
        yield built
    os.environ.clear()
    os.environ.update(environment_before)
    reset_process_state()
