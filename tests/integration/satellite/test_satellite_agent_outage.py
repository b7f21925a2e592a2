"""The agent in-process against the fake API going down, throttling, or dropping connections after storing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from satellite.agent import EXIT_TEMPORARY_FAILURE, Agent
from satellite.client import SatelliteClient
from satellite.config import Settings
from satellite.spool import Spool
from tests.integration.satellite.agent_process import eventually
from tests.integration.satellite.fake_api import (
    LOOPBACK,
    FakeSatelliteApi,
    http_assignment,
    serving,
    target_app,
)

TOKEN = "hcs.edge-1.correct-horse-battery"


def fast_settings(api_port: int, spool_path: Path, **overrides: object) -> Settings:
    options: dict = {
        "endpoint": f"http://{LOOPBACK}:{api_port}",
        "token": TOKEN,
        "interval_seconds": 0.2,
        "send_delay_seconds": 0.05,
        "spool_path": spool_path,
        "allow_private_targets": True,
        "request_timeout_seconds": 5,
        "backoff_base_seconds": 0.02,
        "backoff_cap_seconds": 0.2,
    } | overrides
    return Settings(**options)


def spooled_ids(spool: Spool) -> set[str]:
    return {item.result_id for item in spool.oldest(10_000)}


def test_results_spooled_while_the_api_is_down_all_arrive_once_it_returns(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(target_app()) as target_port:
            target = f"http://{LOOPBACK}:{target_port}/health"
            api = FakeSatelliteApi(
                token=TOKEN,
                assignments=[
                    http_assignment("home", target, interval_seconds=1),
                    http_assignment("login", target, interval_seconds=1),
                ],
            )
            async with serving(api.app()) as api_port:
                settings = fast_settings(api_port, tmp_path / "spool.sqlite3")
                spool = Spool(settings.spool_path, max_results=settings.max_spool)
                async with SatelliteClient(settings.endpoint, TOKEN, timeout_seconds=5) as client:
                    stop = asyncio.Event()
                    agent_run = asyncio.create_task(Agent(settings, client, spool).run_forever(stop))
                    await eventually(lambda: bool(api.stored), what="results delivered before the outage")

                    # given: the API is down, then throttling, while checks keep running
                    api.switch("down")
                    await eventually(
                        lambda: len(spool) >= 3 and api.refused_result_posts >= 1,
                        what="results spooled while down",
                    )
                    refused_while_down = api.refused_result_posts
                    api.switch("throttled")
                    await eventually(
                        lambda: api.refused_result_posts > refused_while_down, what="a send refused with 429"
                    )
                    spooled_during_outage = spooled_ids(spool)

                    # when
                    api.switch("up")
                    await eventually(
                        lambda: spooled_during_outage <= set(api.stored), what="the spooled results delivered"
                    )
                    stop.set()
                    exit_code = await agent_run
                spool.close()

        # then
        assert exit_code == 0
        assert len(spooled_during_outage) >= 3
        assert set(api.posts_per_result.values()) == {1}

    asyncio.run(scenario())


def test_a_batch_stored_before_the_connection_dropped_is_resent_and_reported_duplicate(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with serving(target_app()) as target_port:
            api = FakeSatelliteApi(
                token=TOKEN,
                assignments=[http_assignment("home", f"http://{LOOPBACK}:{target_port}/health")],
                mode="store_then_drop",
            )
            async with serving(api.app()) as api_port:
                settings = fast_settings(api_port, tmp_path / "spool.sqlite3", once_send_attempts=2)
                spool = Spool(settings.spool_path, max_results=settings.max_spool)
                async with SatelliteClient(settings.endpoint, TOKEN, timeout_seconds=5) as client:
                    # given: a once run whose every answer is lost after the API stored the batch
                    first_exit_code = await Agent(settings, client, spool).run_once(asyncio.Event())
                    unanswered = spooled_ids(spool)

                    # when
                    api.switch("up")
                    second_exit_code = await Agent(settings, client, spool).run_once(asyncio.Event())
                remaining = spooled_ids(spool)
                spool.close()

        # then
        assert first_exit_code == EXIT_TEMPORARY_FAILURE
        assert len(unanswered) == 1
        assert unanswered <= set(api.stored)
        assert second_exit_code == 0
        assert unanswered <= set(api.duplicates_reported)
        assert len(api.stored) == 2
        assert remaining == set()

    asyncio.run(scenario())
