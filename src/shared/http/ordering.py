"""The order every request is checked in: who is calling, then whether the body is well-formed JSON,
then the schema. Powertools runs its request validation before route middlewares, so the access
guards a route declares run first here, inside the validation step."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)

from shared.http.body import body_bytes, check_json_body, takes_any_body

# Satellite batches are validated result by result: a NaN or a too deep document in one result
# rejects that result only.
ONE_BY_ONE_PREFIX = "/satellite/"


class GuardsThenValidation(OpenAPIRequestValidationMiddleware):
    """Runs the route's access guards, then the body checks (unless the route takes any body),
    then Powertools' request validation."""

    def handler(self, app: APIGatewayHttpResolver, next_middleware: Any) -> Response:
        route = app.context["_route"]
        for guard in route.middlewares:
            authorize = getattr(guard, "authorize", None)
            if authorize is not None:
                authorize(app)
        if takes_any_body(route.middlewares):
            return super().handler(app, next_middleware)
        event = app.current_event.raw_event
        headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
        check_json_body(
            body_bytes(event),
            headers,
            required=bool(route.dependant.body_params),
            strict=not route.path.startswith(ONE_BY_ONE_PREFIX),
        )
        return super().handler(app, next_middleware)


def install_guards_before_validation(app: APIGatewayHttpResolver) -> None:
    app._request_validation_middleware = GuardsThenValidation()
