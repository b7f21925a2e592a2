"""PingFunction: `/ping/{token}[/start|/fail|/{exitCode}]` from cron jobs and scripts. No API key:
the token is the secret. Any body is accepted (its first 10 KB are kept with the run)."""

import base64

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.domain import heartbeat
from shared.domain.errors import NotFoundError
from shared.domain.views import PingAnswer
from shared.http.answers import READ_ERRORS, answers
from shared.http.app import new_resolver
from shared.http.auth import PUBLIC
from shared.http.body import ANY_BODY
from shared.http.routes import GuardedRouter
from shared.observability import logger, metrics
from shared.services import heartbeats
from shared.services.context import default_collaborators as collaborators

router = GuardedRouter()
# The token is the secret, and cron jobs send whatever their output is: plain text, binary, nothing.
PING_ROUTE = {
    "method": ["GET", "POST"],
    "middlewares": [*PUBLIC, ANY_BODY],
    "responses": answers(200, PingAnswer, errors=(*READ_ERRORS, 413)),
}


def _body() -> bytes:
    event = router.current_event
    raw = event.get("body") or ""
    data = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8", "replace")
    return data[: heartbeat.BODY_LIMIT_BYTES]


def _ping(token: str, suffix: str | None) -> dict:
    ping = heartbeat.parse_ping(suffix)
    if ping is None:
        raise NotFoundError("unknown ping: use /start, /fail or an exit code 0-255")
    return heartbeats.receive_ping(collaborators(), token, ping, _body())


@router.route("/ping/<token>", **PING_ROUTE)
def ping(token: str) -> dict:
    return _ping(token, None)


@router.route("/ping/<token>/<suffix>", **PING_ROUTE)
def ping_with(token: str, suffix: str) -> dict:
    return _ping(token, suffix)


ROUTERS = (router,)
app = new_resolver(ROUTERS)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
