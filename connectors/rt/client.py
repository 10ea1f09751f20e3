"""One REST 2.0 call, on the connectors' HTTP spine (``connectors.http.client``): RT's quirks only.

Every call sends, besides what the spine sends, its own ``User-Agent`` (RT answers a client it
takes for a browser with a 302 to its login page instead of a 401) and the ``Authorization``
header, fixed for the connector: RT's auth token or HTTP Basic. A 2xx becomes an ``Answer``
(RT's created ticket id and its per-field results are in the body, some facts in headers).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass

import httpx

from connectors.connection import AuthType, Credentials
from connectors.errors import BadInput
from connectors.http import Resilience, Scrubber, Target, VendorClient, with_query
from connectors.rt.answers import ANSWERS

USER_AGENT = "itsm-gateway"
AUTH_TYPES = (AuthType.BASIC, AuthType.API_KEY)


def auth_header(credentials: Credentials) -> str:
    """``Authorization`` for RT: HTTP Basic, or RT's own ``token <auth token>`` for ``api_key``
    (an auth token made in RT under Settings > Auth Tokens; RT 5 knows no Bearer scheme)."""
    credentials.check_complete()
    if credentials.auth_type is AuthType.BASIC:
        pair = f"{credentials.username}:{credentials.password}".encode()
        return f"Basic {base64.b64encode(pair).decode()}"
    if credentials.auth_type is AuthType.API_KEY:
        return f"token {credentials.api_key}"
    raise BadInput(
        f"connectionDetails.authType {credentials.auth_type.value} does not work with Request "
        "Tracker; use basic (username and password) or api_key (an RT auth token as apiKey)"
    )


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: object
    headers: httpx.Headers


class RestClient(VendorClient[Answer]):
    """Calls ``{instance}/REST/2.0/...`` for one connector (one request of the gateway)."""

    answers = ANSWERS

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        instance_url: str,
        host: str,
        authorization: str,
        scrub: Scrubber,
        headers: Mapping[str, str],
        resilience: Resilience,
    ) -> None:
        super().__init__(
            http,
            target=Target(
                key=instance_url, name=f"Request Tracker at {host}", host=host, itsm_type="rt"
            ),
            headers={**headers, "Authorization": authorization, "User-Agent": USER_AGENT},
            scrub=scrub,
            resilience=resilience,
        )
        self._base = f"{instance_url}/REST/2.0/"

    def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, str] | None = None,
        body: object = None,
        not_found: str | None = None,
    ) -> Awaitable[Answer]:
        """The answer of a 2xx; otherwise the gateway error it means (``VendorClient.exchange``).
        A plain method returning the exchange, so that a call costs no extra coroutine."""
        return self.exchange(
            method,
            with_query(self._base + path, params),
            operation=operation,
            body=body,
            not_found=not_found,
        )

    def success(self, response: httpx.Response, name: str) -> Answer:
        return Answer(
            response.status_code, self.answers.json_body(response, name), response.headers
        )
