"""The whole API in one OpenAPI 3.1 document, built from every HTTP function's routers."""

from __future__ import annotations

import copy
from functools import lru_cache

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from shared.http.app import new_resolver

TITLE = "Serverless Healthcheck"
VERSION = "1.0.0"
SECURITY = {"bearer": HTTPBearer(description="API key, or a satellite token on /satellite routes")}


@lru_cache(maxsize=1)
def documented_api() -> APIGatewayHttpResolver:
    """A resolver holding every route, used only to describe the API (imported lazily)."""
    from functions.api_mutations.routes import ROUTERS as MUTATIONS
    from functions.api_reads.routes import ROUTERS as READS
    from functions.satellite_ingest.routes import ROUTERS as SATELLITE

    app = new_resolver()
    for router in (*READS, *MUTATIONS, *SATELLITE):
        # include_router binds a router to the app (its context, current event); bind a copy so the
        # live routers stay bound to their own function's app (the local runtime shares one process).
        app.include_router(copy.copy(router))
    app.enable_swagger(
        path="/docs",
        title=TITLE,
        version=VERSION,
        compress=True,
        security_schemes=SECURITY,
        security=[{"bearer": []}],
    )
    return app


def openapi_document() -> str:
    return documented_api().get_openapi_json_schema(
        title=TITLE, version=VERSION, security_schemes=SECURITY, security=[{"bearer": []}]
    )
