"""The one place where errors become API.md's error shape for the HTTP functions."""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import ValidationError

from shared.domain import errors
from shared.http.routes import allowed_methods
from shared.observability import logger

STATUS_BY_ERROR: dict[type[errors.DomainError], int] = {
    errors.BadRequestError: 400,
    errors.UnauthenticatedError: 401,
    errors.ForbiddenError: 403,
    errors.NotFoundError: 404,
    errors.ConflictError: 409,
    errors.VersionMismatchError: 412,
    errors.PayloadTooLargeError: 413,
    errors.ValidationFailedError: 422,
    errors.ThrottledError: 429,
    errors.UnavailableError: 503,
}


def error_response(
    status: int, code: str, message: str, details: list[dict] | None = None, headers: dict | None = None
) -> Response:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return Response(
        status_code=status, content_type="application/json", body=json.dumps(body), headers=headers or {}
    )


def field_details(validation_errors: list[dict]) -> list[dict]:
    return [
        {
            "field": ".".join(str(part) for part in e.get("loc", ()) if part != "__root__"),
            "message": e.get("msg", ""),
        }
        for e in validation_errors
    ]


def domain_error_response(error: errors.DomainError) -> Response:
    status = next(s for kind, s in STATUS_BY_ERROR.items() if isinstance(error, kind))
    headers = (
        {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, errors.ThrottledError) else None
    )
    return error_response(status, error.code, error.message, error.details, headers)


def register_error_handlers(
    app: APIGatewayHttpResolver, method_catalog: Callable[[], list[APIGatewayHttpResolver]]
) -> None:
    @app.exception_handler(RequestValidationError)
    def _request_invalid(error: RequestValidationError) -> Response:
        problems = list(error.errors())
        if any(p.get("type") == "json_invalid" for p in problems):
            logger.info("request refused", status=400, code="BAD_REQUEST")
            return error_response(400, "BAD_REQUEST", "the body is not valid JSON")
        logger.info("request refused", status=422, code="VALIDATION_FAILED")
        return error_response(
            422, "VALIDATION_FAILED", "the request does not match the schema", field_details(problems)
        )

    @app.exception_handler(ValidationError)
    def _model_invalid(error: ValidationError) -> Response:
        details = [d | {"field": f"body.{d['field']}".rstrip(".")} for d in field_details(error.errors())]
        logger.info("request refused", status=422, code="VALIDATION_FAILED")
        return error_response(422, "VALIDATION_FAILED", "the request does not match the schema", details)

    @app.exception_handler(errors.DomainError)
    def _domain(error: errors.DomainError) -> Response:
        response = domain_error_response(error)
        logger.info("request refused", status=response.status_code, code=error.code)
        return response

    @app.not_found
    def _route_not_found(_: Exception) -> Response:
        allowed = allowed_methods(method_catalog(), app.current_event.path)
        if allowed:
            logger.info("method not allowed", method=app.current_event.http_method)
            return error_response(
                405,
                "METHOD_NOT_ALLOWED",
                "this path does not take that method",
                headers={"Allow": ", ".join(allowed)},
            )
        return error_response(404, "NOT_FOUND", "no such route")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        logger.exception("unexpected error")
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "INTERNAL", "internal error")
