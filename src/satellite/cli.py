"""`python -m satellite`: read the settings, open the spool, run the agent until told to stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from collections.abc import Sequence

from satellite import __version__, logs
from satellite.agent import Agent
from satellite.client import SatelliteClient
from satellite.config import ConfigError, Settings, parse_settings
from satellite.spool import Spool

EXIT_CONFIG = 2
EXIT_SPOOL = 74


def main(argv: Sequence[str] | None = None) -> int:
    logs.configure_logging()
    try:
        settings = parse_settings(argv, os.environ)
    except ConfigError as error:
        logs.error("invalid configuration", reason=str(error))
        return EXIT_CONFIG
    return asyncio.run(run_agent(settings))


async def run_agent(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, _request_stop, stop, signal_number)
    try:
        spool = Spool(settings.spool_path, max_results=settings.max_spool)
    except (OSError, sqlite3.Error) as error:
        logs.error("spool unavailable", path=str(settings.spool_path), reason=str(error))
        return EXIT_SPOOL
    try:
        logs.info(
            "agent started",
            version=__version__,
            satellite_id=settings.satellite_id,
            endpoint=settings.endpoint,
            mode="once" if settings.once else "daemon",
            interval_seconds=settings.interval_seconds,
            spool=str(settings.spool_path),
            spooled=len(spool),
            allow_private_targets=settings.allow_private_targets,
        )
        async with SatelliteClient(
            settings.endpoint, settings.token, timeout_seconds=settings.request_timeout_seconds
        ) as client:
            agent = Agent(settings, client, spool)
            run = agent.run_once if settings.once else agent.run_forever
            exit_code = await run(stop)
        logs.info("agent stopped", exit_code=exit_code, spooled=len(spool))
        return exit_code
    finally:
        spool.close()


def _request_stop(stop: asyncio.Event, signal_number: signal.Signals) -> None:
    logs.info("stop requested", signal=signal_number.name)
    stop.set()
