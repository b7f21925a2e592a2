"""`make invoke FUNCTION=… EVENT=…`: what `sam local invoke` does, without Docker.

The function is found in template.yaml, gets its declared environment against a fresh embedded
emulation seeded with events/seed/ (the system `checkout-web`, its check `checkout-web-tcp` and the
satellite `eu-west-probe` that also runs it, made through the API), and is invoked once; the result
goes to stdout as JSON, logs go to stderr. A satellite's token is shown only when it is created, so
an event's `Bearer hcs.eu-west-probe.…` is replaced by the token the seed got.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

from pydantic import Field

from local.emulation import applied_environment
from local.emulation_setup import start_emulation
from local.lambda_runtime import invoke_function
from local.settings import LocalRuntimeSettings
from local.template import Template

LOCAL_ADMIN_API_KEY = "local-admin-key"
# Satellite tokens read `hcs.<satellite id>.<secret>` (docs/api.md).
SATELLITE_TOKEN_PREFIX = "hcs."
SEED_EVENTS = Path(__file__).resolve().parent.parent / "events" / "seed"


class LocalInvokeSettings(LocalRuntimeSettings):
    # A fixed key, so event files can carry `authorization: Bearer local-admin-key`.
    admin_api_key: str = Field(LOCAL_ADMIN_API_KEY, alias="HC_ADMIN_API_KEY")
    # Each invocation starts from a fresh emulation and keeps nothing.
    data_dir: Path | None = Field(None, alias="HC_DATA_DIR")


@contextmanager
def invocation_session(settings: LocalRuntimeSettings | None = None) -> Iterator[Callable[[str, dict], Any]]:
    """One emulation for several invocations in a row (a test that creates, then reads)."""
    template = Template.load()
    emulation = start_emulation(template, settings or LocalInvokeSettings())
    try:
        with applied_environment(emulation.environment()):
            yield lambda function_name, event: invoke_function(
                template.function(function_name), event, emulation.region
            )
    finally:
        emulation.stop()


def invoke(function_name: str, event: dict, settings: LocalRuntimeSettings | None = None) -> Any:
    """Invoke one template function (logical id or handler package name) against a seeded fresh emulation."""
    template = Template.load()
    function = template.function(function_name)
    with invocation_session(settings) as invoke_in_session:
        tokens = seed(template, invoke_in_session)
        return invoke_in_session(function.logical_id, with_seeded_tokens(event, tokens))


def with_seeded_tokens(event: dict, tokens: dict[str, str]) -> dict:
    """The event, its bearer token of a seeded satellite replaced by the one the seed got."""
    headers = event.get("headers") or {}
    for name, value in headers.items():
        if name.lower() != "authorization" or not isinstance(value, str):
            continue
        for satellite_id, token in tokens.items():
            if value.startswith(f"Bearer {SATELLITE_TOKEN_PREFIX}{satellite_id}."):
                return event | {"headers": headers | {name: f"Bearer {token}"}}
    return event


def seed(template: Template, invoke_in_session: Callable[[str, dict], Any]) -> dict[str, str]:
    """Send events/seed/ in name order to the functions the template routes them to; each must succeed.

    Returns the tokens of the satellites it created, by satellite id.
    """
    from local.http_gateway import RouteTable

    routes = RouteTable(template.http_routes)
    tokens: dict[str, str] = {}
    for event_file in sorted(SEED_EVENTS.glob("*.json")):
        event = json.loads(event_file.read_text("utf-8"))
        route, _ = routes.match(event["requestContext"]["http"]["method"], event["rawPath"])
        answer = invoke_in_session(route.function, event)
        if answer.get("statusCode", 500) >= 300:
            raise RuntimeError(f"seed {event_file.name} failed: {answer}")
        if route.route_key == "POST /satellites":
            created = json.loads(answer["body"])
            tokens[created["satellite"]["id"]] = created["token"]
    return tokens


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.invoke", description=__doc__.splitlines()[0])
    parser.add_argument(
        "function", help="logical id in template.yaml (ApiReadsFunction) or package (api_reads)"
    )
    parser.add_argument("event", help="path to an event JSON file, or - for stdin")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    event_text = sys.stdin.read() if arguments.event == "-" else Path(arguments.event).read_text("utf-8")
    result_stream = sys.stdout
    # Handlers log and emit metrics on stdout; stdout is kept for the result alone.
    with redirect_stdout(sys.stderr):
        try:
            result = invoke(arguments.function, json.loads(event_text))
        except Exception as error:
            traceback.print_exc()
            result, exit_code = {"errorType": type(error).__name__, "errorMessage": str(error)}, 1
        else:
            exit_code = 0
    print(json.dumps(result, indent=2, default=str), file=result_stream)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
