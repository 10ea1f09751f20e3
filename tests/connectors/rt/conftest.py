"""Shared fixtures for the Request Tracker connector tests: answers recorded from a real RT 5.0.3
(``payloads/``: ``ticket_*``, ``history_*``, ``attachments_*`` and ``update_refused`` replay the
notes' walkthrough as the gateway's account; ``notes_*`` are the notes' own captures), the pooled
client the app would own, and connections."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.rt import RtConnectorFactory

PAYLOADS = Path(__file__).parent / "payloads"
INSTANCE = "https://rt.example.com"
PASSWORD = "pa55-Secret!word"
TOKEN = "1-14-67bd5e517406492d086dc12e51d802cc"


def load(name: str) -> Any:
    """A recorded RT answer body from ``payloads/<name>.json``."""
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def item(name: str) -> dict[str, Any]:
    """The one ticket of a recorded search answer."""
    (ticket,) = load(name)["items"]
    return ticket


@pytest.fixture
def connection() -> Callable[..., Connection]:
    def make(auth_type: AuthType = AuthType.API_KEY, *, table: str | None = None) -> Connection:
        credentials = Credentials(
            auth_type=auth_type,
            username="gateway",
            password=PASSWORD,
            client_id="client",
            client_secret="client-Secret",
            api_key=TOKEN,
            token="bearer-Secret",
        )
        return Connection("rt", INSTANCE, credentials, table=table)

    return make


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """Built like the app's pooled client: explicit timeouts, TLS verification on."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0), verify=True) as client:
        yield client


@pytest.fixture
def factory(http: httpx.AsyncClient) -> RtConnectorFactory:
    return RtConnectorFactory(http)
