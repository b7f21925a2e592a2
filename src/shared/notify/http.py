"""POSTing a notification through the probes' SSRF guard: literal hosts are checked before the
request, resolved addresses by the guarded resolver, and redirects are not followed."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import aiohttp

from shared.domain.alerting import SendResult
from shared.strategies.http_session import USER_AGENT, GuardedResolver
from shared.strategies.targets import TargetForbiddenError, check_literal_host

TIMEOUT_SECONDS = 10.0
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def post_json(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private_targets: bool,
    timeout_seconds: float = TIMEOUT_SECONDS,
) -> SendResult:
    """POST `body` as JSON; 2xx is delivered, 408/429/5xx and network failures are worth a retry."""
    return asyncio.run(_post(url, body, headers, allow_private_targets, timeout_seconds))


async def _post(
    url: str, body: bytes, headers: dict, allow_private_targets: bool, timeout: float
) -> SendResult:
    started = time.perf_counter()
    try:
        check_literal_host(urlsplit(url).hostname or "", allow_private_targets=allow_private_targets)
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(allow_private_targets=allow_private_targets)
        )
        async with (
            aiohttp.ClientSession(
                connector=connector, trust_env=False, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as session,
            session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT} | headers,
                allow_redirects=False,
            ) as response,
        ):
            await response.read()
            status = response.status
    except TargetForbiddenError as error:
        return SendResult(False, None, _ms(started), str(error), retryable=False)
    except TimeoutError:
        return SendResult(False, None, _ms(started), f"no answer within {timeout:g} s")
    except (aiohttp.ClientError, OSError) as error:
        return SendResult(False, None, _ms(started), f"{type(error).__name__}: {error}"[:300])
    if 200 <= status < 300:
        return SendResult(True, status, _ms(started))
    retryable = status >= 500 or status in RETRYABLE_STATUSES
    return SendResult(False, status, _ms(started), f"answered {status}", retryable=retryable)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
