"""Process-wide Powertools logger and metrics; handlers decorate with them, services log through them."""

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
