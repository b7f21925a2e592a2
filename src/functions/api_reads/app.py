"""ApiReadsFunction: every GET of the management API, POST /health/batch, the API's own docs, and the
template's catch-all route (so an unknown path is a 404 and a wrong method a 405 in API.md's shape)."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.api_reads.api_document import http_apps, openapi_document
from functions.api_reads.routes import ROUTERS
from functions.api_reads.swagger import swagger_page
from shared.http.app import handle, new_resolver
from shared.observability import logger, metrics

app = new_resolver(ROUTERS, method_catalog=http_apps)
HEALTH_READ_ROUTES = frozenset({"GET /systems/{systemId}/health", "POST /health/batch"})


@app.get("/openapi.json", include_in_schema=False)
def get_openapi() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=openapi_document())


@app.get("/docs", include_in_schema=False, compress=True)
def get_docs() -> Response[str]:
    return Response(status_code=200, content_type="text/html", body=swagger_page(openapi_document()))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if event.get("routeKey") in HEALTH_READ_ROUTES:
        metrics.add_metric(name="HealthRead", unit="Count", value=1)
    return handle(app, event, context)
