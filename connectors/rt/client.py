"""One REST 2.0 call: build the request, authenticate it, check the answer, map its errors.

Every call sends ``Accept: application/json``, its own ``User-Agent`` (RT answers a client it
takes for a browser with a 302 to its login page instead of a 401), ``Content-Type:
application/json`` with a body, the authentication header and the app's extra headers
(``X-Request-ID``). Every error message is scrubbed of the connection's secrets.

Each HTTP exchange goes through the factory's ``Resilience`` (``connectors.resilience``): retries,
the instance's circuit breaker and its concurrency limit. A write that may have been applied
(sent, then no definite answer) is never sent again; its error says so (``outcome_unknown``).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import orjson

from connectors.answers import Scrubber, scrubbed
from connectors.connection import AuthType, Credentials
from connectors.errors import BadInput, GatewayError, ItsmError, TicketNotFound
from connectors.resilience import (
    Resilience,
    Target,
    call_or_raise,
    flag_if_applied,
)
from connectors.rt.answers import json_body, rate_limited, refusal

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


class RestClient:
    """Calls ``{instance}/REST/2.0/...`` for one connector (one request of the gateway)."""

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
        self._http = http
        self._base = f"{instance_url}/REST/2.0"
        self.host = host
        self.name = f"Request Tracker at {host}"
        self._target = Target(key=instance_url, name=self.name, host=host, itsm_type="rt")
        self._resilience = resilience
        self._scrub = scrub
        self._headers = {
            **headers,
            "Authorization": authorization,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    async def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, str] | None = None,
        body: object = None,
        not_found: str | None = None,
    ) -> Answer:
        """The answer of a 2xx; otherwise the gateway error it means. ``not_found`` is the
        message of the ``TicketNotFound`` a 404 becomes (without it, a 404 is an ``ItsmError``);
        ``operation`` names the call in metrics and traces (``read_ticket``, ``add_journal``)."""
        try:
            response = await self._send(method, path, params, body, operation)
            return self._answer(method, response, not_found)
        except GatewayError as exc:
            raise scrubbed(exc, self._scrub) from None

    async def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        body: object,
        operation: str,
    ) -> httpx.Response:
        headers = dict(self._headers)
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = orjson.dumps(body)
        # Encoded here, as httpx would, so that httpx parses one URL (not a URL and its params).
        query = urlencode(params or {})
        url = f"{self._base}/{path}?{query}" if query else f"{self._base}/{path}"

        def attempt() -> Awaitable[httpx.Response]:
            return self._http.request(method, url, headers=headers, content=content)

        return await call_or_raise(
            self._resilience, self._target, method, attempt, operation=operation
        )

    def _answer(self, method: str, response: httpx.Response, not_found: str | None) -> Answer:
        try:
            return self._read(response, not_found)
        except GatewayError as error:
            raise flag_if_applied(error, method, response) from None

    def _read(self, response: httpx.Response, not_found: str | None) -> Answer:
        status = response.status_code
        if status == 429:
            raise rate_limited(response, self.name)
        if status == 401:  # whatever the body is: credentials either way
            try:
                body: object = json_body(response, self.name)
            except ItsmError:
                body = None
            raise refusal(401, body, self.name)
        body = json_body(response, self.name)
        if response.is_success:
            return Answer(status, body, response.headers)
        if status == 404 and not_found is not None:
            raise TicketNotFound(not_found)
        raise refusal(status, body, self.name)
