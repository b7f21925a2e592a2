"""`make run` runs each function in processes of its own, as Lambda runs each in its own environments."""

import contextlib
import json
import os
import threading

import pytest

from local.call_priority import BACKGROUND_APP_ID, BACKGROUND_NICENESS
from local.sandboxes import FunctionError, SandboxPool
from local.template import LambdaFunction

HANDLER = "tests/integration/local_runtime/logging_handler.handler"


def _function(logical_id: str, handler: str = HANDLER, timeout_seconds: int = 10) -> LambdaFunction:
    return LambdaFunction(
        logical_id=logical_id,
        handler=handler,
        timeout_seconds=timeout_seconds,
        memory_mb=128,
        environment={},
    )


@pytest.fixture
def log_path(tmp_path):
    return tmp_path / "functions.log"


@pytest.fixture
def pool(log_path):
    sandboxes = SandboxPool(
        lambda function: {"POWERTOOLS_SERVICE_NAME": "healthcheck", "POWERTOOLS_LOG_LEVEL": "INFO"},
        "us-east-1",
        concurrency=1,
        log_path=str(log_path),
    )
    yield sandboxes
    sandboxes.close(grace_seconds=0)


def test_two_functions_invoked_at_once_log_their_own_name_and_request_id(pool, log_path):
    # given two functions sharing one handler module and its module-level logger
    functions = {"first": _function("FirstFunction"), "second": _function("SecondFunction")}
    answers: dict[str, dict] = {}

    def invoke(invocation: str) -> None:
        event = {"invocation": invocation, "lines": 20, "pause_seconds": 0.01}
        answers[invocation] = pool.invoke(functions[invocation], event)

    # when both are invoked at the same time, their log lines interleaving
    threads = [threading.Thread(target=invoke, args=(name,)) for name in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # then every line carries the name and request id of the invocation that wrote it
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    steps = [line for line in lines if line.get("message") == "step"]
    assert len(steps) == 40
    for line in steps:
        answer = answers[line["invocation"]]
        assert line["function_name"] == answer["functionName"]
        assert line["function_request_id"] == answer["requestId"]
    assert {answer["functionName"] for answer in answers.values()} == {"FirstFunction", "SecondFunction"}


def test_background_functions_run_at_a_lower_cpu_priority_than_the_request_path(log_path):
    # given: one function marked as background work (as local.emulation marks the queue-driven ones)
    background = {"AWS_SDK_UA_APP_ID": BACKGROUND_APP_ID}
    pool = SandboxPool(
        lambda function: background if function.logical_id == "QueueFunction" else {},
        "us-east-1",
        log_path=str(log_path),
    )
    event = {"invocation": "x", "lines": 0, "pause_seconds": 0}
    try:
        # when both are invoked
        answers = {name: pool.invoke(_function(name), event) for name in ("QueueFunction", "RouteFunction")}
    finally:
        pool.close(grace_seconds=0)
    # then the background sandbox yields the CPU to the other
    base = os.getpriority(os.PRIO_PROCESS, 0)
    assert answers["RouteFunction"]["niceness"] == base
    assert answers["QueueFunction"]["niceness"] == min(19, base + BACKGROUND_NICENESS)


def test_a_raising_handler_fails_its_invocation_and_the_sandbox_serves_the_next(pool):
    # given a function whose event lacks what the handler needs
    function = _function("FirstFunction")
    # when it is invoked with a bad event, then with a good one
    with pytest.raises(FunctionError, match="KeyError"):
        pool.invoke(function, {})
    answer = pool.invoke(function, {"invocation": "x", "lines": 1, "pause_seconds": 0})
    # then the error is the handler's, and the same warm process answers the next invocation
    assert answer["functionName"] == "FirstFunction"
    assert len(pool.pids()) == 1


def test_an_idle_sandbox_is_reaped_and_the_next_invocation_starts_a_new_one(pool):
    # given a function whose sandbox served one invocation
    function = _function("FirstFunction")
    pool.invoke(function, {"invocation": "x", "lines": 0, "pause_seconds": 0})
    first_pid = pool.pids()
    # when sandboxes idle for no time at all are reaped
    reaped = pool.reap_idle(idle_seconds=0)
    # then its process is gone, and the next invocation is answered by a new one
    assert reaped == ["FirstFunction"]
    assert pool.pids() == []
    answer = pool.invoke(function, {"invocation": "y", "lines": 0, "pause_seconds": 0})
    assert answer["functionName"] == "FirstFunction"
    assert pool.pids() not in ([], first_pid)


def test_a_recently_used_sandbox_is_kept(pool):
    # given a function invoked just now
    function = _function("FirstFunction")
    pool.invoke(function, {"invocation": "x", "lines": 0, "pause_seconds": 0})
    # when sandboxes idle for a minute are reaped
    reaped = pool.reap_idle(idle_seconds=60)
    # then this one stays warm
    assert reaped == []
    assert len(pool.pids()) == 1


@pytest.mark.parametrize("event", [{"invocation": "x", "lines": 0, "pause_seconds": 0}, {}])
def test_a_sandbox_not_kept_warm_ends_after_its_invocation_whatever_the_outcome(pool, event):
    # given a function invoked without keeping its sandbox (a scheduled function's), once well, once raising
    function = _function("FirstFunction")
    with contextlib.suppress(FunctionError):
        pool.invoke(function, event, keep_warm=False)
    # then no process is left, and the next invocation starts a new one
    assert pool.pids() == []
    answer = pool.invoke(function, {"invocation": "y", "lines": 0, "pause_seconds": 0})
    assert answer["functionName"] == "FirstFunction"
    assert len(pool.pids()) == 1
