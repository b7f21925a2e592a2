"""A handler that logs as the real ones do (Powertools, one module-level logger), slowly enough to overlap."""

import os
import time

from aws_lambda_powertools import Logger

logger = Logger(service="healthcheck")


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict, context) -> dict:
    for step in range(event["lines"]):
        logger.info("step", invocation=event["invocation"], step=step)
        time.sleep(event["pause_seconds"])
    return {
        "functionName": context.function_name,
        "requestId": context.aws_request_id,
        "niceness": os.getpriority(os.PRIO_PROCESS, 0),
    }
