"""What the sandboxes' forkserver imports and parses once, before any sandbox is forked from it.

The libraries every function imports; the project's modules that read nothing from the environment
when imported (the domain, the data layer, the probe strategies: their pydantic models build their
validators at import); and the botocore data the functions' clients parse (endpoints, partitions,
service models, endpoint rule sets), loaded into `shared.aws`'s session, which each sandbox inherits
and creates its clients from. Modules that read their environment when imported stay out: Powertools'
logger and metrics (`shared.observability`) and everything importing them, since each sandbox has its
own environment. Creating the session here reads the AWS config file (`AWS_CONFIG_FILE`) and
`AWS_DATA_PATH`, which no sandbox sets; profile, credentials, region and endpoints are resolved when
a sandbox creates its clients, from its own environment. Everything is then frozen out of the
garbage collector, whose passes would otherwise write to every page it sits on and make each sandbox
copy them.
"""

import gc
import importlib
import pkgutil
import sys

import aiohttp  # noqa: F401
import aws_lambda_powertools.event_handler.api_gateway
import aws_lambda_powertools.event_handler.middlewares.openapi_validation
import aws_lambda_powertools.event_handler.openapi.dependant
import aws_lambda_powertools.event_handler.openapi.encoders
import aws_lambda_powertools.event_handler.openapi.models
import aws_lambda_powertools.event_handler.openapi.params
import aws_lambda_powertools.event_handler.openapi.swagger_ui
import aws_lambda_powertools.logging
import aws_lambda_powertools.metrics
import aws_lambda_powertools.utilities.batch
import aws_lambda_powertools.utilities.data_classes.sqs_event
import aws_lambda_powertools.utilities.typing  # noqa: F401
import boto3  # noqa: F401
import botocore.session  # noqa: F401
import pydantic  # noqa: F401
import pydantic_settings  # noqa: F401
from cryptography.fernet import Fernet  # noqa: F401

# Every module of these packages, and these modules, read nothing from the environment when imported.
_ENVIRONMENT_FREE_PACKAGES = (
    "shared.cache",
    "shared.data",
    "shared.domain",
    "shared.notify",
    "shared.strategies",
    "shared.web",
)
_ENVIRONMENT_FREE_MODULES = (
    "shared.aws",
    "shared.clock",
    "shared.queue",
    "shared.retry",
    "shared.settings",
    "shared.http.answers",
    "shared.http.body",
    "shared.http.ordering",
    "shared.http.params",
    "shared.services.alerting.ports",
    "shared.services.check_state",
    "shared.services.tick_report",
)
# Powertools' logger and metrics read the sandbox's environment when created.
_READS_ENVIRONMENT = "shared.observability"
# The services whose clients the functions create; their models are parsed here, once.
_AWS_SERVICES = ("dynamodb", "sqs", "events", "scheduler", "kms")


def _import_environment_free_modules() -> None:
    for package_name in _ENVIRONMENT_FREE_PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            importlib.import_module(module.name)
    for module_name in _ENVIRONMENT_FREE_MODULES:
        importlib.import_module(module_name)
    if _READS_ENVIRONMENT in sys.modules:
        raise RuntimeError(f"a preloaded module imports {_READS_ENVIRONMENT}; leave it out of the preload")


def _parse_aws_data() -> None:
    from shared import aws

    session = aws.session()
    session.get_available_partitions()  # the session's endpoint resolver, from endpoints and partitions
    loader = session._session.get_component("data_loader")
    for name in ("endpoints", "partitions", "sdk-default-configuration", "_retry"):
        loader.load_data(name)
    for service in _AWS_SERVICES:
        for type_name in ("service-2", "endpoint-rule-set-1"):
            loader.load_service_model(service, type_name)


_import_environment_free_modules()
_parse_aws_data()
gc.freeze()
