"""Test-wide set-up: fake AWS credentials and Powertools settings before any client exists.

moto is imported first so that no boto3 client made in a test can reach real AWS.
"""

import os

import moto  # noqa: F401  (must be imported before any boto3 client is created)

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "healthcheck",
        "POWERTOOLS_METRICS_NAMESPACE": "Healthcheck",
        "POWERTOOLS_DEV": "false",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
for ambient in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(ambient, None)

# Property tests judge correctness, never speed: a loaded CI machine must not fail them on time.
from hypothesis import settings  # noqa: E402

settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")
