"""ApiMutationsFunction: every POST, PUT, PATCH and DELETE of the management API."""

from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.api_mutations.routes import ROUTERS
from shared.http.app import handle, new_resolver
from shared.observability import logger, metrics

app = new_resolver(ROUTERS)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return handle(app, event, context)
