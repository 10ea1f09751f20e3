"""/readyz says whether the gateway's Redis answers, and which check failed when it does not."""

from __future__ import annotations

import httpx

from emulators.token_issuer import TokenIssuer
from emulators.token_issuer import create_app as create_issuer_app
from gateway.app import create_app
from gateway.settings import Settings
from tests.support.redis import RedisServer
from tests.support.servers import serving, wait_until_ready
from tests.support.tcp_proxy import TcpProxy


async def test_readyz_follows_redis(redis_server: RedisServer) -> None:
    issuer = TokenIssuer()
    async with (
        serving(create_issuer_app(issuer)) as issuer_url,
        TcpProxy("127.0.0.1", redis_server.port) as proxy,
    ):
        issuer.bind(issuer_url)
        settings = Settings(
            keycloak_issuer=issuer.issuer,
            redis_url=f"redis://127.0.0.1:{proxy.port}/0",
        )
        async with serving(create_app(settings)) as gateway, httpx.AsyncClient() as http:
            await wait_until_ready(gateway)
            ready = await http.get(f"{gateway}/readyz")
            assert ready.status_code == 200
            assert ready.json()["checks"] == {"keycloak_signing_keys": "ok", "redis": "ok"}

            await proxy.cut("refuse")
            down = await http.get(f"{gateway}/readyz")
            assert down.status_code == 503
            assert down.json()["status"] == "not ready"
            assert down.json()["checks"]["keycloak_signing_keys"] == "ok"
            assert down.json()["checks"]["redis"].startswith("unreachable (")

            await proxy.restore()
            assert (await http.get(f"{gateway}/readyz")).status_code == 200
