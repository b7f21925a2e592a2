"""`make run`: the whole stack on this machine, read from template.yaml, served until interrupted."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

from local.emulation import Emulation
from local.emulation_setup import schedule_groups, start_emulation
from local.event_sources import EventLogDrainer, Housekeeping, QueuePoller, ScheduleLoop
from local.http_gateway import LocalHttpGateway
from local.poller_scaling import PollerScale
from local.sandboxes import SandboxPool
from local.settings import LocalRuntimeSettings
from local.state_store import DataDirectory
from local.status_cache import CacheBackendUnavailable, LocalStatusCache, start_status_cache
from local.template import Template
from local.wakeups import OneTimeScheduleLoop

log = logging.getLogger("local.run")

# SIGINT/SIGTERM to exit: the whole stop, final save included, stays within this.
STOP_BUDGET_SECONDS = 5
_IN_FLIGHT_GRACE_SECONDS = 1.5


@dataclass
class LocalStack:
    base_url: str
    admin_key: str
    emulation: Emulation
    sandboxes: SandboxPool
    status_cache: LocalStatusCache
    data_dir: Path | None
    _stop_event: threading.Event = field(repr=False)
    _threads: list[threading.Thread] = field(repr=False)
    _gateway: LocalHttpGateway = field(repr=False)
    _data: DataDirectory | None = field(repr=False)
    _resources: ExitStack = field(repr=False)

    @property
    def docs_url(self) -> str:
        return f"{self.base_url}/docs"

    def save(self, final: bool = False) -> None:
        """Write the emulation's state to the data directory, if there is one."""
        if self._data is not None:
            self.emulation.save(self._data.path, final=final)
        elif final:
            self.emulation.close_requests()

    def stop(self) -> None:
        """Stop taking requests, let running invocations finish briefly, save, and end every process."""
        deadline = time.monotonic() + STOP_BUDGET_SECONDS
        self._stop_event.set()
        self._gateway.shutdown()
        self.sandboxes.close(grace_seconds=_IN_FLIGHT_GRACE_SECONDS)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic() - 1))
        try:
            # The final save refuses every later call, so it holds every acknowledged write.
            self.save(final=True)
        finally:
            self._resources.close()


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
    data = DataDirectory(settings.data_dir, fresh=settings.fresh) if settings.data_dir else None
    admin_key = data.admin_key(settings.admin_api_key) if data else settings.admin_api_key
    secrets_key = data.secrets_key(settings.secrets_key) if data else settings.secrets_key
    settings = settings.model_copy(
        update={
            "admin_api_key": admin_key or secrets.token_urlsafe(24),
            "secrets_key": secrets_key or Fernet.generate_key().decode(),
        }
    )
    template = Template.load()
    resources = ExitStack()
    try:
        # Stopped last (an ExitStack closes in reverse): running invocations keep their cache until
        # the sandboxes have ended.
        status_cache = start_status_cache(settings)
        resources.callback(status_cache.stop)
        settings = settings.model_copy(update={"redis_url": status_cache.redis_url})
        emulation = start_emulation(template, settings)
        resources.callback(emulation.stop)
        if data:
            emulation.restore(data.path)
        sandboxes = SandboxPool(emulation.environment_for, emulation.region, settings.function_concurrency)
        resources.callback(sandboxes.close, grace_seconds=0)
        sandboxes.warm(list(template.functions.values()))

        def invoke(function, event):
            # Looked up at call time so tests can watch or replace invocations. A function only
            # schedules invoke runs for moments once a minute or an hour: its process ends after
            # each invocation instead of holding ~30 MB in between (a cold start each time).
            keep_warm = function.logical_id not in template.only_scheduled
            return sandboxes.invoke(function, event, keep_warm=keep_warm)

        gateway = LocalHttpGateway(settings.port, template, invoke=invoke)
        resources.callback(gateway.server_close)
    except BaseException:
        resources.close()
        raise
    stop_event = threading.Event()
    save = (lambda: emulation.save(data.path)) if data else None
    threads: list[threading.Thread] = [
        threading.Thread(
            target=gateway.serve_forever, kwargs={"poll_interval": 0.2}, name="gateway", daemon=True
        ),
        ScheduleLoop(emulation, invoke, settings.scheduler_tick_seconds, stop_event),
        EventLogDrainer(emulation, stop_event, event_printer),
        Housekeeping(
            emulation,
            stop_event,
            settings.save_interval_seconds,
            save,
            reap=(lambda: sandboxes.reap_idle(settings.sandbox_idle_seconds))
            if settings.sandbox_idle_seconds
            else None,
            phase_seconds=settings.scheduler_tick_seconds / 2,
        ),
        OneTimeScheduleLoop(
            emulation.client("scheduler"), emulation.client("sqs"), schedule_groups(emulation), stop_event
        ),
        *(
            QueuePoller(emulation, subscription, invoke, stop_event, number, scale)
            for subscription, scale in ((s, PollerScale()) for s in template.queue_subscriptions)
            for number in range(min(settings.queue_pollers, settings.function_concurrency))
        ),
    ]
    for thread in threads:
        thread.start()
    return LocalStack(
        base_url=gateway.base_url,
        admin_key=settings.admin_api_key,
        emulation=emulation,
        sandboxes=sandboxes,
        status_cache=status_cache,
        data_dir=settings.data_dir,
        _stop_event=stop_event,
        _threads=threads,
        _gateway=gateway,
        _data=data,
        _resources=resources,
    )


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # Read by glibc when each child process starts: the emulation serves ~100 connections on as many
    # threads, and one malloc arena per thread kept ~200 MB of freed memory it never gave back.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    try:
        stack = start_local_stack()
    except CacheBackendUnavailable as error:
        print(f"cannot start: {error}", file=sys.stderr, flush=True)
        return 2
    stopping = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stopping.set())
    print(f"Healthcheck API   {stack.base_url}", flush=True)
    print(f"API docs          {stack.docs_url}", flush=True)
    print(f"Admin key         {stack.admin_key}  (Authorization: Bearer <key>)", flush=True)
    print(f"Cache backend     {stack.emulation.cache_backend} ({stack.status_cache.location})", flush=True)
    print(f"Data directory    {stack.data_dir or '(none: nothing is kept)'}", flush=True)
    emulation = stack.emulation
    print(
        f"AWS emulation     {emulation.endpoint_url} (DynamoDB {emulation.dynamodb_endpoint_url})", flush=True
    )
    print("Ctrl-C to stop", flush=True)
    while not stopping.wait(0.5):
        pass
    log.info("stopping")
    started = time.monotonic()
    stack.stop()
    saved = f", state saved in {stack.data_dir}" if stack.data_dir else ""
    print(f"stopped in {time.monotonic() - started:.1f} s{saved}", flush=True)
    return 0


if __name__ == "__main__":
    exit_code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # The state is saved and every child process has ended; the interpreter's own teardown of
    # the emulation's objects would only add seconds to the stop.
    os._exit(exit_code)
