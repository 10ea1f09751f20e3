"""GraphQL is reachable over HTTP only: every WebSocket handshake on ``/graphql`` is refused
before it is accepted, with or without a token, whatever subprotocol it asks for, so nothing of
the schema (introspection included) is served past the HTTP door's authentication."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from tests.e2e.conftest import Stack


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws", None])
@pytest.mark.parametrize("with_token", [False, True], ids=["no-token", "token"])
async def test_a_websocket_handshake_is_refused(
    stack: Stack, protocol: str | None, with_token: bool, caplog: pytest.LogCaptureFixture
) -> None:
    headers = stack.headers("") if with_token and stack.issuer is not None else {}
    url = stack.gateway_url.replace("http://", "ws://") + "/graphql"
    caplog.set_level(logging.DEBUG)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            async with session.ws_connect(
                url, protocols=(protocol,) if protocol else (), headers=headers
            ) as ws:
                await ws.send_json({"type": "connection_init"})
                await ws.send_json(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": "{ __schema { types { name } } }"},
                    }
                )
                pytest.fail(f"the handshake was accepted: {await ws.receive()}")
    assert refused.value.status == 400
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a refused handshake"
