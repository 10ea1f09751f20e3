"""The one HTTP call path every vendor client runs: build the request, send it through the
factory's ``Resilience``, map the answer, flag a write whose outcome is unknown, scrub secrets.

``VendorClient.exchange`` is one call:

1. ``send``: ``Accept: application/json`` and the app's extra headers (``X-Request-ID``) on every
   call, ``Content-Type: application/json`` and an ``orjson`` body with one, the per-call
   authentication headers if the vendor passes any; then ``call_or_raise``: retries, the
   instance's circuit breaker and its concurrency limit, and a request that got no HTTP answer
   turned into the gateway error naming the instance (flagged when a write may have been applied);
2. ``read``: a 429 becomes ``RateLimited`` (with ``Retry-After``); a 401 a credentials error,
   whatever its body; a 2xx what the vendor's ``success`` hook makes of it; a 404 with
   ``not_found`` a ``TicketNotFound``; any other non-2xx the vendor's ``refusal``; an answer that
   should be JSON and is not, the vendor's not-JSON error;
3. ``result``: an error made from an answer is flagged ``outcome_unknown`` when the write may have
   been applied (``outcomes.flag_if_applied``);
4. every error message is scrubbed of the connection's secrets.

A vendor's client subclasses ``VendorClient``, sets ``answers`` and implements ``success``; it
builds its URLs and keeps its own ``call`` signature.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Mapping
from typing import ClassVar, Generic, TypeVar
from urllib.parse import urlencode

import httpx
import orjson

from connectors.errors import GatewayError, ItsmError, TicketNotFound
from connectors.http.answers import Scrubber, VendorAnswers, scrubbed, transport_error
from connectors.http.observer import Target
from connectors.http.outcomes import flag_if_applied, mark_outcome_unknown, outcome_unknown
from connectors.http.retries import Resilience

T = TypeVar("T")


async def call_or_raise(
    resilience: Resilience,
    target: Target,
    method: str,
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    operation: str,
    idempotent: bool | None = None,
) -> httpx.Response:
    """``Resilience.call``, with a request that got no HTTP answer turned into the gateway error
    naming ``target`` (flagged when a write may have been applied)."""
    try:
        return await resilience.call(
            target, method, send, idempotent=idempotent, operation=operation
        )
    except httpx.TransportError as exc:
        error = transport_error(exc, target.name)
        if outcome_unknown(method, exc, idempotent=idempotent):
            mark_outcome_unknown(error, method)
        raise error from None


def with_query(url: str, params: Mapping[str, str] | None) -> str:
    """``url`` with ``params`` encoded as httpx would (``+`` for spaces), so that httpx parses
    one URL rather than a URL and then the URL merged with its parameters."""
    query = urlencode(params) if params else ""
    return f"{url}?{query}" if query else url


class VendorClient(abc.ABC, Generic[T]):
    """The spine under each vendor's client (see the module docstring); ``T`` is what a 2xx
    answer becomes for that vendor."""

    # How the vendor's answers read: its error bodies, its advice text.
    answers: ClassVar[VendorAnswers]

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        target: Target,
        headers: Mapping[str, str],
        scrub: Scrubber,
        resilience: Resilience,
    ) -> None:
        self._http = http
        self._target = target
        self.name = target.name
        self.host = target.host
        self._headers = {**headers, "Accept": "application/json"}
        self._scrub = scrub
        self._resilience = resilience

    @abc.abstractmethod
    def success(self, response: httpx.Response, name: str) -> T:
        """What a 2xx answer means (hook): its decoded body (``self.answers.json_body``), the part
        of it the vendor wraps results in, or ``None`` for an empty one where that is normal."""

    async def exchange(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        body: object = None,
        not_found: str | None = None,
        idempotent: bool | None = None,
    ) -> T:
        """One call: ``send``, then ``result``; every error scrubbed of the connection's secrets.
        ``not_found`` is the message of the ``TicketNotFound`` a 404 becomes (without it, a 404
        is a refusal like any other); ``idempotent`` overrides the method's default for retries;
        ``operation`` names the call in metrics and traces (``read_ticket``, ``add_journal``)."""
        try:
            response = await self.send(
                method, url, body, operation=operation, idempotent=idempotent
            )
            return self.result(method, response, not_found, idempotent)
        except GatewayError as exc:
            raise scrubbed(exc, self._scrub) from None

    async def send(
        self,
        method: str,
        url: str,
        body: object,
        *,
        operation: str,
        idempotent: bool | None = None,
        auth: Mapping[str, str] | None = None,
        target: Target | None = None,
    ) -> httpx.Response:
        """One HTTP exchange through ``Resilience``: its final answer, whatever the status, or
        the gateway error for a request that got no answer. ``auth``: per-call headers (a
        token that may change between calls); ``target``: another host than the instance."""
        headers = {**self._headers, **auth} if auth else dict(self._headers)
        content = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            content = orjson.dumps(body)
        http = self._http

        def attempt() -> Awaitable[httpx.Response]:
            return http.request(method, url, headers=headers, content=content)

        return await call_or_raise(
            self._resilience,
            target or self._target,
            method,
            attempt,
            operation=operation,
            idempotent=idempotent,
        )

    def result(
        self,
        method: str,
        response: httpx.Response,
        not_found: str | None,
        idempotent: bool | None = None,
    ) -> T:
        """``read``, with its error flagged when the write may have been applied."""
        try:
            return self.read(response, not_found, self.name)
        except GatewayError as error:
            raise flag_if_applied(error, method, response, idempotent=idempotent) from None

    def read(self, response: httpx.Response, not_found: str | None, name: str) -> T:
        """The answer's meaning, or the gateway error it is; ``name`` names the host in it."""
        answers = self.answers
        status = response.status_code
        if status == 429:
            raise answers.rate_limited(response, name)
        if status == 401:  # whatever the body is: a login page here still means credentials
            try:
                body: object = answers.json_body(response, name)
            except ItsmError:
                body = None
            raise answers.refusal(401, body, name)
        if response.is_success:
            return self.success(response, name)
        body = answers.json_body(response, name)
        if status == 404 and not_found is not None:
            raise TicketNotFound(not_found)
        raise answers.refusal(status, body, name)
