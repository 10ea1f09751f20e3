"""Issue 17, item 2, with a real RT: Request Tracker 5 served under ``/rt`` (its ``$WebPath``,
``rt-server --webpath``; how RT is commonly deployed), named by the gateway's allow-list with that
path and by the caller as ``instanceUrl`` ``http://127.0.0.1:<port>/rt``, fetched and written
(created, then updated) through both doors. The same host without the path is refused, and RT
answers nothing there: the path is what reaches it.

It starts an RT of its own (``tests/support/rt.py``, ``own_rt``; about 10 s), as the session's RT
is served at the root for the other RT tests. Skipped without RT, or failing when
``ITSM_GATEWAY_REQUIRE_RT=1``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from emulators.token_issuer import TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.app import create_app
from gateway.settings import Settings
from tests.e2e.doors import DOOR_IDS, DOORS, Door
from tests.rt.conftest import RtStack
from tests.support.rt import own_rt
from tests.support.servers import serving, wait_until_ready

doors = pytest.mark.parametrize("door", DOORS, ids=DOOR_IDS)
WEB_PATH = "/rt"


@pytest.fixture(scope="module")
async def rt_under_a_path(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RtStack]:
    """RT under ``/rt``, and a gateway whose allow-list names exactly that path."""
    issuer = TokenIssuer()
    async with (
        own_rt(tmp_path_factory.mktemp("rt-under-a-path"), web_path=WEB_PATH) as rt,
        serving(create_issuer_app(issuer)) as issuer_url,
    ):
        issuer.bind(issuer_url)
        assert rt.url.endswith(f":{rt.port}{WEB_PATH}")
        settings = Settings(
            keycloak_issuer=issuer.issuer,
            keycloak_audience=issuer.audience,
            itsm_allowed_urls=rt.url,  # http://127.0.0.1:<port>/rt
        )
        async with (
            serving(create_app(settings)) as gateway_url,
            httpx.AsyncClient(timeout=60) as http,
        ):
            await wait_until_ready(gateway_url)
            yield RtStack(gateway_url, rt, issuer, http)


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


@doors
async def test_rt_under_a_path_is_fetched_created_and_updated(
    rt_under_a_path: RtStack, door: Door
) -> None:
    stack: Any = rt_under_a_path  # the doors take any stack with rest, graphql and connection
    assert stack.connection()["instanceUrl"] == stack.rt.url
    subject = unique("VPN drops under /rt")
    created = await door.create(stack, {"Queue": "General", "Subject": subject}, ["sysId"])
    assert created.status == 201 or (created.status == 200 and created.code is None), created
    sys_id = created.details["sysId"]

    updated = await door.update(stack, sys_id, {"Correspond": "On it, under /rt."}, ["comments"])
    assert updated.status == 200, updated
    assert [c["comment"] for c in updated.details["comments"]] == ["On it, under /rt."]

    fetched = await door.fetch(stack, sys_id, ["ticketNumber", "shortDescription", "comments"])
    assert fetched.status == 200, fetched
    assert fetched.details["shortDescription"] == subject
    assert [c["comment"] for c in fetched.details["comments"]] == ["On it, under /rt."]
    # RT's own view, read as its superuser under /rt: the gateway's writes are there.
    assert (await stack.rt_ticket(sys_id))["Subject"] == subject


@doors
async def test_the_same_host_without_the_path_is_refused(
    rt_under_a_path: RtStack, door: Door
) -> None:
    stack: Any = rt_under_a_path
    root = stack.rt.url.removesuffix(WEB_PATH)
    outcome = await door.fetch(stack, "1", ["ticketNumber"], stack.connection(instanceUrl=root))
    assert outcome.status == 400, outcome
    assert "instanceUrl" in outcome.message
    # And RT is not at the root: the path is what reaches it.
    answer = await stack.http.get(f"{root}/REST/2.0/rt")
    assert answer.status_code == 404
