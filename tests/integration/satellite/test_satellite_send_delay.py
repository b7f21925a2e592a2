"""Results that finish close together go in one request: the agent waits `send_delay_seconds` first."""

from __future__ import annotations

import asyncio
from pathlib import Path

from satellite.agent import Agent
from satellite.client import SatelliteClient
from satellite.spool import Spool
from tests.integration.satellite.agent_process import eventually
from tests.integration.satellite.fake_api import (
    LOOPBACK,
    FakeSatelliteApi,
    http_assignment,
    serving,
    target_app,
)
from tests.integration.satellite.test_satellite_agent_outage import TOKEN, fast_settings

CHECKS = 8


async def _results_per_post(tmp_path: Path, send_delay_seconds: float) -> float:
    async with serving(target_app()) as target_port:
        target = f"http://{LOOPBACK}:{target_port}/health"
        # Each check runs at its own offset inside its second, so results finish one at a time.
        api = FakeSatelliteApi(
            token=TOKEN,
            assignments=[http_assignment(f"check-{n}", target, interval_seconds=1) for n in range(CHECKS)],
        )
        async with serving(api.app()) as api_port:
            settings = fast_settings(
                api_port,
                tmp_path / f"spool-{send_delay_seconds}.sqlite3",
                send_delay_seconds=send_delay_seconds,
            )
            spool = Spool(settings.spool_path, max_results=settings.max_spool)
            async with SatelliteClient(settings.endpoint, TOKEN, timeout_seconds=5) as client:
                stop = asyncio.Event()
                agent_run = asyncio.create_task(Agent(settings, client, spool).run_forever(stop))
                await eventually(lambda: len(api.stored) >= 3 * CHECKS, what="three rounds of results stored")
                stop.set()
                await agent_run
            spool.close()
        assert not any(count > 1 for count in api.posts_per_result.values()), "no result is sent twice"
        return len(api.stored) / api.result_posts


def test_results_finishing_within_the_send_delay_share_a_request(tmp_path: Path) -> None:
    # given checks that finish one at a time; when the agent sends at once, or waits 0.8 s first
    at_once = asyncio.run(_results_per_post(tmp_path, send_delay_seconds=0))
    delayed = asyncio.run(_results_per_post(tmp_path, send_delay_seconds=0.8))
    # then a request carries about one result at once, and most of a second's results after the delay
    assert at_once < 2
    assert delayed >= 3
