"""The Slack Web API client, with the retries kontobot wants.

- 429: retried after Slack's `Retry-After` (`AsyncRateLimitErrorRetryHandler`), as long as the
  wait is short; a longer wait goes back to the outbox, which tries again when it is due.
- 5xx: retried with exponential backoff.
- A dropped connection: retried once.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter, RandomJitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

DEFAULT_API_URL = "https://slack.com/api/"


@dataclass
class Tuning:
    """How patient kontobot is with Slack. Tests make it impatient."""

    rate_limit_retries: int = 2
    # A 429 that asks for a longer wait is not waited for here: the outbox retries later.
    max_retry_after: float = 10.0
    server_error_retries: int = 2
    backoff_factor: float = 0.5
    jitter: bool = True
    timeout_seconds: int = 15
    profile_max_age: timedelta = timedelta(hours=12)
    # How long shutting down waits for turns in progress.
    drain_seconds: float = 10.0
    # Turns run at once (the rest wait their turn): below the database pool's size, so that a
    # burst of requests queues here instead of timing out waiting for a connection.
    concurrent_turns: int = 8


class _NoJitter(Jitter):
    def recalculate(self, duration: float) -> float:
        return duration


def _retry_after(response: HttpResponse | None) -> float | None:
    if response is None:
        return None
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return float(values[0] if isinstance(values, list) else values)
            except ValueError:
                return None
    return None


class RateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """Waits exactly what `Retry-After` asks (plus jitter), when that is short enough."""

    def __init__(self, max_retry_count: int, max_wait: float, jitter: bool) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.jitter = jitter

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        ):
            return False
        wait = _retry_after(response)
        return wait is None or wait <= self.max_wait

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        wait = _retry_after(response)
        wait = 1.0 if wait is None else wait
        if self.jitter:
            wait += random.random()  # noqa: S311 - spreading retries, not a secret
        await asyncio.sleep(wait)
        state.increment_current_attempt()


class ServerErrorRetry(AsyncServerErrorRetryHandler):
    """Every 5xx, not only 500 and 503."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and 500 <= response.status_code < 600


def retry_handlers(tuning: Tuning) -> list[AsyncRetryHandler]:
    jitter: Jitter = RandomJitter() if tuning.jitter else _NoJitter()
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=1),
        RateLimitRetry(tuning.rate_limit_retries, tuning.max_retry_after, tuning.jitter),
        ServerErrorRetry(
            max_retry_count=tuning.server_error_retries,
            interval_calculator=BackoffRetryIntervalCalculator(tuning.backoff_factor, jitter),
        ),
    ]


def api_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def make_client(
    token: str, base_url: str, session: aiohttp.ClientSession, tuning: Tuning
) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=api_base_url(base_url or DEFAULT_API_URL),
        session=session,
        timeout=tuning.timeout_seconds,
        retry_handlers=retry_handlers(tuning),
    )
