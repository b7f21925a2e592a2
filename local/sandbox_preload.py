"""What the sandboxes' forkserver imports once, before any sandbox is forked from it.

The libraries every function imports, and none of the project's own modules: those read their
environment when imported (Powertools' logger), and each sandbox has its own. The imported objects
are then frozen out of the garbage collector, whose passes would otherwise write to every page
they sit on and make each sandbox copy them.
"""

import gc

import aiohttp  # noqa: F401
import aws_lambda_powertools.event_handler.api_gateway
import aws_lambda_powertools.event_handler.openapi.params
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

gc.freeze()
