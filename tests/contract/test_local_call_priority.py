"""The DynamoDB emulation serves a call made for an HTTP client before waiting background calls."""

import threading
import time

from local.call_priority import ForegroundFirstLock, is_background


def _waiting(lock: ForegroundFirstLock, background: bool, order: list[str], name: str) -> threading.Thread:
    def take() -> None:
        lock.acquire(background=background)
        order.append(name)
        lock.release()

    thread = threading.Thread(target=take)
    thread.start()
    return thread


def _until(condition, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert condition()


def test_a_foreground_call_goes_before_background_calls_that_waited_longer():
    # given a held lock, two background calls waiting, then a foreground call
    lock, order = ForegroundFirstLock(), []
    lock.acquire()
    background = [_waiting(lock, True, order, f"background-{n}") for n in range(2)]
    time.sleep(0.05)
    foreground = _waiting(lock, False, order, "foreground")
    _until(lambda: lock._foreground_waiting == 1)
    # when the lock is released
    lock.release()
    for thread in (*background, foreground):
        thread.join(5)
    # then the foreground call had it first, and the background calls still had their turn
    assert order[0] == "foreground"
    assert sorted(order[1:]) == ["background-0", "background-1"]


def test_background_calls_take_the_lock_when_no_foreground_call_waits():
    lock, order = ForegroundFirstLock(), []
    with lock.background():
        order.append("background")
    with lock:
        order.append("foreground")
    assert order == ["background", "foreground"]


def test_a_background_functions_user_agent_is_recognised():
    assert is_background("Boto3/1.43 md/Botocore#1.43 app/hc-background Botocore/1.43")
    assert not is_background("Boto3/1.43 md/Botocore#1.43 Botocore/1.43")
