"""ApiReadsFunction: every GET of the management API, POST /health/batch, and the API's own docs."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.api_reads.routes import ROUTERS
from shared.http.app import handle, new_resolver
from shared.http.openapi import documented_api, openapi_document
from shared.observability import logger, metrics

app = new_resolver(ROUTERS)
HEALTH_READ_ROUTES = frozenset({"GET /systems/{systemId}/health", "POST /health/batch"})


@app.get("/openapi.json", include_in_schema=False)
def get_openapi() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=openapi_document())


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if event.get("routeKey") in HEALTH_READ_ROUTES:
        metrics.add_metric(name="HealthRead", unit="Count", value=1)
    if event.get("rawPath") == "/docs":
        return documented_api().resolve(event, context)  # Swagger UI describes every function's routes
    return handle(app, event, context)
