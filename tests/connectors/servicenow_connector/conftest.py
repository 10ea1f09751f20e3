"""Shared fixtures for the ServiceNow connector tests: recorded payloads, the one pooled client the
app would own, and connections for each auth type."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.connection import AuthType, Connection, Credentials
from connectors.servicenow import ServiceNowConnectorFactory

PAYLOADS = Path(__file__).parent / "payloads"
INSTANCE = "https://acme.service-now.com"

SECRETS = {
    "password": "pa55-Secret!word",
    "client_secret": "cl1ent-Secret-xyz",
    "api_key": "now_apikey_Secret_123",
    "token": "bearer-Secret-token-abc",
}


@pytest.fixture
def payload() -> Callable[[str], Any]:
    """A recorded ServiceNow answer body from ``payloads/<name>.json``."""

    def load(name: str) -> Any:
        return json.loads((PAYLOADS / f"{name}.json").read_text())

    return load


def credentials(auth_type: AuthType) -> Credentials:
    return Credentials(
        auth_type=auth_type,
        username="svc.gateway",
        password=SECRETS["password"],
        client_id="gateway-client",
        client_secret=SECRETS["client_secret"],
        api_key=SECRETS["api_key"],
        token=SECRETS["token"],
    )


@pytest.fixture
def connection() -> Callable[..., Connection]:
    def make(
        auth_type: AuthType = AuthType.BASIC,
        *,
        instance_url: str = INSTANCE,
        table: str | None = None,
    ) -> Connection:
        return Connection(
            itsm_type="servicenow",
            instance_url=instance_url,
            credentials=credentials(auth_type),
            table=table,
        )

    return make


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """Built like the app's pooled client: explicit timeouts, TLS verification on."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0), verify=True) as client:
        yield client


@pytest.fixture
def factory(http: httpx.AsyncClient) -> ServiceNowConnectorFactory:
    return ServiceNowConnectorFactory(http)


# The people of the recorded payloads, as sys_user would answer their display names.
DISPLAY_NAMES = {
    "abel.tuter": "Abel Tuter",
    "beth.anglin": "Beth Anglin",
    "fred.luddy": "Fred Luddy",
    "svc.gateway": "Gateway Service",
}
SYS_USER_NAMES_URL = re.compile(
    re.escape(f"{INSTANCE}/api/now/table/sys_user?sysparm_query=user_nameIN") + r".*$"
)
SYS_CHOICE_URL = re.compile(re.escape(f"{INSTANCE}/api/now/table/sys_choice") + r"\?.*$")
LOOKUP_TABLES = ("sys_user", "sys_user_group", "sys_choice")


def sys_user_names(request: httpx.Request) -> httpx.Response:
    """sys_user answering ``user_nameIN...`` with the display names above."""
    query = request.url.params.get("sysparm_query", "")
    asked = query.removeprefix("user_nameIN").split(",") if query.startswith("user_nameIN") else []
    rows = [{"user_name": u, "name": DISPLAY_NAMES[u]} for u in asked if u in DISPLAY_NAMES]
    return httpx.Response(200, json={"result": rows})


@pytest.fixture
def lookups(httpx_mock: Any) -> None:
    """Answers, when asked, the lookups made around the calls a test is about: display names
    from ``sys_user`` (``DISPLAY_NAMES``) and no ``sys_choice`` rows (the connector's own
    choices). Such requests still appear in ``httpx_mock.get_requests()``: see ``vendor_calls``."""
    httpx_mock.add_callback(
        sys_user_names,
        url=SYS_USER_NAMES_URL,
        is_optional=True,
        is_reusable=True,
    )
    httpx_mock.add_response(
        url=SYS_CHOICE_URL, json={"result": []}, is_optional=True, is_reusable=True
    )


def vendor_calls(httpx_mock: Any) -> list[httpx.Request]:
    """The requests a test made, without the lookups (``lookups``)."""
    return [
        request
        for request in httpx_mock.get_requests()
        if request.url.path.rsplit("/", 1)[-1] not in LOOKUP_TABLES
    ]
