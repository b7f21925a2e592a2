"""`make run`: the whole stack on this machine, read from template.yaml, served until interrupted."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from local.emulation import Emulation, applied_environment, start_emulation
from local.event_sources import EventLogDrainer, QueuePoller, ScheduleLoop
from local.http_gateway import LocalHttpGateway
from local.lambda_runtime import invoke_function
from local.settings import LocalRuntimeSettings
from local.template import LambdaFunction, Template

log = logging.getLogger("local.run")

_THREAD_JOIN_SECONDS = 5


@dataclass
class LocalStack:
    base_url: str
    admin_key: str
    emulation: Emulation
    _stop_event: threading.Event = field(repr=False)
    _threads: list[threading.Thread] = field(repr=False)
    _gateway: LocalHttpGateway = field(repr=False)
    _resources: ExitStack = field(repr=False)

    def stop(self) -> None:
        """Stop the loops and the gateway, then the emulation, and put the process environment back."""
        self._stop_event.set()
        self._gateway.shutdown()
        for thread in self._threads:
            thread.join(_THREAD_JOIN_SECONDS)
        self._resources.close()


def _invoke(function: LambdaFunction, event: dict) -> Any:
    # Looked up at call time so tests can watch or replace invocations.
    return invoke_function(function, event)


def start_local_stack(
    port: int | None = None,
    tick_seconds: float | None = None,
    settings: LocalRuntimeSettings | None = None,
    event_printer=print,
) -> LocalStack:
    settings = settings or LocalRuntimeSettings()
    if port is not None:
        settings = settings.model_copy(update={"port": port})
    if tick_seconds is not None:
        settings = settings.model_copy(update={"scheduler_tick_seconds": tick_seconds})
    template = Template.load()
    resources = ExitStack()
    try:
        emulation = start_emulation(template, settings)
        resources.callback(emulation.stop)
        resources.enter_context(applied_environment(emulation.environment()))
        gateway = LocalHttpGateway(settings.port, template, invoke=_invoke)
        resources.callback(gateway.server_close)
    except BaseException:
        resources.close()
        raise
    stop_event = threading.Event()
    threads: list[threading.Thread] = [
        threading.Thread(
            target=gateway.serve_forever, kwargs={"poll_interval": 0.2}, name="gateway", daemon=True
        ),
        ScheduleLoop(emulation, _invoke, settings.scheduler_tick_seconds, stop_event),
        EventLogDrainer(emulation, stop_event, event_printer),
        *(
            QueuePoller(emulation, subscription, _invoke, stop_event)
            for subscription in template.queue_subscriptions
        ),
    ]
    for thread in threads:
        thread.start()
    return LocalStack(
        base_url=gateway.base_url,
        admin_key=settings.admin_api_key,
        emulation=emulation,
        _stop_event=stop_event,
        _threads=threads,
        _gateway=gateway,
        _resources=resources,
    )


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    stack = start_local_stack()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    print(f"Healthcheck API   {stack.base_url}", flush=True)
    print(f"Admin key         {stack.admin_key}  (Authorization: Bearer <key>)", flush=True)
    print(f"AWS emulation     {stack.emulation.endpoint_url}", flush=True)
    print("Ctrl-C to stop", flush=True)
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
