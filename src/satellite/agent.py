"""The agent: keep assignments fresh, run each check on its own schedule, spool every result, drain the spool.

Three loops share one event loop: control (assignments + heartbeat every interval), probes (starts
due checks), delivery (sends the spool oldest first, backing off while the API is unreachable).
A result exists only once it is in the spool, and leaves it only once the API answered for it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol, TypeVar

from satellite import __version__, logs
from satellite.assignments import Assignment, AssignmentBook
from satellite.backoff import Backoff
from satellite.client import (
    ApiUnavailableError,
    AssignmentsAnswer,
    IngestAnswer,
    RequestRejectedError,
    UnauthorizedError,
)
from satellite.config import Settings
from satellite.delivery import drain_spool, result_payload
from satellite.spool import Spool
from satellite.timetable import Timetable
from shared.strategies.runner import CheckSpec, ProbeOutcome, run_checks

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNAUTHORIZED = 3
EXIT_TEMPORARY_FAILURE = 75
"""`--once` could not reach the API for assignments or results; what was spooled stays for the next run."""

SHUTDOWN_GRACE_SECONDS = 5.0
# The runner's own budget sits a little above the longest probe timeout so a probe times out itself.
PROBE_BUDGET_GRACE_SECONDS = 1.0

ProbeRunner = Callable[[Sequence[CheckSpec]], Awaitable[list[ProbeOutcome]]]
T = TypeVar("T")


class SatelliteApi(Protocol):
    async def fetch_assignments(self, etag: str | None) -> AssignmentsAnswer | None: ...
    async def send_results(self, results: list[dict]) -> IngestAnswer: ...
    async def send_heartbeat(self, version: str = __version__) -> None: ...


class Agent:
    def __init__(
        self,
        settings: Settings,
        api: SatelliteApi,
        spool: Spool,
        *,
        run_probes: ProbeRunner | None = None,
        wall_clock: Callable[[], float] = time.time,
        random_fraction: Callable[[], float] = random.random,
    ) -> None:
        self._settings = settings
        self._api = api
        self._spool = spool
        self._run_probes = run_probes or self._run_checks
        self._wall_clock = wall_clock
        self._backoff = Backoff(
            base_seconds=settings.backoff_base_seconds,
            cap_seconds=settings.backoff_cap_seconds,
            random_fraction=random_fraction,
        )
        self._book = AssignmentBook()
        self._timetable = Timetable(settings.satellite_id)
        self._in_flight: set[str] = set()
        self._probe_tasks: set[asyncio.Task[None]] = set()
        self._results_ready = asyncio.Event()
        self._assignments_changed = asyncio.Event()
        self._stop = asyncio.Event()
        self._exit_code = EXIT_OK
        cached = spool.load_assignments()
        if cached is not None:
            self._book.replace(cached.etag, cached.items)
            self._reschedule()

    @property
    def assignments(self) -> list[Assignment]:
        return self._book.assignments

    async def refresh_assignments(self) -> bool:
        """Ask for the assignments with the last ETag; returns whether they changed."""
        answer = await self._api.fetch_assignments(self._book.etag)
        if answer is None:
            return False
        self._book.replace(answer.etag, answer.items)
        self._spool.save_assignments(answer.etag, answer.items)
        self._reschedule()
        logs.info("assignments updated", checks=len(self._book.assignments))
        return True

    async def run_forever(self, stop: asyncio.Event) -> int:
        """Run until `stop` is set or the token is refused; returns the exit code."""
        self._stop = stop
        delivery = asyncio.create_task(self._delivery_loop(), name="delivery")
        loops = {
            asyncio.create_task(self._control_loop(), name="control"),
            asyncio.create_task(self._probe_loop(), name="probes"),
            delivery,
        }
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({stopped, *loops}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        for task in done - {stopped}:
            self._note_crash(task)
        stop.set()
        background = [*(loops - {delivery}), *self._probe_tasks]
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        # A send in flight may finish and settle its batch; if it cannot, the batch stays spooled.
        await asyncio.wait({delivery}, timeout=SHUTDOWN_GRACE_SECONDS)
        delivery.cancel()
        await asyncio.gather(delivery, return_exceptions=True)
        if delivery not in done and not delivery.cancelled():
            self._note_crash(delivery)
        return self._exit_code

    async def run_once(self, stop: asyncio.Event) -> int:
        """Pull, run every check once, push, drain; returns the exit code."""
        self._stop = stop
        work = asyncio.create_task(self._once())
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({work, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if work in done:
            stopped.cancel()
            return work.result()
        work.cancel()
        await asyncio.gather(work, return_exceptions=True)
        logs.info("run interrupted", spooled=len(self._spool))
        return self._exit_code

    async def _once(self) -> int:
        fetched = await self._call("fetch assignments", self.refresh_assignments()) is not None
        if self._stop.is_set():
            return self._exit_code
        if not fetched:
            logs.warning("using cached assignments", checks=len(self._book.assignments))
        if self._book.assignments:
            await self._run_batch(list(self._book.assignments))
        await self._call("heartbeat", self._api.send_heartbeat(__version__))
        delivered = await self._drain(max_failures=self._settings.once_send_attempts)
        if self._exit_code != EXIT_OK:
            return self._exit_code
        if not delivered:
            logs.warning("results left in spool", spooled=len(self._spool))
            return EXIT_TEMPORARY_FAILURE
        logs.info("once run finished", checks=len(self._book.assignments))
        return EXIT_OK if fetched else EXIT_TEMPORARY_FAILURE

    async def _control_loop(self) -> None:
        while not self._stop.is_set():
            await self._call("fetch assignments", self.refresh_assignments())
            if self._stop.is_set():
                return
            await self._call("heartbeat", self._api.send_heartbeat(__version__))
            await self._wait(self._stop, self._settings.interval_seconds)

    async def _probe_loop(self) -> None:
        while not self._stop.is_set():
            self._assignments_changed.clear()
            now = self._wall_clock()
            due = self._timetable.take_due(self._book.assignments, now, self._in_flight)
            if due:
                task = asyncio.create_task(self._run_batch(due))
                self._probe_tasks.add(task)
                task.add_done_callback(self._probe_batch_finished)
            wake_at = self._timetable.next_wake(default=now + self._settings.interval_seconds)
            await self._wait(self._assignments_changed, max(0.0, wake_at - self._wall_clock()))

    async def _delivery_loop(self) -> None:
        while not self._stop.is_set():
            # Cleared before draining, so results spooled during a drain wake the next one.
            self._results_ready.clear()
            await self._drain()
            # The timeout retries what is left (e.g. spooled before a restart) even when nothing new comes.
            await self._wait(self._results_ready, self._settings.interval_seconds)
            if self._results_ready.is_set():
                # Checks fall due one at a time; those that finish within the delay share one request.
                await self._wait(self._stop, self._settings.send_delay_seconds)

    async def _run_batch(self, assignments: list[Assignment]) -> None:
        keys = {assignment.key for assignment in assignments}
        self._in_flight |= keys
        try:
            specs = [
                CheckSpec(
                    key=assignment.key,
                    strategy_id=assignment.strategy_id,
                    config=assignment.config,
                    timeout_seconds=assignment.timeout_seconds,
                    assertions=assignment.assertions,
                )
                for assignment in assignments
            ]
            outcomes = await self._run_probes(specs)
            self._spool_results([result_payload(a, o) for a, o in zip(assignments, outcomes, strict=True)])
        finally:
            self._in_flight -= keys

    def _probe_batch_finished(self, task: asyncio.Task[None]) -> None:
        self._probe_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The runner never raises for a target's sake; this is a bug or a full disk, so say so loudly.
            logs.error(
                "check run failed", error=type(task.exception()).__name__, reason=str(task.exception())
            )

    def _spool_results(self, payloads: list[dict[str, Any]]) -> None:
        dropped = self._spool.append(payloads)
        if dropped:
            logs.warning(
                "spool full oldest dropped",
                dropped=dropped,
                dropped_total=self._spool.dropped_total,
                max_spool=self._settings.max_spool,
            )
        logs.info(
            "checks run",
            checks=len(payloads),
            unhealthy=sum(1 for payload in payloads if payload["status"] != "healthy"),
        )
        self._results_ready.set()

    async def _drain(self, *, max_failures: int | None = None) -> bool:
        """Send until the spool is empty (True), or stop, or `max_failures` failed sends in a row."""
        try:
            return await drain_spool(
                self._spool,
                self._api,
                self._backoff,
                stop=self._stop,
                wait=self._wait,
                max_failures=max_failures,
            )
        except UnauthorizedError as error:
            self._refuse_token(error)
            return False

    async def _call(self, operation: str, call: Coroutine[Any, Any, T]) -> T | None:
        """Await an API call; None when it failed in a way the next attempt may fix."""
        try:
            return await call
        except UnauthorizedError as error:
            self._refuse_token(error)
        except ApiUnavailableError as error:
            logs.warning("api unavailable", operation=operation, reason=error.reason, status=error.status)
        except RequestRejectedError as error:
            logs.warning("request rejected", operation=operation, status=error.status, code=error.code)
        return None

    def _refuse_token(self, error: UnauthorizedError) -> None:
        logs.error(
            "satellite token refused",
            status=error.status,
            code=error.code,
            satellite_id=self._settings.satellite_id,
            hint="check HC_SATELLITE_TOKEN: the token may be mistyped or rotated, or the satellite deleted",
        )
        self._exit_code = EXIT_UNAUTHORIZED
        self._stop.set()

    def _note_crash(self, task: asyncio.Task[None]) -> None:
        error = task.exception()
        if error is not None:
            logs.error("agent loop failed", loop=task.get_name(), error=type(error).__name__)
            self._exit_code = self._exit_code or EXIT_FAILED

    def _reschedule(self) -> None:
        self._timetable.reschedule(self._book.assignments, self._wall_clock())
        self._assignments_changed.set()

    async def _run_checks(self, specs: Sequence[CheckSpec]) -> list[ProbeOutcome]:
        return await run_checks(
            specs,
            allow_private_targets=self._settings.allow_private_targets,
            budget_seconds=max(spec.timeout_seconds for spec in specs) + PROBE_BUDGET_GRACE_SECONDS,
        )

    async def _wait(self, event: asyncio.Event, timeout: float) -> None:
        """Sleep up to `timeout`, waking early when `event` or the stop signal is set."""
        waiters = {asyncio.create_task(event.wait()), asyncio.create_task(self._stop.wait())}
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)
