"""Fixtures for the Jira emulator tests: the app on a real loopback port with a movable clock,
and ``httpx`` clients authenticated the two ways Jira Cloud accepts (and not at all)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest

from emulators.jira import (
    DEFAULT_API_TOKEN,
    DEFAULT_EMAIL,
    DEFAULT_OAUTH_TOKEN,
    SEED_NOW,
    JiraState,
    create_app,
)
from tests.support.servers import serving


class FakeClock:
    def __init__(self, now: datetime = SEED_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Jira:
    url: str
    state: JiraState
    clock: FakeClock
    http: httpx.AsyncClient  # Basic: email and API token
    bearer: httpx.AsyncClient  # OAuth 2.0 access token
    anonymous: httpx.AsyncClient

    def api(self, path: str) -> str:
        return f"{self.url}/rest/api/3/{path}"

    def desk(self, path: str) -> str:
        return f"{self.url}/rest/servicedeskapi/{path}"


@pytest.fixture
async def jira() -> AsyncIterator[Jira]:
    clock = FakeClock()
    state = JiraState(clock=clock)
    async with (
        serving(create_app(state)) as url,
        httpx.AsyncClient(auth=(DEFAULT_EMAIL, DEFAULT_API_TOKEN), timeout=10) as http,
        httpx.AsyncClient(
            headers={"Authorization": f"Bearer {DEFAULT_OAUTH_TOKEN}"}, timeout=10
        ) as bearer,
        httpx.AsyncClient(timeout=10) as anonymous,
    ):
        yield Jira(url, state, clock, http, bearer, anonymous)
