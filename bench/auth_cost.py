"""What authentication costs per request, as a share of the whole request, measured in one run.

    .venv/bin/python -m bench.auth_cost [--requests 2000]

Starts the development token issuer, the ServiceNow emulator and the gateway in this process
(loopback, real HTTP), then for each credential kind measures, over the same number of requests:

- the whole request: a REST fetch of one field, sent with that credential;
- authentication alone: the gateway's ``Authenticator`` called with the same headers.

Both are CPU time of this process (``time.process_time``), which holds the client, the gateway and
the emulator alike, so the share is of everything the machine did for a request: a conservative
denominator would be the gateway's part alone, which is smaller; the second column reports the
absolute cost so either reading is possible. Credential kinds:

- new access token: a different token on every request (signature verified every time);
- repeated access token: one token for all requests (claims cached after the first);
- offline token: one offline token for all requests (exchanged once, access token cached).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable

import httpx

from bench.stack import running_stack
from emulators.token_issuer import DEFAULT_CLIENT_ID, TokenIssuer
from gateway.auth.access_tokens import AccessTokenVerifier
from gateway.auth.authenticator import Authenticator
from gateway.auth.jwks import JwksCache
from gateway.auth.offline_tokens import OfflineTokenExchanger

Headers = dict[str, str]


async def main(requests: int) -> None:
    async with running_stack() as stack, httpx.AsyncClient() as http:
        await _run(stack.issuer, stack.emulator_url, stack.gateway_url, http, requests)


async def _run(
    issuer: TokenIssuer, emulator_url: str, gateway_url: str, http: httpx.AsyncClient, n: int
) -> None:
    body = {
        "ticketNumber": "INC0010001",
        "ticketFields": ["shortDescription"],
        "connectionDetails": {
            "itsmType": "servicenow",
            "instanceUrl": emulator_url,
            "authType": "basic",
            "username": "gateway.integration",
            "password": "integration-password",
        },
    }
    authenticator = await _authenticator(issuer, http)
    repeated = issuer.mint("bench", lifetime=3600)
    offline = issuer.mint_offline("bench")
    kinds: dict[str, Callable[[], Headers]] = {
        "new access token": lambda: {"Authorization": f"Bearer {issuer.mint('bench')}"},
        "repeated access token": lambda: {"Authorization": f"Bearer {repeated}"},
        "offline token (cached)": lambda: {"X-Offline-Token": offline},
    }

    print(f"itsm-gateway auth cost, {n} requests per row, CPU time of one process")
    print(f"{'credential':<24} {'request us':>11} {'auth us':>9} {'auth share':>11}")
    for name, make in kinds.items():
        headers = [make() for _ in range(n)]  # made before timing: minting is not measured
        # Warm-up: the first offline exchange and connection set-up are not per-request costs.
        await http.post(f"{gateway_url}/itsm/v1/ticket/fetch", json=body, headers=headers[0])
        await authenticator.authenticate(
            headers[0].get("Authorization"), headers[0].get("X-Offline-Token")
        )
        request_cpu = await _acpu(
            lambda: _requests(http, f"{gateway_url}/itsm/v1/ticket/fetch", body, headers)  # noqa: B023 - awaited at once
        )
        auth_cpu = await _acpu(lambda: _authentications(authenticator, headers))  # noqa: B023
        request_us = request_cpu / n * 1e6
        auth_us = auth_cpu / n * 1e6
        print(f"{name:<24} {request_us:>11.0f} {auth_us:>9.0f} {auth_us / request_us:>10.1%}")


async def _authenticator(issuer: TokenIssuer, http: httpx.AsyncClient) -> Authenticator:
    assert issuer.issuer is not None
    jwks = JwksCache(issuer.issuer, http)
    await jwks.load()
    verifier = AccessTokenVerifier(jwks, issuer=issuer.issuer, audience=issuer.audience)
    exchanger = OfflineTokenExchanger(
        issuer=issuer.issuer, clients={DEFAULT_CLIENT_ID: None}, http=http, verifier=verifier
    )
    return Authenticator(verifier, exchanger)


async def _requests(
    http: httpx.AsyncClient, url: str, body: object, headers: list[Headers]
) -> None:
    for header in headers:
        response = await http.post(url, json=body, headers=header)
        assert response.status_code == 200, response.text


async def _authentications(authenticator: Authenticator, headers: list[Headers]) -> None:
    for header in headers:
        await authenticator.authenticate(header.get("Authorization"), header.get("X-Offline-Token"))


async def _acpu(work: Callable[[], object]) -> float:
    start = time.process_time()
    await work()  # type: ignore[misc]
    return time.process_time() - start


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    asyncio.run(main(parser.parse_args().requests))
