"""`python -m satellite` as a process against the fake API: once mode, crash recovery, bad token, SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

from satellite import __version__
from satellite.agent import EXIT_UNAUTHORIZED
from satellite.spool import Spool
from tests.integration.satellite.agent_process import eventually, exit_code_of, log_lines, start_agent
from tests.integration.satellite.fake_api import (
    LOOPBACK,
    FakeSatelliteApi,
    http_assignment,
    serving,
    target_app,
)

TOKEN = "hcs.edge-1.correct-horse-battery"


def closed_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind((LOOPBACK, 0))
        return probe_socket.getsockname()[1]


def spooled_ids(spool_path: Path) -> set[str]:
    spool = Spool(spool_path, max_results=1000)
    try:
        return {item.result_id for item in spool.oldest(1000)}
    finally:
        spool.close()


def daemon_arguments(api_port: int, spool_path: Path) -> list[str]:
    return [
        "--endpoint", f"http://{LOOPBACK}:{api_port}",
        "--spool", str(spool_path),
        "--interval", "1",
        "--allow-private-targets",
    ]  # fmt: skip


def test_once_mode_sends_every_result_exactly_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(target_app()) as target_port:
            target = f"http://{LOOPBACK}:{target_port}/health"
            # given
            api = FakeSatelliteApi(
                token=TOKEN,
                assignments=[
                    http_assignment("home", target),
                    http_assignment("login", target),
                    http_assignment("gone", f"http://{LOOPBACK}:{closed_port()}/"),
                ],
            )
            async with serving(api.app()) as api_port:
                # when
                process = await start_agent(
                    *daemon_arguments(api_port, tmp_path / "spool.sqlite3"), "--once",
                    token=TOKEN, log_path=tmp_path / "agent.log",
                )  # fmt: skip
                exit_code = await exit_code_of(process)

        # then
        assert exit_code == 0
        results = list(api.stored.values())
        assert sorted(result["configurationId"] for result in results) == ["gone", "home", "login"]
        assert set(api.posts_per_result.values()) == {1}
        by_check = {result["configurationId"]: result for result in results}
        assert by_check["home"]["status"] == "healthy"
        assert isinstance(by_check["home"]["latencyMs"], int)
        assert by_check["gone"]["status"] == "unhealthy"
        assert all(result["executedAt"].endswith("Z") for result in results)
        assert all("body" not in result["result"] for result in results)
        assert api.heartbeats == [{"version": __version__}]
        assert spooled_ids(tmp_path / "spool.sqlite3") == set()
        assert "correct-horse-battery" not in (tmp_path / "agent.log").read_text()

    asyncio.run(scenario())


def test_results_stored_but_unanswered_before_a_kill_are_resent_and_counted_once(tmp_path: Path) -> None:
    spool_path = tmp_path / "spool.sqlite3"

    async def scenario() -> None:
        async with serving(target_app()) as target_port:
            # given: the API stores each batch but never answers, and the agent dies mid-send
            api = FakeSatelliteApi(
                token=TOKEN,
                assignments=[
                    http_assignment("home", f"http://{LOOPBACK}:{target_port}/health", interval_seconds=1)
                ],
                mode="store_then_hang",
            )
            async with serving(api.app()) as api_port:
                process = await start_agent(
                    *daemon_arguments(api_port, spool_path), token=TOKEN, log_path=tmp_path / "agent.log"
                )
                await eventually(lambda: bool(api.stored), what="a batch stored by the API")
                process.kill()
                await process.wait()
                stored_before_kill = set(api.stored)
                unacknowledged = spooled_ids(spool_path)

                # when: the agent restarts against a healthy API
                api.switch("up")
                process = await start_agent(
                    *daemon_arguments(api_port, spool_path), "--once",
                    token=TOKEN, log_path=tmp_path / "agent.log",
                )  # fmt: skip
                exit_code = await exit_code_of(process)

        # then
        assert stored_before_kill <= unacknowledged
        assert exit_code == 0
        assert stored_before_kill <= set(api.duplicates_reported)
        assert all(api.posts_per_result[result_id] == 2 for result_id in stored_before_kill)
        assert unacknowledged <= set(api.stored)
        assert spooled_ids(spool_path) == set()

    asyncio.run(scenario())


def test_a_refused_token_is_logged_once_and_ends_the_agent(tmp_path: Path) -> None:
    async def scenario() -> None:
        # given
        api = FakeSatelliteApi(token=TOKEN)
        async with serving(api.app()) as api_port:
            # when
            process = await start_agent(
                *daemon_arguments(api_port, tmp_path / "spool.sqlite3"),
                token="hcs.edge-1.stale-secret",
                log_path=tmp_path / "agent.log",
            )
            exit_code = await exit_code_of(process)

        # then
        assert exit_code == EXIT_UNAUTHORIZED
        refusals = [
            line for line in log_lines(tmp_path / "agent.log") if line["message"] == "satellite token refused"
        ]
        assert len(refusals) == 1
        assert refusals[0]["satellite_id"] == "edge-1"
        assert refusals[0]["status"] == 401
        assert api.unauthorized_answers <= 2
        assert "stale-secret" not in (tmp_path / "agent.log").read_text()

    asyncio.run(scenario())


def test_sigterm_stops_the_agent_cleanly(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(target_app()) as target_port:
            # given
            api = FakeSatelliteApi(
                token=TOKEN,
                assignments=[
                    http_assignment("home", f"http://{LOOPBACK}:{target_port}/health", interval_seconds=1)
                ],
            )
            async with serving(api.app()) as api_port:
                process = await start_agent(
                    *daemon_arguments(api_port, tmp_path / "spool.sqlite3"),
                    token=TOKEN,
                    log_path=tmp_path / "agent.log",
                )
                await eventually(
                    lambda: bool(api.heartbeats and api.stored and api.not_modified_answers),
                    what="a heartbeat, a result and an assignment refresh answered 304",
                )

                # when
                process.send_signal(signal.SIGTERM)
                exit_code = await exit_code_of(process)

        # then
        assert exit_code == 0
        messages = [line["message"] for line in log_lines(tmp_path / "agent.log")]
        assert "stop requested" in messages
        assert messages[-1] == "agent stopped"

    asyncio.run(scenario())
