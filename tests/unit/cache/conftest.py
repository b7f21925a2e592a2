import os

os.environ["POWERTOOLS_METRICS_NAMESPACE"] = "Healthcheck"
os.environ["POWERTOOLS_SERVICE_NAME"] = "healthcheck"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_SESSION_TOKEN"] = "testing"
